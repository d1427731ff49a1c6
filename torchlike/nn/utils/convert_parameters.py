from __future__ import annotations

from ... import _functions as _F
from ..._autograd_core import no_grad
from ..._tensor import Tensor


def parameters_to_vector(parameters):
    return _F.cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        num_param = param.numel()
        with no_grad():
            param.copy_(vec[pointer:pointer + num_param].view_as(param))
        pointer += num_param
