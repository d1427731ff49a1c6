"""Reductions. `dim` arrives normalised to a tuple of non-negative ints, or None for all."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .registry import defop


def _scalar_ok(fn):
    """Ops taking one `dim`: a 0-d input (where torch accepts dim 0 / -1) runs as shape (1,)."""
    @functools.wraps(fn)
    def f(x, *args, **kw):
        if x.ndim:
            return fn(x, *args, **kw)
        out = fn(jnp.reshape(x, (1,)), *args, **kw)
        if isinstance(out, tuple):
            return tuple(jnp.reshape(o, ()) for o in out)
        return jnp.reshape(out, ())
    return f


def _int_to_long(x, dtype):
    if dtype is not None:
        return x.astype(dtype.np)
    if x.dtype == jnp.bool_ or jnp.issubdtype(x.dtype, jnp.integer):
        return x.astype(jnp.int64)
    return x


@defop(saves="none", grad=lambda dim, keepdim, dtype: "SumBackward0" if dim is None
       else "SumBackward1")
def sum(x, dim=None, keepdim=False, dtype=None):
    return jnp.sum(_int_to_long(x, dtype), axis=dim, keepdims=keepdim)


@defop(saves="none", grad=lambda dim, keepdim, dtype: "MeanBackward0" if dim is None
       else "MeanBackward1")
def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.astype(dtype.np)
    return jnp.mean(x, axis=dim, keepdims=keepdim)


@defop(grad=lambda dim, keepdim, dtype: "ProdBackward0" if dim is None else "ProdBackward1")
def prod(x, dim=None, keepdim=False, dtype=None):
    return jnp.prod(_int_to_long(x, dtype), axis=dim, keepdims=keepdim)


@defop(grad="NansumBackward0")
def nansum(x, dim=None, keepdim=False, dtype=None):
    return jnp.nansum(_int_to_long(x, dtype), axis=dim, keepdims=keepdim)


@defop(grad="MaxBackward1")
def max_all(x):
    return jnp.max(x)


@defop(grad="MinBackward1")
def min_all(x):
    return jnp.min(x)


@defop(grad="MaxBackward0", saves="none")   # torch saves only the indices
@_scalar_ok
def max_dim(x, dim, keepdim=False):
    i = jnp.argmax(x, axis=dim, keepdims=True)
    v = jnp.take_along_axis(x, i, axis=dim)
    if not keepdim:
        v, i = jnp.squeeze(v, dim), jnp.squeeze(i, dim)
    return v, i.astype(jnp.int64)


@defop(grad="MinBackward0", saves="none")   # torch saves only the indices
@_scalar_ok
def min_dim(x, dim, keepdim=False):
    i = jnp.argmin(x, axis=dim, keepdims=True)
    v = jnp.take_along_axis(x, i, axis=dim)
    if not keepdim:
        v, i = jnp.squeeze(v, dim), jnp.squeeze(i, dim)
    return v, i.astype(jnp.int64)


@defop()
def amax(x, dim=None, keepdim=False):
    return jnp.max(x, axis=dim, keepdims=keepdim)


@defop()
def amin(x, dim=None, keepdim=False):
    return jnp.min(x, axis=dim, keepdims=keepdim)


@defop(differentiable=False)
@_scalar_ok
def argmax(x, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmax(jnp.ravel(x))
        return (jnp.reshape(r, (1,) * x.ndim) if keepdim else r).astype(jnp.int64)
    return jnp.argmax(x, axis=dim, keepdims=keepdim).astype(jnp.int64)


@defop(differentiable=False)
@_scalar_ok
def argmin(x, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmin(jnp.ravel(x))
        return (jnp.reshape(r, (1,) * x.ndim) if keepdim else r).astype(jnp.int64)
    return jnp.argmin(x, axis=dim, keepdims=keepdim).astype(jnp.int64)


@defop(grad=lambda dim, correction, keepdim: "VarBackward0")
def var(x, dim=None, correction=1, keepdim=False):
    return jnp.var(x, axis=dim, ddof=correction, keepdims=keepdim)


@defop(grad=lambda dim, correction, keepdim: "StdBackward0")
def std(x, dim=None, correction=1, keepdim=False):
    v = jnp.var(x, axis=dim, ddof=correction, keepdims=keepdim)
    # torch's gradient of std is 0 (not nan) where std is 0
    return jnp.where(v > 0, jnp.sqrt(jnp.where(v > 0, v, 1)), v * 0)


@defop(grad=lambda p, dim, keepdim, dtype: "LinalgVectorNormBackward0")
def vector_norm(x, p=2, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.astype(dtype.np)
    a = jnp.abs(x)
    if p == float("inf"):
        return jnp.max(a, axis=dim, keepdims=keepdim)
    if p == float("-inf"):
        return jnp.min(a, axis=dim, keepdims=keepdim)
    if p == 0:
        return jnp.sum((a != 0).astype(a.dtype), axis=dim, keepdims=keepdim)
    if p == 2:
        # sqrt(sum x^2) with a safe gradient at 0 (PyTorch gives 0 there)
        s = jnp.sum(a * a, axis=dim, keepdims=keepdim)
        safe = jnp.where(s == 0, 1.0, s)    # NaN stays NaN (s > 0 turned it into 0)
        return jnp.where(s == 0, 0.0, jnp.sqrt(safe)).astype(a.dtype)
    if p == 1:
        return jnp.sum(a, axis=dim, keepdims=keepdim)
    return jnp.sum(a ** p, axis=dim, keepdims=keepdim) ** (1.0 / p)


@defop(saves="inputs")
@_scalar_ok
def logsumexp(x, dim, keepdim=False):
    return jax.scipy.special.logsumexp(x, axis=dim, keepdims=keepdim)


@defop(saves="none")
@_scalar_ok
def cumsum(x, dim, dtype=None):
    x = _int_to_long(x, dtype)
    if x.dtype in (jnp.float16, jnp.bfloat16):   # accumulates in float32, as PyTorch
        return jnp.cumsum(x.astype(jnp.float32), axis=dim).astype(x.dtype)
    return jnp.cumsum(x, axis=dim)


@defop()
@_scalar_ok
def cumprod(x, dim, dtype=None):
    x = _int_to_long(x, dtype)
    if x.dtype in (jnp.float16, jnp.bfloat16):
        return jnp.cumprod(x.astype(jnp.float32), axis=dim).astype(x.dtype)
    return jnp.cumprod(x, axis=dim)


@defop(differentiable=False)
def all(x, dim=None, keepdim=False):
    return jnp.all(x, axis=dim, keepdims=keepdim)


@defop(differentiable=False)
def any(x, dim=None, keepdim=False):
    return jnp.any(x, axis=dim, keepdims=keepdim)


@defop(differentiable=False)
def count_nonzero(x, dim=None):
    return jnp.count_nonzero(x, axis=dim).astype(jnp.int64)


@defop(grad="SoftmaxBackward0", saves="output")
@_scalar_ok
def softmax(x, dim, dtype=None):
    if dtype is not None:
        x = x.astype(dtype.np)
    elif not jnp.issubdtype(x.dtype, jnp.inexact):
        from .pointwise import not_implemented_for
        raise not_implemented_for("softmax_kernel_impl", x.dtype)
    return jax.nn.softmax(x, axis=dim)


@defop(grad="LogSoftmaxBackward0", saves="output")
@_scalar_ok
def log_softmax(x, dim, dtype=None):
    if dtype is not None:
        x = x.astype(dtype.np)
    elif not jnp.issubdtype(x.dtype, jnp.inexact):
        from .pointwise import not_implemented_for
        raise not_implemented_for("log_softmax_lastdim_kernel_impl", x.dtype)
    return jax.nn.log_softmax(x, axis=dim)


@defop(grad="MedianBackward0")
def median_all(x):
    # torch returns the lower of the two middle values
    flat = jnp.sort(jnp.ravel(x))
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return flat[(flat.shape[0] - 1) // 2]
    v = jax.lax.stop_gradient(flat[(flat.shape[0] - 1) // 2])
    # the value is v; the gradient is spread evenly over the elements equal to it, as in torch
    tie = x == v
    r = jnp.sum(jnp.where(tie, x, 0)) / jnp.sum(tie).astype(x.dtype)
    return jnp.where(jnp.isnan(flat[-1]), flat[-1], r)   # a NaN anywhere is the median


@defop(grad="MedianBackward1", saves="none")   # torch saves only the indices
@_scalar_ok
def median_dim(x, dim, keepdim=False):
    i = jnp.argsort(x, axis=dim, stable=True)
    k = (x.shape[dim] - 1) // 2
    idx = jnp.take(i, jnp.array([k]), axis=dim)
    if jnp.issubdtype(x.dtype, jnp.inexact):   # a NaN in the slice is its median, as torch
        nan = jnp.isnan(x)
        first = jnp.argmax(nan, axis=dim, keepdims=True)
        idx = jnp.where(jnp.any(nan, axis=dim, keepdims=True), first, idx)
    v = jnp.take_along_axis(x, idx, axis=dim)
    if not keepdim:
        v, idx = jnp.squeeze(v, dim), jnp.squeeze(idx, dim)
    return v, idx.astype(jnp.int64)
