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


_NONE = "Cannot access accelerator device when none is available."
_INDEX = [0]


def current_device_index() -> int:
    if not _cuda.is_available():
        raise RuntimeError(_NONE)
    return _INDEX[0]


current_device_idx = current_device_index


def set_device_index(device, /):
    """Select the current accelerator (device index or device); PyTorch's error without one."""
    if not _cuda.is_available():
        raise RuntimeError(_NONE)
    idx = device.index if hasattr(device, "index") else device
    idx = 0 if idx is None else int(idx)
    if idx < 0:
        return
    if idx >= _cuda.device_count():
        raise RuntimeError(f"device index {idx} is out of range (found "
                           f"{_cuda.device_count()} devices)")
    _INDEX[0] = idx


set_device_idx = set_device_index


class device_index:
    """Context manager: the current accelerator is ``device`` inside the block."""

    def __init__(self, device, /):
        self.idx = device
        self.prev = None

    def __enter__(self):
        if self.idx is not None:
            self.prev = current_device_index()
            set_device_index(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            set_device_index(self.prev)
        return False
