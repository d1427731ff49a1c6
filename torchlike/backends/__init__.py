"""torchlike.backends: PyTorch's backend flags, answered for JAX's backends."""
from . import cudnn, mps  # noqa: F401
