"""torchlike.cuda: queries mapped onto JAX's GPU devices."""
from __future__ import annotations

import jax


def _gpus():
    try:
        return jax.local_devices(backend="gpu")
    except RuntimeError:
        return []


def is_available() -> bool:
    return bool(_gpus())


def device_count() -> int:
    return len(_gpus())


def current_device() -> int:
    if not _gpus():
        raise AssertionError("Torch not compiled with CUDA enabled")
    return 0


def get_device_name(device=None) -> str:
    g = _gpus()
    if not g:
        raise AssertionError("Torch not compiled with CUDA enabled")
    return g[0].device_kind


def is_initialized() -> bool:
    return is_available()


def synchronize(device=None):
    """Block until queued work is done (JAX dispatch is asynchronous)."""
    (jax.device_put(0.0) + 0).block_until_ready()


def manual_seed(seed):
    from ._random import manual_seed as ms
    ms(seed)


manual_seed_all = manual_seed


def empty_cache():
    pass


def memory_allocated(device=None) -> int:
    g = _gpus()
    if not g:
        return 0
    stats = g[0].memory_stats() or {}
    return int(stats.get("bytes_in_use", 0))


def max_memory_allocated(device=None) -> int:
    g = _gpus()
    if not g:
        return 0
    stats = g[0].memory_stats() or {}
    return int(stats.get("peak_bytes_in_use", 0))


def is_bf16_supported() -> bool:
    return is_available()


class _Legacy:
    def __getattr__(self, name):
        raise AssertionError("Torch not compiled with CUDA enabled")


def FloatTensor(*args):
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    from . import FloatTensor as F
    return F(*args).cuda()


# ----------------------------------------------------------------- torch.cuda.amp (deprecated)
def _make_amp_module():
    import sys
    import types
    import warnings

    from . import _dtype
    from .amp import autocast_mode as _am, grad_scaler as _gs

    class autocast(_am.autocast):
        """`torch.cuda.amp.autocast(args...)`: `torch.amp.autocast('cuda', args...)`."""

        def __init__(self, enabled=True, dtype=_dtype.float16, cache_enabled=True):
            warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                          "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                          stacklevel=2)
            super().__init__("cuda", enabled=enabled, dtype=dtype, cache_enabled=cache_enabled)

    class GradScaler(_gs.GradScaler):
        """`torch.cuda.amp.GradScaler(args...)`: `torch.amp.GradScaler('cuda', args...)`."""

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                     growth_interval=2000, enabled=True):
            warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                          "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                          stacklevel=2)
            super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval,
                             enabled=enabled)

    def custom_fwd(fwd=None, *, cast_inputs=None):
        return _am.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)

    def custom_bwd(bwd=None):
        return _am.custom_bwd(bwd, device_type="cuda")

    mod = types.ModuleType(__name__ + ".amp", "torch.cuda.amp: deprecated aliases of torch.amp")
    for name, obj in (("autocast", autocast), ("GradScaler", GradScaler),
                      ("custom_fwd", custom_fwd), ("custom_bwd", custom_bwd)):
        obj.__module__, obj.__qualname__ = mod.__name__, name
        setattr(mod, name, obj)
    sys.modules[mod.__name__] = mod
    return mod


amp = _make_amp_module()
