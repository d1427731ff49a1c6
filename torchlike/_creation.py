"""Tensor creation: from data, constant fills, ranges and random sampling."""
from __future__ import annotations

import builtins
import functools
import math
import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._autograd_core import INFERENCE
from . import _interp
from ._random import gen
from ._ops import random as _random_ops
from ._ops.registry import TABLE
from ._tensor import Size, Tensor, _alias, _new, jax_device, place

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


_INT64_MAX = 2 ** 63 - 1
_LIMIT = []


def _memory_limit():
    """The most bytes one allocation may ask for: the device's limit, or on CPU the machine's
    memory and swap (what Linux's default overcommit refuses beyond)."""
    if not _LIMIT:
        limit = None
        dev = jax.devices()[0]
        if dev.platform != "cpu":
            limit = (dev.memory_stats() or {}).get("bytes_limit")
        else:
            try:
                with open("/proc/meminfo") as f:
                    info = dict(line.split(":", 1) for line in f)
                limit = sum(int(info[k].split()[0]) * 1024 for k in ("MemTotal", "SwapTotal"))
            except (OSError, KeyError, ValueError):
                try:
                    limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                except (ValueError, OSError, AttributeError):
                    limit = None
        _LIMIT.append(limit)
    return _LIMIT[0]


def _check_alloc(shape, dtype):
    """PyTorch's errors for a tensor too large to exist (RuntimeError, never an abort inside
    XLA or a deferred error): the size in bytes overflows int64, or exceeds the memory there is
    (PyTorch's allocator error, raised before anything is allocated)."""
    n = 1
    for s in shape:
        n *= s
        if n > _INT64_MAX:
            break
    n *= np.dtype(getattr(dtype, "np", dtype)).itemsize
    if n > _INT64_MAX:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    limit = _memory_limit()
    if limit is not None and n > limit:
        if jax.devices()[0].platform == "cpu":
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator:"
                               f" can't allocate memory: you tried to allocate {n} bytes. Error "
                               "code 12 (Cannot allocate memory)")
        raise RuntimeError(f"out of memory: tried to allocate {n} bytes on "
                           f"{jax.devices()[0].platform}; the device holds {limit} bytes")
    return tuple(shape)


def _finish(v, device, requires_grad, dtype=None):
    v = place(v, jax_device(device))
    t = _new(v)
    if INFERENCE[0]:
        t._inference = True     # a factory under inference_mode makes an inference tensor
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
    """A jax array of a NumPy array: a transfer to the device, no XLA program per shape."""
    return _interp.to_device(a)


def _dt(dtype, default=None):
    if dtype is None:
        return default or D.get_default_dtype()
    return D.to_dtype(dtype)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw):
    try:
        shape = _size(size, kw)
    except RuntimeError as e:
        if "negative dimension" in str(e):
            raise RuntimeError("zeros: Dimension size must be non-negative.") from None
        raise
    return _zeros(shape, dtype, device, requires_grad)


def _zeros(shape, dtype, device, requires_grad):
    d = _dt(dtype)
    return _finish(_host(np.zeros(_check_alloc(shape, d), d.np)), device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, **kw):
    d = _dt(dtype)
    return _finish(_host(np.ones(_check_alloc(_size(size, kw), d), d.np)), device,
                   requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          memory_format=None, **kw):
    return _zeros(_size(size, kw), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _dt(dtype, D.scalar_dtype(fill_value))
    return _finish(_host(np.full(_check_alloc(_size((size,)), d), fill_value, d.np)), device,
                   requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    d = _dt(dtype)
    _check_alloc(_size((n, n if m is None else m)), d)
    return _finish(_host(np.eye(n, m, dtype=d.np)), device, requires_grad)


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
    _check_alloc((n,), d)
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
    _check_alloc((int(steps),), d)
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
                                  f'{D.scalar_name(d)}\'')
    return d


def _rand_sample(kind, shape, d, generator, *params):
    _check_alloc(shape, d)
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


def _check_multinomial(input, n, replacement):
    """PyTorch's checks, in its order (aten's multinomial and its CPU kernel)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(n).__name__}")
    if not 1 <= input.dim() <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                 "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                 "complex128": "ComplexDouble"}
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{names.get(input.dtype.name, input.dtype.name)}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if k > 2 ** 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    v = input._v
    if isinstance(v, jax.core.Tracer) and input.numel():
        # under torchlike.compile: checked in the program, raised after the step
        # (_checks.py); a row mixing a negative and an infinite entry may name either
        from . import _checks
        one = not replacement or n == 1
        _checks.first_bad(v, lambda a: ~(a >= 0) if not one else ~((a >= 0) & (a < np.inf)),
                          lambda _: RuntimeError(
                              "probability tensor contains either `inf`, `nan` or element < 0"
                              if one else "invalid multinomial distribution (encountering "
                              "probability entry < 0)"))
        if not one:
            _checks.first_bad(v, lambda a: a == np.inf, lambda _: RuntimeError(
                "invalid multinomial distribution (encountering probability entry = infinity "
                "or NaN)"))
        _checks.first_bad(v.reshape(-1, k).sum(-1), lambda a: a == 0 if one else ~(a > 0),
                          lambda _: RuntimeError("invalid multinomial distribution (sum of "
                                                 "probabilities <= 0)"))
        return
    if isinstance(v, jax.core.Tracer) or input.numel() == 0:
        if k == 0 and replacement and n > 1:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        return
    a = np.asarray(v, dtype=np.float64).reshape(-1, k)
    if not replacement or n == 1:
        if not (a.max() < np.inf and a.min() >= 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (a.sum(-1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        return
    for row in a:
        bad = np.flatnonzero(~((row >= 0) & np.isfinite(row)))
        if bad.size:
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               + ("entry < 0)" if not row[bad[0]] >= 0
                                  else "entry = infinity or NaN)"))
        if not row.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    _check_multinomial(input, num_samples, replacement)
    num_samples = int(num_samples)
    _check_alloc(tuple(input.shape[:-1]) + (num_samples,), D.int64)
    if input.numel() == 0:
        return _new(jnp.zeros(tuple(input.shape[:-1]) + (num_samples,), jnp.int64))
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
