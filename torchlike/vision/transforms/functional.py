"""Functional image ops on PIL images (when Pillow is installed), numpy HWC arrays and tensors.

PIL images are converted with PIL exactly as torchvision does; tensors (``..., C, H, W``) are
sliced with torchlike ops (so crops and flips keep autograd); numpy arrays are treated as HWC.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

try:  # Pillow is an optional extra
    from PIL import Image
except ImportError:  # pragma: no cover - exercised only without Pillow
    Image = None


def _tensor_cls():
    from ..._tensor import Tensor
    return Tensor


def _is_pil(img):
    return Image is not None and isinstance(img, Image.Image)


def _new_tensor(arr):
    import jax.numpy as jnp
    from ..._tensor import _new
    return _new(jnp.asarray(arr))


def _tensor_np(t):
    return np.asarray(t.detach()._v)


def get_dimensions(img):
    """[channels, height, width]."""
    if isinstance(img, _tensor_cls()):
        c = 1 if img.dim() == 2 else img.shape[-3]
        return [c, img.shape[-2], img.shape[-1]]
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    a = np.asarray(img)
    return [1 if a.ndim == 2 else a.shape[2], a.shape[0], a.shape[1]]


def get_image_size(img):
    _, h, w = get_dimensions(img)
    return [w, h]


def to_tensor(pic):
    """uint8 HWC (PIL or numpy) -> float32 CHW in [0, 1]; other numpy dtypes keep their dtype."""
    if _is_pil(pic):
        mode_to_nptype = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        img = np.array(pic, mode_to_nptype.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            img = 255 * img
        img = img.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        return _new_tensor(_chw_to_float(img))
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        return _new_tensor(_chw_to_float(pic))
    raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")


def _chw_to_float(hwc):
    chw = np.ascontiguousarray(np.moveaxis(hwc, -1, -3))
    if chw.dtype == np.uint8:
        return chw.astype(np.float32) / np.float32(255)
    return chw


def pil_to_tensor(pic):
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = np.array(pic, copy=True)
    if a.ndim == 2:
        a = a[:, :, None]
    return _new_tensor(np.ascontiguousarray(np.moveaxis(a, -1, 0)))


def normalize(tensor, mean, std, inplace=False):
    Tensor = _tensor_cls()
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    dt = np.dtype(tensor._v.dtype)
    m = np.asarray(mean, dtype=dt).reshape(-1, 1, 1)
    s = np.asarray(std, dtype=dt).reshape(-1, 1, 1)
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    if tensor.requires_grad:
        return (tensor - _new_tensor(m)) / _new_tensor(s)
    out = _new_tensor((_tensor_np(tensor) - m) / s)
    if inplace:
        tensor.copy_(out)
        return tensor
    return out


# ------------------------------------------------------------------ geometry helpers


def _to_hwc(img):
    """(numpy HWC array, rebuild function) for PIL images and numpy arrays."""
    if _is_pil(img):
        mode = img.mode
        a = np.array(img)

        def back(x):
            out = Image.fromarray(np.ascontiguousarray(x))
            return out.convert(mode) if out.mode != mode and x.ndim == a.ndim else out
        return a, back
    a = np.asarray(img)
    return a, (lambda x: x)


def crop(img, top, left, height, width):
    if isinstance(img, _tensor_cls()):
        h, w = img.shape[-2], img.shape[-1]
        if top < 0 or left < 0 or top + height > h or left + width > w:
            pad_ = [max(-left, 0), max(-top, 0), max(left + width - w, 0),
                    max(top + height - h, 0)]
            img = pad(img, pad_)
            top, left = max(top, 0), max(left, 0)
        return img[..., top:top + height, left:left + width]
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    a = np.asarray(img)
    return a[top:top + height, left:left + width]


def center_crop(img, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [
            (crop_width - image_width) // 2 if crop_width > image_width else 0,
            (crop_height - image_height) // 2 if crop_height > image_height else 0,
            (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
            (crop_height - image_height + 1) // 2 if crop_height > image_height else 0,
        ]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def hflip(img):
    if isinstance(img, _tensor_cls()):
        from ... import _functions as F
        return F.flip(img, [-1])
    if _is_pil(img):
        return img.transpose(Image.FLIP_LEFT_RIGHT)
    return np.ascontiguousarray(np.asarray(img)[:, ::-1])


def vflip(img):
    if isinstance(img, _tensor_cls()):
        from ... import _functions as F
        return F.flip(img, [-2])
    if _is_pil(img):
        return img.transpose(Image.FLIP_TOP_BOTTOM)
    return np.ascontiguousarray(np.asarray(img)[::-1])


def _parse_pad(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


_NP_MODE = {"constant": "constant", "edge": "edge", "reflect": "reflect",
            "symmetric": "symmetric"}


def pad(img, padding, fill=0, padding_mode="constant"):
    if padding_mode not in _NP_MODE:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _parse_pad(padding)
    if isinstance(img, _tensor_cls()):
        a = _tensor_np(img)
        width = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
        kw = {"constant_values": fill} if padding_mode == "constant" else {}
        return _new_tensor(np.pad(a, width, mode=_NP_MODE[padding_mode], **kw))
    a, back = _to_hwc(img)
    width = [(top, bottom), (left, right)] + [(0, 0)] * (a.ndim - 2)
    kw = {}
    if padding_mode == "constant":
        kw["constant_values"] = fill if not isinstance(fill, (tuple, list)) else 0
    out = np.pad(a, width, mode=_NP_MODE[padding_mode], **kw)
    if padding_mode == "constant" and isinstance(fill, (tuple, list)) and a.ndim == 3:
        mask = np.ones(out.shape[:2], bool)
        mask[top:top + a.shape[0], left:left + a.shape[1]] = False
        out[mask] = np.asarray(fill, out.dtype)
    return back(out)


def _resized_size(h, w, size, max_size=None):
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return [int(size[0]), int(size[1])]
    s = size[0] if isinstance(size, (list, tuple)) else size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None:
        if max_size <= s:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested "
                             f"size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return [new_long, new_short] if w <= h else [new_short, new_long]


def resize(img, size, interpolation=None, max_size=None, antialias=True):
    from .transforms import InterpolationMode, _PIL_INTERP
    interpolation = interpolation or InterpolationMode.BILINEAR
    _, h, w = get_dimensions(img)
    oh, ow = _resized_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if isinstance(img, _tensor_cls()):
        import jax
        import jax.numpy as jnp
        v = img.detach()._v
        method = {"nearest": "nearest", "nearest-exact": "nearest", "bilinear": "linear",
                  "bicubic": "cubic"}.get(interpolation.value, "linear")
        x = v.astype(jnp.float32) if not jnp.issubdtype(v.dtype, jnp.floating) else v
        out = jax.image.resize(x, v.shape[:-2] + (oh, ow), method=method,
                               antialias=antialias)
        if not jnp.issubdtype(v.dtype, jnp.floating):
            out = jnp.clip(jnp.round(out), 0, 255).astype(v.dtype)
        from ..._tensor import _new
        return _new(out)
    if _is_pil(img):
        return img.resize((ow, oh), _PIL_INTERP[interpolation])
    if Image is not None:
        a = np.asarray(img)
        return np.asarray(resize(Image.fromarray(a), size, interpolation, max_size, antialias))
    raise TypeError("resizing numpy images needs Pillow; pass a tensor instead")


def rgb_to_grayscale(img, num_output_channels=1):
    if isinstance(img, _tensor_cls()):
        a = _tensor_np(img)
        r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).astype(a.dtype)[..., None, :, :]
        if num_output_channels == 3:
            gray = np.repeat(gray, 3, axis=-3)
        return _new_tensor(gray)
    if _is_pil(img):
        out = img.convert("L")
        if num_output_channels == 3:
            a = np.array(out)
            out = Image.fromarray(np.dstack([a, a, a]), "RGB")
        return out
    a = np.asarray(img).astype(np.float32)
    gray = (0.2989 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2])
    gray = gray.astype(np.asarray(img).dtype)
    return np.dstack([gray] * num_output_channels) if num_output_channels == 3 else gray


def to_grayscale(img, num_output_channels=1):
    return rgb_to_grayscale(img, num_output_channels)


def _float_to_byte(a):
    """torch's ``t.mul(255).byte()``: truncate toward zero, wrap modulo 256."""
    return (np.trunc(a * np.float32(255)).astype(np.int64) & 0xFF).astype(np.uint8)


def to_pil_image(pic, mode=None):
    if Image is None:
        raise ImportError("ToPILImage needs Pillow: pip install pillow")
    Tensor = _tensor_cls()
    if isinstance(pic, Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        a = _tensor_np(pic)
        if a.ndim == 2:
            a = a[None]
        if np.issubdtype(a.dtype, np.floating) and mode != "F":
            a = _float_to_byte(a)
        npimg = np.transpose(a, (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if npimg.shape[2] == 1:
        npimg = npimg[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected and not (mode == "L" and expected == "L"):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type "
                             f"{npimg.dtype}. Should be {expected}")
        mode = expected
    elif npimg.shape[2] in (2, 3, 4):
        mode = mode or {2: "LA", 3: "RGB", 4: "RGBA"}[npimg.shape[2]]
        if npimg.dtype != np.uint8:
            raise TypeError(f"Input type {npimg.dtype} is not supported")
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    out = Image.fromarray(np.ascontiguousarray(npimg))
    return out if out.mode == mode else out.convert(mode)


# ------------------------------------------------------------------ crops, colour, blur
# torchvision's tensor formulas (torchvision/transforms/_functional_tensor.py); PIL images
# go through a uint8 tensor and back.


def __getattr__(name):
    if name == "InterpolationMode":     # torchvision.transforms.functional.InterpolationMode
        from .transforms import InterpolationMode
        return InterpolationMode
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def resized_crop(img, top, left, height, width, size, interpolation=None, antialias=True):
    """Crop ``img`` at (top, left, height, width), then resize the crop to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def _via_tensor(img, fn):
    if isinstance(img, _tensor_cls()):
        return fn(img)
    if _is_pil(img):
        mode = img.mode
        out = to_pil_image(fn(pil_to_tensor(img)))
        return out.convert(mode) if out.mode != mode else out
    raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")


def _blend(img1, img2, ratio):
    bound = 1.0 if img1.is_floating_point() else 255.0
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def _check_factor(name, factor):
    if factor < 0:
        raise ValueError(f"{name} ({factor}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    _check_factor("brightness_factor", brightness_factor)
    import torchlike as tl
    return _via_tensor(img, lambda t: _blend(t, tl.zeros_like(t), brightness_factor))


def adjust_contrast(img, contrast_factor):
    _check_factor("contrast_factor", contrast_factor)

    def f(t):
        c = t.shape[-3]
        dtype = t.dtype if t.is_floating_point() else __import__("torchlike").float32
        g = rgb_to_grayscale(t).to(dtype) if c == 3 else t.to(dtype)
        mean = g.mean(dim=(-3, -2, -1), keepdim=True)
        return _blend(t, mean, contrast_factor)
    return _via_tensor(img, f)


def adjust_saturation(img, saturation_factor):
    _check_factor("saturation_factor", saturation_factor)

    def f(t):
        if t.shape[-3] == 1:
            return t
        return _blend(t, rgb_to_grayscale(t), saturation_factor)
    return _via_tensor(img, f)


def _rgb2hsv(img):
    import torchlike as tl
    r, g, b = img.unbind(dim=-3)
    maxc = tl.max(img, dim=-3).values
    minc = tl.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = tl.ones_like(maxc)
    s = cr / tl.where(eqc, ones, maxc)
    cr_divisor = tl.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = tl.fmod((h / 6.0 + 1.0), 1.0)
    return tl.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    import torchlike as tl
    h, s, v = img.unbind(dim=-3)
    i = tl.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=tl.int32)
    p = tl.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = tl.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = tl.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == tl.arange(6, device=i.device).view(-1, 1, 1)
    a1 = tl.stack((v, q, p, p, t, v), dim=-3)
    a2 = tl.stack((t, v, v, q, p, p), dim=-3)
    a3 = tl.stack((p, p, t, v, v, q), dim=-3)
    a4 = tl.stack((a1, a2, a3), dim=-4)
    return tl.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")

    def f(t):
        import torchlike as tl
        if t.shape[-3] == 1:
            return t
        orig = t.dtype
        x = t.to(tl.float32) / 255.0 if orig == tl.uint8 else t
        hsv = _rgb2hsv(x)
        h, s, v = hsv.unbind(dim=-3)
        h = (h + hue_factor) % 1.0
        out = _hsv2rgb(tl.stack((h, s, v), dim=-3))
        return (out * 255.0).to(orig) if orig == tl.uint8 else out
    return _via_tensor(img, f)


def _gaussian_kernel1d(ksize, sigma):
    import torchlike as tl
    half = (ksize - 1) * 0.5
    x = tl.linspace(-half, half, steps=ksize)
    pdf = tl.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a separable Gaussian kernel, reflect padding (torchvision's gaussian_blur)."""
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    kernel_size = list(kernel_size)
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    sigma = list(sigma)
    if len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")

    def f(t):
        import torchlike as tl
        import torchlike.nn.functional as NF
        kx = _gaussian_kernel1d(kernel_size[0], sigma[0])
        ky = _gaussian_kernel1d(kernel_size[1], sigma[1])
        dtype = t.dtype if t.is_floating_point() else tl.float32
        k2 = (ky[:, None] * kx[None, :]).to(dtype)
        c = t.shape[-3]
        k2 = k2.expand(c, 1, kernel_size[1], kernel_size[0])
        squeeze = t.dim() == 3
        x = t.unsqueeze(0) if squeeze else t
        x = x.to(dtype)
        p = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2]
        x = NF.pad(x, p, mode="reflect")
        x = NF.conv2d(x, k2, groups=c)
        if squeeze:
            x = x.squeeze(0)
        if not t.is_floating_point():
            x = tl.round(x).to(t.dtype)
        return x
    return _via_tensor(img, f)
