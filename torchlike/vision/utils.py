"""torchvision.utils: make_grid and save_image."""
from __future__ import annotations

import math

import numpy as np


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0, **kwargs):
    """Arrange a batch (B, C, H, W) (or a list of CHW tensors) into one image, like torchvision."""
    import jax.numpy as jnp
    from .._tensor import Tensor, _new
    if isinstance(tensor, (list, tuple)):
        arr = np.stack([np.asarray(t.detach()._v) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = np.asarray(tensor.detach()._v)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    arr = arr.copy()
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate([arr, arr, arr], 0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr, arr, arr], 1)
    if normalize:
        def norm_range(t, lo, hi):
            np.clip(t, lo, hi, out=t)
            t -= lo
            t /= max(hi - lo, 1e-5)
        if scale_each:
            for t in arr:
                lo, hi = value_range if value_range is not None else (t.min(), t.max())
                norm_range(t, float(lo), float(hi))
        else:
            lo, hi = value_range if value_range is not None else (arr.min(), arr.max())
            norm_range(arr, float(lo), float(hi))
    if arr.shape[0] == 1:
        return _new(jnp.asarray(arr[0]))
    nmaps = arr.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(arr.shape[2] + padding), int(arr.shape[3] + padding)
    num_channels = arr.shape[1]
    grid = np.full((num_channels, height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid[:, y * height + padding: y * height + padding + height - padding,
                 x * width + padding: x * width + padding + width - padding] = arr[k]
            k += 1
    return _new(jnp.asarray(grid))


def save_image(tensor, fp, format=None, **kwargs):
    from PIL import Image
    grid = make_grid(tensor, **kwargs)
    a = np.asarray(grid._v)
    a = np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    Image.fromarray(a).save(fp, format=format)
