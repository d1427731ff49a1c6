"""Adamax: optax's ``scale_by_adamax`` (PyTorch's infinity-norm update) with PyTorch's state."""
from __future__ import annotations

import optax

from .optimizer import Optimizer, check_args, descend, optax_update, options

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, a variant of Adam based on the infinity norm (``torch.optim.Adamax``)."""

    hyper = ("betas", "eps")
    zeros = ("exp_avg", "exp_inf")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        super().__init__(params, options(locals(), "lr betas eps weight_decay foreach maximize "
                                                   "differentiable capturable"))

    @staticmethod
    def update(p, g, s, h, f):
        u, ns = optax_update(optax.scale_by_adamax(*h["betas"], h["eps"]), optax.ScaleByAdamState,
                             g, s, mu="exp_avg", nu="exp_inf")
        return descend(p, u, h["lr"]), ns
