"""torchlike.version: ``torch.version``'s fields (``cuda``/``hip`` are None: no CUDA build of
PyTorch is involved; XLA brings its own GPU runtime)."""
from __future__ import annotations

from . import __version__  # noqa: F401  (the package's own version)

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "xpu"]

debug = False
cuda = None
git_version = "unknown"
hip = None
xpu = None
