"""PyTorch's module path ``torch.nn.modules.upsampling`` (pickles and allow-lists name classes by
it); the classes live in ``misc.py``."""
from .misc import (  # noqa: F401
    Upsample, UpsamplingNearest2d, UpsamplingBilinear2d
)
