"""torchvision.utils: make_grid and save_image.

The grid is assembled in NumPy on the host, so unlike torchvision the result carries no
autograd history; values, dtype and shape are torchvision's."""
from __future__ import annotations

import math

import numpy as np


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Arrange a batch (B, C, H, W) or a list of (C, H, W) images into one (C, H', W') image."""
    from .._tensor import Tensor
    from .._creation import from_numpy
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError("tensor or list of tensors expected, got a list containing "
                                    f"{type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        from ..import _functions
        tensor = _functions.stack(tensor, dim=0)
    arr = np.array(tensor.detach().cpu()._v)
    if arr.ndim == 2:   # single image H x W
        arr = arr[None]
    if arr.ndim == 3:   # single image; one channel becomes three
        if arr.shape[0] == 1:
            arr = np.concatenate([arr, arr, arr], 0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr, arr, arr], 1)
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")

        def norm_range(t):   # in place, in the tensor's dtype, as torch's clamp_/sub_/div_
            low, high = value_range if value_range is not None else (float(t.min()),
                                                                     float(t.max()))
            np.clip(t, low, high, out=t)
            t -= t.dtype.type(low)
            t /= t.dtype.type(max(high - low, 1e-5))

        for t in (arr if scale_each is True else [arr]):
            norm_range(t)
    if arr.shape[0] == 1:
        return from_numpy(np.ascontiguousarray(arr[0]))
    nmaps = arr.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(arr.shape[2] + padding), int(arr.shape[3] + padding)
    grid = np.full((arr.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = arr[k]
    return from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """make_grid(tensor, **kwargs), scaled to uint8 and saved with Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("save_image needs Pillow: pip install pillow") from None
    a = np.asarray(make_grid(tensor, **kwargs)._v)
    a = a * a.dtype.type(255) + a.dtype.type(0.5) if a.dtype.kind == "f" else a * 255 + 0.5
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8).transpose(1, 2, 0)).save(fp, format=format)
