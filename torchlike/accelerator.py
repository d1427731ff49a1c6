"""torchlike.accelerator: the device-agnostic queries of current PyTorch."""
from __future__ import annotations

from . import cuda as _cuda
from ._tensor import device


def is_available() -> bool:
    return _cuda.is_available()


def current_accelerator(check_available=False):
    if _cuda.is_available():
        return device("cuda")
    return None


def device_count() -> int:
    return _cuda.device_count()


def synchronize(device=None):
    _cuda.synchronize()
