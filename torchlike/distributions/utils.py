"""Helpers shared by the distributions (PyTorch's ``torch.distributions.utils``)."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from .. import _dtype as D
from .._autograd_core import enable_grad
from .._tensor import Size, Tensor, _is_tracer

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "euler_constant", "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060


def _finfo(dtype):
    return np.finfo(dtype.np)


def broadcast_all(*values):
    """Broadcast tensors and numbers together; numbers take the first tensor's dtype."""
    import torchlike as T
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or "
                         "objects implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        opts = dict(dtype=D.get_default_dtype())
        for v in values:
            if isinstance(v, Tensor):
                opts = dict(dtype=v.dtype, device=v.device)
                break
        values = [v if isinstance(v, Tensor) else T.tensor(v, **opts) for v in values]
    return T.broadcast_tensors(*values)


def _standard_normal(shape, dtype, device):
    import torchlike as T
    return T.randn(tuple(shape), dtype=dtype, device=device)


def _sum_rightmost(value, dim):
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary=False):
    import torchlike as T
    if is_binary:
        return T.sigmoid(logits)
    return T.softmax(logits, -1)


def clamp_probs(probs):
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    import torchlike as T
    ps = clamp_probs(probs)
    if is_binary:
        return T.log(ps) - T.log1p(-ps)
    return T.log(ps)


def expand_param(src, new, shape):
    """`expand` of a distribution given by `probs` or `logits`: each of the two that `src`
    holds (both once the other was computed) is expanded onto `new`, whose `_param` is the
    last one set, as in PyTorch's expand methods."""
    for name in ("probs", "logits"):
        if name in src.__dict__:
            v = getattr(src, name).expand(shape)
            setattr(new, name, v)
            new._param = v


class lazy_property:
    """A non-data descriptor computed on first access and then cached on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def tril_matrix_to_vec(mat, diag=0):
    import torchlike as T
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    ar = T.arange(n)
    mask = ar < ar.view(-1, 1) + (diag + 1)
    return mat[..., mask]


def vec_to_tril_matrix(vec, diag=0):
    import math
    import torchlike as T
    n = (-(1 + 2 * diag) + math.sqrt((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag)
                                     * (diag + 1))) / 2
    eps = float(np.finfo(np.float32).eps)
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be "
                         f"expressed as the lower triangular part of a square D x D matrix.")
    n = round(n.item()) if isinstance(n, Tensor) else round(n)
    mat = T.zeros(tuple(vec.shape[:-1]) + (n, n), dtype=vec.dtype)
    ar = T.arange(n)
    mask = ar < ar.view(-1, 1) + (diag + 1)
    mat[..., mask] = vec
    return mat


def _all_true(valid):
    """True when every entry holds; values being traced are not checked (nothing concrete)."""
    if isinstance(valid, Tensor):
        if _is_tracer(valid._v):
            return True
        return bool(valid.all())
    return bool(valid)


def _size(s):
    if isinstance(s, Size):
        return s
    if isinstance(s, int):
        return Size((s,))
    return Size(tuple(int(x) for x in s))


def _xlogy(x, y):
    """x * log(y), 0 where x == 0 (gradient-safe)."""
    import torchlike as T
    if not isinstance(x, Tensor):
        x = T.tensor(x, dtype=y.dtype)
    zero = x == 0
    return T.where(zero, T.zeros_like(y * x), x * T.log(T.where(zero, T.ones_like(y), y)))


class BinaryProbs:
    """`probs` and `logits` of a distribution over binary events (Bernoulli-like), each
    computed from the other on first use: the constructor sets one of them."""

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)
