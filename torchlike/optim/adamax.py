"""Adamax: optax's ``scale_by_adamax`` (PyTorch's infinity-norm update) with PyTorch's state."""
from __future__ import annotations

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, check_args, count, descend

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, a variant of Adam based on the infinity norm (``torch.optim.Adamax``)."""

    hyper = ("betas", "eps")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def init(self, group, p):
        return {"exp_avg": jnp.zeros_like(p._v), "exp_inf": jnp.zeros_like(p._v)}

    @staticmethod
    def update(p, g, s, h, f):
        u, st = optax.scale_by_adamax(*h["betas"], h["eps"]).update(
            g, optax.ScaleByAdamState(count(s["step"]), s["exp_avg"], s["exp_inf"]))
        return descend(p, u, h["lr"]), {"exp_avg": st.mu, "exp_inf": st.nu}
