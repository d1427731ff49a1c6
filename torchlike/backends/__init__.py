"""torchlike.backends: PyTorch's backend flags, answered for JAX's backends."""
from . import cuda, cudnn, mps  # noqa: F401
