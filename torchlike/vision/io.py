"""torchvision.io's image functions: uint8 (C, H, W) tensors from and to PNG/JPEG bytes and files.

Decoding and encoding use Pillow (``pip install pillow``) instead of torchvision's libpng and
libjpeg bindings. Decoded pixels are the same for PNG and, with the same libjpeg-turbo, for JPEG;
colour-to-gray conversions (``mode=GRAY``) use Pillow's ITU-R 601-2 weights and can differ
from torchvision's by one unit. Encoded bytes differ from torchvision's (another encoder), the
images they decode to do not. ``decode_image`` also reads GIF, WebP and whatever Pillow opens.
"""
from __future__ import annotations

import io as _io
import os
from enum import Enum

import numpy as np

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg",
           "encode_png", "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(Enum):
    """Conversion applied while decoding (strings such as ``"RGB"`` are accepted as well)."""
    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("torchlike.vision.io needs Pillow to decode and encode images: "
                          "pip install pillow") from None
    return Image


def _tensor(a):
    from .._creation import from_numpy
    return from_numpy(a)


def _bytes_of(data, name):
    from .._tensor import Tensor
    if not isinstance(data, Tensor):
        raise TypeError(f"{name}: expected a 1-dimensional uint8 tensor, got {type(data)}")
    if data.dtype.name != "uint8":
        raise RuntimeError(f"Expected a torch.uint8 tensor, got {data.dtype}")
    if data.dim() != 1 or data.numel() == 0:
        raise RuntimeError("Expected a non empty 1-dimensional tensor, got "
                           f"{data.dim()} dims and {data.numel()} numel")
    return np.asarray(data.detach()._v).tobytes()


def read_file(path):
    """The bytes of a file as a uint8 1-D tensor."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise RuntimeError(f"[Errno 2] No such file or directory: '{path}'") from None
    return _tensor(np.frombuffer(raw, dtype=np.uint8).copy())


def write_file(filename, data):
    """Writes a uint8 1-D tensor's bytes to a file."""
    raw = _bytes_of(data, "write_file")
    with open(os.fspath(filename), "wb") as f:
        f.write(raw)


def _mode(mode):
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else mode


def _decode(raw, mode, apply_exif_orientation, formats=None):
    Image = _pil()
    mode = _mode(mode)
    try:
        img = Image.open(_io.BytesIO(raw), formats=formats)
        img.load()
    except Exception as e:   # Pillow raises several types for bad data
        kinds = "/".join(formats) if formats else "image"
        raise RuntimeError(f"Unsupported {kinds} data or corrupted file: {e}") from None
    if apply_exif_orientation:
        from PIL import ImageOps
        img = ImageOps.exif_transpose(img)
    if mode is ImageReadMode.UNCHANGED:
        if img.mode == "P":   # palettes are expanded, as libpng does
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode == "CMYK":
            img = img.convert("RGB")
        elif img.mode in ("I;16", "I;16B", "I"):   # 16-bit PNG: uint16, as torchvision >= 0.21
            a = np.asarray(img).astype(np.uint16)
            return _tensor(np.ascontiguousarray(a[None]))
    else:
        if img.mode in ("I;16", "I;16B", "I"):
            img = Image.fromarray((np.asarray(img).astype(np.uint32) >> 8).astype(np.uint8))
        img = img.convert(_PIL_MODE[mode])
    a = np.asarray(img, dtype=np.uint8)
    a = a[:, :, None] if a.ndim == 2 else a
    return _tensor(np.ascontiguousarray(a.transpose(2, 0, 1)))


def decode_png(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """PNG bytes (uint8 1-D tensor) -> uint8 (C, H, W) (uint16 for 16-bit PNGs)."""
    return _decode(_bytes_of(input, "decode_png"), mode, apply_exif_orientation, ["PNG"])


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu", apply_exif_orientation=False):
    """JPEG bytes (or a list of them) -> uint8 (C, H, W) tensor(s), decoded on the CPU and moved
    to ``device``."""
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        return [decode_jpeg(t, mode, device, apply_exif_orientation) for t in input]
    out = _decode(_bytes_of(input, "decode_jpeg"), mode, apply_exif_orientation, ["JPEG"])
    return out if str(device) == "cpu" else out.to(device)


def decode_image(input, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """An image from a path or from its bytes (uint8 1-D tensor) -> uint8 (C, H, W)."""
    from .._tensor import Tensor
    if not isinstance(input, Tensor):
        input = read_file(input)
    return _decode(_bytes_of(input, "decode_image"), mode, apply_exif_orientation)


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation=False):
    """The image file at ``path`` as a uint8 (C, H, W) tensor."""
    return decode_image(read_file(path), mode, apply_exif_orientation)


def _hwc(input):
    from .._tensor import Tensor
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a uint8 tensor of shape (C, H, W), got {type(input)}")
    if input.dtype.name != "uint8":
        raise RuntimeError("Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise RuntimeError("Input data should be a 3-dimensional tensor")
    c = input.shape[0]
    if c not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {c}")
    a = np.asarray(input.detach().cpu()._v).transpose(1, 2, 0)
    return np.ascontiguousarray(a[:, :, 0] if c == 1 else a)


def _encode(a, fmt, **options):
    buf = _io.BytesIO()
    _pil().fromarray(a).save(buf, format=fmt, **options)
    return _tensor(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def encode_png(input, compression_level=6):
    """uint8 (C, H, W) with C in {1, 3} -> PNG bytes as a uint8 1-D tensor."""
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    return _encode(_hwc(input), "PNG", compress_level=compression_level)


def encode_jpeg(input, quality=75):
    """uint8 (C, H, W) with C in {1, 3} (or a list of them) -> JPEG bytes as uint8 1-D
    tensor(s)."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [encode_jpeg(t, quality) for t in input]
    return _encode(_hwc(input), "JPEG", quality=quality)


def write_png(input, filename, compression_level=6):
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input, filename, quality=75):
    write_file(filename, encode_jpeg(input, quality))
