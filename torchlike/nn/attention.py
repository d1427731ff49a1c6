"""torchlike.nn.attention: ``SDPBackend`` and ``sdpa_kernel``.

``scaled_dot_product_attention`` has one implementation here (XLA's fusion of the math
formula), so ``sdpa_kernel`` checks its arguments and restricts nothing.
"""
from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(int, enum.Enum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_CURRENT = [list(SDPBackend)[1:]]


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Context manager selecting the attention backends (accepted; one implementation runs)."""
    if isinstance(backends, SDPBackend):
        backends = [backends]
    if not isinstance(backends, (list, tuple, set)) or not all(
            isinstance(b, SDPBackend) for b in backends):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of "
                             "SDPBackend instances")
    prev = _CURRENT[0]
    _CURRENT[0] = list(backends)
    try:
        yield {}
    finally:
        _CURRENT[0] = prev
