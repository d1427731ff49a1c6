"""PyTorch's module path ``torch.nn.modules.instancenorm`` (pickles and allow-lists name classes by
it); the classes live in ``normalization.py``."""
from .normalization import (  # noqa: F401
    _InstanceNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
)
