"""Adagrad (PyTorch's update with lr_decay and initial_accumulator_value)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_args, check_fused, full_like, options, wide

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (``torch.optim.Adagrad``); its state is created for every parameter at once.

    Not optax's ``scale_by_rss``: that divides by ``sqrt(sum + eps)`` (eps inside the root,
    and 0 where the sum is 0), PyTorch by ``sqrt(sum) + eps``; nor has it ``lr_decay``.
    """

    hyper = ("lr_decay", "eps")
    sparse_error = None

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_args(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                   initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, options(locals(), "lr lr_decay eps weight_decay "
                                                   "initial_accumulator_value foreach maximize "
                                                   "differentiable fused"))
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._new_state(group, p)

    def share_memory(self):
        pass

    def init(self, group, p):
        return {"sum": full_like(p.shape, group["initial_accumulator_value"], p._v.dtype)}

    @staticmethod
    def update(p, g, s, h, f):
        clr = wide(h["lr"]) / (1 + (wide(s["step"]) - 1) * h["lr_decay"])
        acc = s["sum"] + g * g
        return p + cast(-clr, p.dtype) * (g / (jnp.sqrt(acc) + cast(h["eps"], p.dtype))), \
            {"sum": acc}
