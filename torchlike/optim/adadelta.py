"""Adadelta: optax's ``scale_by_adadelta`` (PyTorch's update) with PyTorch's state."""
from __future__ import annotations

import optax

from .optimizer import Optimizer, check_args, descend, optax_update, options

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``)."""

    hyper = ("rho", "eps")
    zeros = ("square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_args(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, options(locals(), "lr rho eps weight_decay maximize capturable "
                                                   "foreach differentiable"))

    @staticmethod
    def update(p, g, s, h, f):
        u, ns = optax_update(optax.scale_by_adadelta(h["rho"], h["eps"]),
                             optax.ScaleByAdaDeltaState, g, s, e_g="square_avg", e_x="acc_delta")
        return descend(p, u, h["lr"]), ns
