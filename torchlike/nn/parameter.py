"""`nn.Parameter` (a Tensor subclass that modules register) and `nn.Buffer`."""
from __future__ import annotations

import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when assigned as an attribute.

    ``Parameter(t)`` holds t's value (jax arrays are immutable, so no copy is made) and
    requires grad by default.
    """

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            v = jnp.zeros((0,), D.get_default_dtype().np)
        elif isinstance(data, Tensor):
            v = data._v
        else:
            raise TypeError(f"Parameter(): argument 'data' (position 1) must be Tensor, not "
                            f"{type(data).__name__}")
        t = object.__new__(cls)
        t._data = v
        if requires_grad:
            t.requires_grad = True
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        import numpy as np

        from .._creation import _rebuild
        return (_rebuild, (np.asarray(self._v), self._rg, True))


class Buffer(Tensor):
    """`nn.Buffer(t, persistent=True)`: assigning one to a Module attribute registers a buffer.

    Like PyTorch, the Module stores a plain Tensor (the marker class is only for assignment).
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = Tensor.__new__(Tensor)
            data._data = jnp.zeros((0,), D.get_default_dtype().np)
        t = object.__new__(cls)
        t._data = data._v
        t._rg = data._rg
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


class UninitializedParameter(Parameter):
    """Placeholder used by lazy modules (not supported by torchlike's layers yet)."""


def is_lazy(param):
    return isinstance(param, UninitializedParameter)
