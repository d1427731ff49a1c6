"""RMSprop: optax's ``scale_by_rms`` / ``scale_by_stddev`` and ``trace`` with PyTorch's state."""
from __future__ import annotations

import optax

from .optimizer import (Optimizer, check_args, descend, is_nonzero, optax_update, options,
                        zeros_like)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (``torch.optim.RMSprop``), with momentum and centered variants.

    The square average is optax's ``scale_by_rms`` (``scale_by_stddev`` when centered) with
    ``eps_in_sqrt=False``, PyTorch's placement; momentum is optax's ``trace`` of the scaled
    gradient, PyTorch's ``buf = momentum * buf + g / avg`` with a zero initial buffer.
    """

    hyper = ("alpha", "eps", "momentum")
    flags = ("momentum", "centered")
    zeros = ("square_avg",)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_args(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, options(locals(), "lr momentum alpha eps centered weight_decay "
                                                   "capturable foreach maximize differentiable"))

    def init(self, group, p):
        s = super().init(group, p)
        if is_nonzero(group["momentum"]):
            s["momentum_buffer"] = zeros_like(p._v)
        if group["centered"]:
            s["grad_avg"] = zeros_like(p._v)
        return s

    @staticmethod
    def update(p, g, s, h, f):
        alpha, eps = h["alpha"], h["eps"]
        if f["centered"]:
            u, ns = optax_update(optax.scale_by_stddev(alpha, eps, eps_in_sqrt=False),
                                 optax.ScaleByRStdDevState, g, s, nu="square_avg", mu="grad_avg")
        else:
            u, ns = optax_update(optax.scale_by_rms(alpha, eps, eps_in_sqrt=False),
                                 optax.ScaleByRmsState, g, s, nu="square_avg")
        if f["momentum"]:
            u, buf = optax_update(optax.trace(h["momentum"]), optax.TraceState, u, s,
                                  trace="momentum_buffer")
            ns.update(buf)
        return descend(p, u, h["lr"]), ns
