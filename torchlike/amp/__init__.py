"""torchlike.amp: automatic mixed precision (`autocast`, `GradScaler`, `custom_fwd/bwd`).
See docs/amp.md."""
from . import autocast_mode, grad_scaler  # noqa: F401
from .autocast_mode import (autocast, autocast_cast, custom_bwd, custom_fwd,  # noqa: F401
                            is_autocast_available)
from .grad_scaler import GradScaler  # noqa: F401

__all__ = ["autocast", "custom_fwd", "custom_bwd", "GradScaler", "is_autocast_available"]
