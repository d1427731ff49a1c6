"""PyTorch's module path ``torch.nn.modules.batchnorm`` (pickles and allow-lists name classes by
it); the classes live in ``normalization.py``."""
from .normalization import (  # noqa: F401
    _NormBase, _BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d,
    SyncBatchNorm
)
