"""torch.finfo / torch.iinfo: the numerical limits of a dtype, read from NumPy (ml_dtypes for
bfloat16), printed as PyTorch prints them."""
from __future__ import annotations

import numpy as np

from . import _dtype as D


class finfo:
    """Limits of a floating dtype (the default dtype when none is given)."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        d = D.get_default_dtype() if type is None else D.to_dtype(type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(f"torch.finfo() requires a floating point input type. Use "
                            f"torch.iinfo to handle '{type}'")
        if d.is_complex:
            d = d.to_real()
        i = np.finfo(d.np)
        self.bits, self.eps, self.max, self.min = int(i.bits), float(i.eps), float(i.max), \
            float(i.min)
        self.tiny = self.smallest_normal = float(i.smallest_normal)
        self.resolution = 10.0 ** -int(i.precision)
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype."""

    def __init__(self, type):  # noqa: A002
        d = D.to_dtype(type)
        if d.is_floating_point or d.is_complex or d.name == "bool":
            raise TypeError(f"torch.iinfo() requires an integer input type. Use torch.finfo "
                            f"to handle '{type}'")
        i = np.iinfo(d.np)
        self.bits, self.max, self.min, self.dtype = int(i.bits), int(i.max), int(i.min), d.name

    def __repr__(self):
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"
