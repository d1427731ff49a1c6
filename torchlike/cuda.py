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
