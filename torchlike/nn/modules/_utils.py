"""Argument helpers shared by the layers (`_single`, `_pair`, ... as in PyTorch)."""
from __future__ import annotations

import collections
from itertools import repeat

from ... import _creation as C
from ... import _dtype as D


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    return tuple(x for x in reversed(t) for _ in range(n))


def empty(*shape, device=None, dtype=None):
    """A parameter-sized tensor in the default float dtype (float32 unless changed)."""
    return C.empty(*shape, dtype=dtype or D.get_default_dtype(), device=device)
