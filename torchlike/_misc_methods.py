"""Tensor methods from the corpus of public programs (docs/corpus.md) that fit no op family:
legacy constructors and host-memory queries."""
from __future__ import annotations

from ._tensor import Size, Tensor

_NO_ACCEL = "Cannot access accelerator device when none is available."


def _new(self, *args, **kwargs):
    """Legacy ``Tensor.new``: ``new()`` / ``new(*sizes)`` / ``new(Size)`` an uninitialised
    tensor (zeros here) of self's dtype and device, ``new(sequence)`` a tensor of its values,
    ``new(tensor)`` that tensor."""
    import torchlike as tl
    dtype = kwargs.pop("dtype", self.dtype)
    device = kwargs.pop("device", self.device)
    if kwargs:
        raise TypeError(f"new() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if not args:
        return tl.empty(0, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        return args[0].detach()
    if len(args) == 1 and isinstance(args[0], Size):
        return tl.zeros(tuple(args[0]), dtype=dtype, device=device)
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return tl.zeros(args, dtype=dtype, device=device)
    if len(args) == 1:
        return tl.tensor(args[0], dtype=dtype, device=device)
    raise TypeError("new(): argument 'size' must be tuple of ints")


def _pin_memory(self, device=None):
    """Page-locked host memory is the accelerator runtime's business under JAX: with an
    accelerator this returns the tensor; without one it raises PyTorch's error."""
    from . import cuda
    if not cuda.is_available():
        raise RuntimeError(_NO_ACCEL)
    return self


def _is_pinned(self, device=None):
    return False


Tensor.new = _new
Tensor.pin_memory = _pin_memory
Tensor.is_pinned = _is_pinned
