"""torch.functional: the functions PyTorch keeps in this module, re-exported from torchlike's
namespace (`import torch.functional as F` ports unchanged)."""
from . import _functions as _F

_NAMES = ("atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
          "broadcast_tensors", "cartesian_prod", "cdist", "chain_matmul", "einsum", "lu",
          "meshgrid", "norm", "split", "stft", "istft", "tensordot", "unique",
          "unique_consecutive", "unravel_index")
__all__ = [n for n in _NAMES if hasattr(_F, n)]
globals().update({n: getattr(_F, n) for n in __all__})
