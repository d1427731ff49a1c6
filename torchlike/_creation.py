"""Tensor creation: from data, constant fills, ranges and random sampling."""
from __future__ import annotations

import builtins
import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._random import gen
from ._ops import random as _random_ops
from ._ops.registry import TABLE
from ._tensor import Size, Tensor, _alias, _new, jax_device

_RANDOM = TABLE["random_sample"]
del _random_ops


def _size(args, kw=None):
    if kw and "size" in kw:
        args = (kw["size"],)
    if len(args) == 1 and isinstance(args[0], (tuple, list, Size)):
        args = tuple(args[0])
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"expected a sequence of integers as size, but got "
                            f"{type(a).__name__}")
        if a < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {a}: "
                               f"{list(args)}")
        out.append(int(a))
    return tuple(out)


def _finish(v, device, requires_grad, dtype=None):
    jd = jax_device(device)
    if jd is not None:
        v = jax.device_put(v, jd)
    t = _new(v)
    if requires_grad:
        if not jnp.issubdtype(v.dtype, jnp.inexact):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t.requires_grad = True
    return t


def _infer_dtype(data):
    """torch.tensor's dtype inference for nested Python data."""
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, np.ndarray):
        return D.from_np(data.dtype)
    if isinstance(data, np.generic):
        return D.from_np(data.dtype)
    if isinstance(data, (list, tuple)):
        best = None
        for x in data:
            d = _infer_dtype(x)
            if d is None:
                continue
            best = d if best is None else D.promote_types(best, d) if not (
                d.category == best.category) else (best if best.itemsize >= d.itemsize else d)
        return best
    if isinstance(data, (bool, int, float, complex)):
        return D.scalar_dtype(data)
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _to_numpy(data):
    if isinstance(data, Tensor):
        return np.asarray(data._v)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        return np.stack([_to_numpy(x) for x in data]) if data else np.zeros(0)
    return np.asarray(data)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Copy data into a new tensor, inferring PyTorch's dtype (float32 for Python floats)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    d = D.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
    if d is None:
        d = D.get_default_dtype()
    arr = _to_numpy(data)
    if arr.dtype == object or arr.dtype == np.uint64:
        big = [v for v in arr.reshape(-1).tolist() if isinstance(v, builtins.int)
               and not isinstance(v, builtins.bool) and not -2**63 <= v < 2**63]
        if big:
            raise ValueError("Overflow when unpacking long long")
    if arr.dtype == object:
        raise TypeError("can't convert data of mixed types to a tensor")
    return _finish(_host(np.asarray(arr, dtype=d.np)), device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if isinstance(data, np.ndarray) and dtype is None and device is None:
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(n):
    """Share memory with a numpy array both ways (see docs/porting.md for the rules)."""
    if not isinstance(n, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(n).__name__})")
    D.from_np(n.dtype)
    t = _new(None)
    a = _alias(n)
    if a is not None:
        t._data = a
        t._np = n
    else:
        t._np = n
        t._npcopy = True
        t._sync_np()
    return t


def _rebuild(arr, requires_grad, is_param):
    t = _new(_host(np.asarray(arr)))
    if is_param:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad)
    t._rg = requires_grad
    return t


def _legacy_new(dtype, args, device=None):
    if len(args) == 1 and not isinstance(args[0], int):
        return tensor(args[0], dtype=dtype, device=device)
    return zeros(*args, dtype=dtype, device=device)


# ------------------------------------------------------------------------------- fills


def _host(a):
    """A jax array of a NumPy array: a copy to the device, no XLA program per shape."""
    return jax.device_put(a)


def _dt(dtype, default=None):
    if dtype is None:
        return default or D.get_default_dtype()
    return D.to_dtype(dtype)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw):
    return _finish(_host(np.zeros(_size(size, kw), _dt(dtype).np)), device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw):
    return _finish(_host(np.ones(_size(size, kw), _dt(dtype).np)), device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, **kw):
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad, **kw)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _dt(dtype, D.scalar_dtype(fill_value))
    return _finish(_host(np.full(_size((size,)), fill_value, d.np)), device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _finish(_host(np.eye(n, m, dtype=_dt(dtype).np)), device, requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    isfloat = builtins.any(isinstance(v, float) for v in vals)
    d = _dt(dtype, D.get_default_dtype() if isfloat else D.int64)
    n = max(math.ceil((vals[1] - vals[0]) / vals[2]), 0)
    v = vals[0] + np.arange(n, dtype=np.float64 if isfloat or d.is_floating_point
                            else np.int64) * vals[2]
    return _finish(_host(np.asarray(v, d.np)), device, requires_grad)


def range_(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    n = int(math.floor((end - start) / step)) + 1
    d = _dt(dtype)
    return _finish(_host(np.asarray(start + np.arange(n) * step, d.np)), device,
                   requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    d = _dt(dtype)
    if int(steps) < 0:
        raise RuntimeError("number of steps must be non-negative")
    v = np.linspace(float(start), float(end), int(steps))
    return _finish(_host(np.asarray(v, d.np)), device, requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    d = _dt(dtype)
    return _finish(_host(np.asarray(base ** np.linspace(start, end, steps), d.np)), device,
                   requires_grad)


def _like(fn):
    @functools.wraps(fn)
    def like(input, *args, dtype=None, device=None, requires_grad=False, layout=None,
             memory_format=None, **kw):
        d = dtype if dtype is not None else input.dtype
        dev = device if device is not None else input.device
        return fn(*((input.shape,) + args), dtype=d, device=dev, requires_grad=requires_grad,
                  **kw)
    like.__name__ = fn.__name__ + "_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, **kw):
    return full(input.shape, fill_value, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


# ------------------------------------------------------------------------------ random


def _sample(key, kind, shape, dtype, *params):
    """Draw from `kind` with a raw uint32 key (the table op `random_sample`, see its module
    for why eager draws use a flat power-of-two length)."""
    shape, dtype = tuple(shape), np.dtype(dtype)
    p = [np.asarray(v, np.int64 if kind == "randint" else np.float64)
         for v in (list(params) + [0, 0])[:2]]
    n = math.prod(shape)
    if kind == "perm" or n == 0 or isinstance(key, jax.core.Tracer) \
            or jax.default_backend() != "cpu":
        return _RANDOM.kernel((kind, shape, dtype), None).jit(key, *p)
    bucket = 1 << max(12, (n - 1).bit_length())   # small draws share one 4096 sampler
    flat = _RANDOM.kernel((kind, (bucket,), dtype), None).jit(key, *p)
    return _host(np.asarray(flat)[:n].reshape(shape))


def _float_dt(dtype, what):
    d = _dt(dtype)
    if not d.is_floating_point:
        raise NotImplementedError(f'"{what}" not implemented for \''
                                  f'{_tnames(d)}\'')
    return d


def _tnames(d):
    from ._tensor import _TYPE_NAMES
    return _TYPE_NAMES.get(d.name, d.name)


def _rand_sample(kind, shape, d, generator, *params):
    key = gen(generator).next_key()
    return _sample(key, kind, shape, d.np, *params)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, **kw):
    d = _float_dt(dtype, "check_uniform_bounds")
    return _finish(_rand_sample("uniform", _size(size, kw), d, generator, 0.0, 1.0), device,
                   requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, **kw):
    d = _float_dt(dtype, "normal_kernel_cpu")
    return _finish(_rand_sample("normal", _size(size, kw), d, generator, 0.0, 1.0), device,
                   requires_grad)


def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False):
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    d = _dt(dtype, D.int64)
    return _finish(_rand_sample("randint", _size((size,)), d, generator, int(low), int(high)),
                   device, requires_grad)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    d = _dt(dtype, D.int64)
    return _finish(_rand_sample("perm", (int(n),), d, generator), device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, **kw):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, **kw):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           device=None, requires_grad=False):
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean if isinstance(mean, Tensor) else None
        s = std if isinstance(std, Tensor) else None
        ref = m if m is not None else s
        z = randn(ref.shape, generator=generator, dtype=ref.dtype)
        return z * std + mean
    d = _dt(dtype)
    return _finish(_rand_sample("normal", _size((size,)), d, generator, float(mean), float(std)),
                   device, requires_grad)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._v if p is None else jnp.full(input.shape, p)
    key = gen(generator).next_key()
    return _new(jax.random.bernoulli(key, probs).astype(input._v.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    key = gen(generator).next_key()
    p = input._v
    logits = jnp.log(p / p.sum(-1, keepdims=True))
    if replacement:
        s = jax.random.categorical(key, logits, axis=-1, shape=(num_samples,) + p.shape[:-1])
        s = jnp.moveaxis(s, 0, -1)
    else:
        g = jax.random.gumbel(key, p.shape)
        s = jnp.argsort(-(logits + g), axis=-1)[..., :num_samples]
    return _new(s.astype(jnp.int64))
