"""SGD with momentum, dampening, Nesterov, weight decay and maximize (PyTorch's update)."""
from __future__ import annotations

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, cast, check_args, check_fused, descend, optax_update, options

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

    The momentum buffer is optax's ``trace``: started at zero, its first value ``g + m * 0`` is
    PyTorch's first buffer (the gradient itself); with dampening the later gradients are scaled
    by ``1 - dampening`` first. The state has no ``'step'``, as in PyTorch.
    """

    hyper = ("momentum", "dampening")
    flags = ("momentum", "dampening", "nesterov")
    has_step = False
    sparse_error = None

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        check_args(lr=lr, momentum=momentum, weight_decay=weight_decay)
        defaults = options(locals(), "lr momentum dampening weight_decay nesterov maximize "
                                     "foreach differentiable fused")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    @staticmethod
    def update(p, g, s, h, f):
        if not f["momentum"]:
            return descend(p, g, h["lr"]), {}
        if "momentum_buffer" not in s:   # first step: the buffer becomes the gradient
            s["momentum_buffer"] = jnp.zeros_like(g)
        elif f["dampening"]:
            g = cast(1 - h["dampening"], g.dtype) * g
        u, ns = optax_update(optax.trace(h["momentum"], f["nesterov"]), optax.TraceState, g, s,
                             trace="momentum_buffer")
        return descend(p, u, h["lr"]), ns
