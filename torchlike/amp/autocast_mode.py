"""torch.autocast: mixed precision by per-op casting, as PyTorch's autocast dispatch key does.

The state is thread-local (as in PyTorch): per device type an enabled flag and a low-precision
dtype, plus the cast cache. Op dispatch calls `autocast_cast(op_name, args)` before running a
table op while any autocast is enabled (`STATE.on`, one attribute read otherwise); it returns
the arguments cast by PyTorch's policy for that op and device:

- the *lower* list (matmuls, convolutions, attention, RNN layers) casts floating inputs (never
  float64) to the autocast dtype;
- the *fp32* list (losses, linear-algebra decompositions, and on CUDA also softmax, norms, exp,
  log, pow, sums...) casts float16/bfloat16 inputs to float32;
- the *promote* list casts mixed floating inputs to the widest of them;
- every other op runs in its inputs' types.

Casts are `Tensor.to` calls, so they are recorded on the autograd tape (the gradient of an fp32
parameter used by a bfloat16 matmul is fp32, as in PyTorch) and traced under
`torchlike.compile`. Casts of leaf tensors that require grad (parameters) are cached until the
outermost autocast region exits, as PyTorch's `cache_enabled` does.

The lists were taken from PyTorch 2.13 by running each op under real `torch.autocast` (CPU)
and from PyTorch's autocast op reference (CUDA), mapped onto torchlike's op table names.
"""
from __future__ import annotations

import functools
import threading
import warnings

import jax

from .. import _dtype as D

__all__ = ["autocast", "autocast_cast", "is_autocast_available", "custom_fwd", "custom_bwd"]

# ------------------------------------------------------------------------------- op policies

_CPU_LOWER = frozenset({
    "mm", "matmul", "addmm", "addbmm", "bmm", "baddbmm", "convolution", "sdpa", "einsum",
    "tensordot", "prelu", "matrix_power", "rnn_layer", "rnn_layer_ex",
})
_CPU_FP32 = frozenset({
    # losses
    "nll_loss", "mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "huber_loss", "smooth_l1_loss", "poisson_nll_loss", "soft_margin_loss", "multi_margin_loss",
    # reductions / distances
    "prod", "cdist", "trace",
    # linear algebra
    "inv_ex", "cholesky_ex", "cholesky_solve", "lu", "lu_factor_ex", "lu_solve", "solve_ex",
    "solve_triangular", "svd", "svdvals", "qr", "eig", "eigvals", "eigh", "eigvalsh", "lstsq",
    "householder_product", "det", "slogdet", "logdet",
    "grid_sample2d",
})
_CPU_PROMOTE = frozenset({
    "cat", "stack", "index_copy", "index_put", "scatter_add", "atan2", "addcdiv", "addcmul",
    "cross",
})
_CUDA_LOWER = frozenset({
    "mm", "matmul", "addmm", "addbmm", "addmv", "addr", "bmm", "baddbmm", "mv", "convolution",
    "sdpa", "einsum", "prelu", "matrix_power", "rnn_layer", "rnn_layer_ex",
})
_CUDA_FP32 = frozenset({
    "pow", "pow_int", "pow_scalar", "rpow", "acos", "asin", "cosh", "sinh", "tan", "erfinv",
    "exp", "expm1", "log", "log10", "log1p", "log2", "reciprocal", "rsqrt",
    "binary_cross_entropy_with_logits", "cdist", "cumprod", "cumsum", "group_norm",
    "layer_norm", "log_softmax", "softmax", "mse_loss", "nll_loss", "smooth_l1_loss",
    "huber_loss", "poisson_nll_loss", "soft_margin_loss", "multi_margin_loss", "prod", "sum",
    "vector_norm", "matrix_norm", "softplus",
})
_CUDA_PROMOTE = frozenset({
    "cat", "stack", "index_copy", "index_put", "scatter_add", "atan2", "addcdiv", "addcmul",
    "cross", "dot", "grid_sample2d", "tensordot",
})
_CUDA_BANNED = {
    "binary_cross_entropy": (
        "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
        "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
        "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_"
        "with_logits\nor torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and "
        "BCEWithLogits are\nsafe to autocast."),
}
_POLICY = {
    "cpu": (_CPU_LOWER, _CPU_FP32, _CPU_PROMOTE, {}),
    "cuda": (_CUDA_LOWER, _CUDA_FP32, _CUDA_PROMOTE, _CUDA_BANNED),
}
# what the user may ask for and what is supported
_DEFAULT_DTYPE = {"cpu": D.bfloat16, "cuda": D.float16}
_SUPPORTED = {"cpu": (D.bfloat16, D.float16), "cuda": (D.float16, D.bfloat16)}
_KNOWN = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


# ------------------------------------------------------------------------------- state


class _State(threading.local):
    """Per-thread autocast state. `on` is True while any device type is enabled (the one
    attribute dispatch reads when autocast is off)."""

    def __init__(self):
        self.on = False
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}

    def refresh(self):
        self.on = any(self.enabled.values())
        _sync_hook(self.on)


STATE = _State()
_ON_THREADS = set()          # threads with an enabled autocast
_HOOK_LOCK = threading.Lock()


def _hooks():
    """The dispatch hook point (`HOOKS.pre`: `h(op, args, static) -> args or None`)."""
    try:
        from .. import _dispatch
        return _dispatch.HOOKS
    except (ImportError, AttributeError):
        from .._ops import registry
        return getattr(registry, "HOOKS", None)


def _pre_hook(op, args, static):
    if not STATE.on:
        return None
    r = autocast_cast(op.name, args)
    return None if r is args else r


def _sync_hook(on):
    """Keep `_pre_hook` installed in dispatch while any thread has autocast enabled, so that
    programs that never use autocast pay nothing."""
    me = threading.get_ident()
    with _HOOK_LOCK:
        had = bool(_ON_THREADS)
        (_ON_THREADS.add if on else _ON_THREADS.discard)(me)
        if had != bool(_ON_THREADS):
            h = _hooks()
            if h is not None:
                if _ON_THREADS:
                    # first of the pre-hooks: an op's casts run before a profiler opens its
                    # event, so no op ever runs inside another op's event
                    h.add("pre", _pre_hook)
                    h.pre.remove(_pre_hook)
                    h.pre.insert(0, _pre_hook)
                else:
                    h.remove("pre", _pre_hook)
            elif _ON_THREADS:
                warnings.warn("torchlike.autocast: this build's op dispatch has no hook point "
                              "(HOOKS), so ops run in their inputs' dtypes", stacklevel=4)


def _dev(device_type):
    if device_type is None:
        return "cuda"
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    return device_type.split(":")[0]


def is_autocast_enabled(device_type=None):
    return STATE.enabled.get(_dev(device_type), False)


def set_autocast_enabled(device_type, enabled=None):
    if enabled is None:       # legacy one-argument form: the CUDA flag
        device_type, enabled = "cuda", device_type
    STATE.enabled[_dev(device_type)] = bool(enabled)
    STATE.refresh()


def get_autocast_dtype(device_type):
    return STATE.dtype.get(_dev(device_type), D.bfloat16)


def set_autocast_dtype(device_type, dtype):
    STATE.dtype[_dev(device_type)] = dtype


def is_autocast_cpu_enabled():
    warnings.warn("torch.is_autocast_cpu_enabled() is deprecated. Please use "
                  "torch.is_autocast_enabled('cpu') instead.", DeprecationWarning, stacklevel=2)
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    warnings.warn("torch.get_autocast_cpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cpu') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    warnings.warn("torch.get_autocast_gpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cuda') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cuda")


def is_autocast_cache_enabled():
    return STATE.cache_enabled


def set_autocast_cache_enabled(enabled):
    STATE.cache_enabled = bool(enabled)


def clear_autocast_cache():
    STATE.cache.clear()


def autocast_increment_nesting():
    STATE.nesting += 1
    return STATE.nesting


def autocast_decrement_nesting():
    STATE.nesting -= 1
    return STATE.nesting


def is_autocast_available(device_type):
    return _dev(device_type) in ("cpu", "cuda")


def _is_any_autocast_enabled():
    return STATE.on


def _cuda_available():
    from .. import cuda
    return cuda.is_available()


# ------------------------------------------------------------------------------- the cast


def _tensor_kind(vals):
    """The device type whose autocast state applies: PyTorch dispatches on the tensors'
    device; a CPU-only process has only 'cpu' tensors."""
    if jax.default_backend() == "cpu":
        return "cpu"
    for t in vals:
        v = getattr(t, "_v", None)
        if v is not None:
            try:
                return "cpu" if next(iter(v.devices())).platform == "cpu" else "cuda"
            except Exception:  # noqa: BLE001  (a tracer: the default backend)
                return "cuda"
    return "cpu"


def _cast(t, dtype):
    from .._tensor import Tensor, _is_tracer
    st = STATE
    if st.cache_enabled and t.is_leaf and t.requires_grad and not _is_tracer(t._v):
        key = (id(t), dtype)
        hit = st.cache.get(key)
        if hit is not None and hit[0] is t and hit[1] == t._version:
            return hit[2]
        r = t.to(dtype)
        st.cache[key] = (t, t._version, r)
        return r
    assert isinstance(t, Tensor)
    return t.to(dtype)


def autocast_cast(op_name, args):
    """`args` (the dynamic arguments of table op `op_name`, Tensors or Python values) cast by
    the enabled autocast's policy; `args` itself when nothing changes. Called by dispatch."""
    st = STATE
    if not st.on:
        return args
    from .._tensor import Tensor
    kind = _tensor_kind(args)
    if not st.enabled.get(kind, False):
        return args
    lower, fp32, promote, banned = _POLICY[kind]
    if op_name in lower:
        target = st.dtype[kind]
        if not any(isinstance(a, Tensor) and a.dtype.is_floating_point and a.dtype is not target
                   and a.dtype is not D.float64 for a in args):
            return args
        return type(args)(_cast(a, target) if isinstance(a, Tensor)
                          and a.dtype.is_floating_point and a.dtype is not D.float64
                          and a.dtype is not target else a for a in args)
    if op_name in fp32:
        low = (D.float16, D.bfloat16)
        if not any(isinstance(a, Tensor) and a.dtype in low for a in args):
            return args
        return type(args)(_cast(a, D.float32) if isinstance(a, Tensor) and a.dtype in low
                          else a for a in args)
    if op_name in promote:
        fl = [a.dtype for a in args if isinstance(a, Tensor) and a.dtype.is_floating_point
              and a.dtype is not D.float64]
        if len(set(fl)) < 2:
            return args
        widest = D.float32 if D.float32 in fl else max(fl, key=lambda d: d.itemsize)
        return type(args)(_cast(a, widest) if isinstance(a, Tensor) and a.dtype in fl
                          and a.dtype is not widest else a for a in args)
    msg = banned.get(op_name)
    if msg is not None:
        raise RuntimeError(msg)
    return args


# ------------------------------------------------------------------------------- the API


class autocast:
    """`torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`: a context
    manager and decorator that runs the ops inside it in mixed precision."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        dev = device_type.split(":")[0]
        if dev not in _KNOWN:
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN)} device type at start of "
                               f"device string: {device_type}")
        if dev not in ("cpu", "cuda"):
            raise RuntimeError(f"User specified an unsupported autocast device_type '{dev}'")
        self.device = dev
        self.fast_dtype = get_autocast_dtype(dev) if dtype is None else dtype
        self._cache_enabled = (is_autocast_cache_enabled() if cache_enabled is None
                               else bool(cache_enabled))
        enabled = bool(enabled)
        if enabled and dev == "cuda" and not _cuda_available():
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)
            enabled = False
        if enabled and self.fast_dtype not in _SUPPORTED[dev]:
            name = "CPU" if dev == "cpu" else "CUDA"
            warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling "
                          f"autocast.\n{name} Autocast only supports dtypes of "
                          + ", ".join(map(str, _SUPPORTED[dev])) + " currently.", stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self):
        st = STATE
        self.prev_cache_enabled = st.cache_enabled
        self.prev = st.enabled[self.device]
        self.prev_fastdtype = st.dtype[self.device]
        st.enabled[self.device] = self._enabled
        st.dtype[self.device] = self.fast_dtype
        st.cache_enabled = self._cache_enabled
        st.nesting += 1
        st.refresh()
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        st = STATE
        st.nesting -= 1
        if st.nesting == 0:
            st.cache.clear()
        st.enabled[self.device] = self.prev
        st.dtype[self.device] = self.prev_fastdtype
        st.cache_enabled = self.prev_cache_enabled
        st.refresh()
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast


def _cast_inputs(value, device_type, dtype):
    from .._tensor import Tensor
    if isinstance(value, Tensor):
        ok = value.is_floating_point() and value.dtype is not D.float64
        return value.to(dtype) if ok else value
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, dict):
        return {k: _cast_inputs(v, device_type, dtype) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        out = [_cast_inputs(v, device_type, dtype) for v in value]
        return type(value)(out) if isinstance(value, list) else tuple(out)
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom autograd Function's forward (see PyTorch's torch.amp.custom_fwd)."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        on = is_autocast_enabled(device_type)
        args[0]._fwd_used_autocast = False
        if on:
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast_inputs(args, device_type, cast_inputs),
                           **_cast_inputs(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom autograd Function's backward: runs it under the forward's
    autocast state."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)
    return decorate_bwd


def fp32_under_autocast(fn):
    """Decorator for composite functions that PyTorch's autocast runs in float32 although
    torchlike builds them from several table ops (cross_entropy, l1_loss, kl_div, ...): their
    float16/bfloat16 tensor arguments are cast to float32 first, as PyTorch casts at the
    op's entry. One attribute read when autocast is off."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if STATE.on and STATE.enabled.get(_tensor_kind(args), False):
            from .._tensor import Tensor
            low = (D.float16, D.bfloat16)
            args = tuple(_cast(a, D.float32) if isinstance(a, Tensor) and a.dtype in low
                         else a for a in args)
            kwargs = {k: (_cast(v, D.float32) if isinstance(v, Tensor) and v.dtype in low
                          else v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)
    return wrapper


def compile_key():
    """This thread's autocast state as a hashable key (None when off): a compiled program
    traced under one autocast state must not be reused under another (torchlike.compile
    puts it in its cache key, as torch.compile guards on it)."""
    st = STATE
    if not st.on:
        return None
    return tuple((d, st.dtype[d].name) for d, on in sorted(st.enabled.items()) if on)
