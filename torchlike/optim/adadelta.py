"""Adadelta: optax's ``scale_by_adadelta`` (PyTorch's update) with PyTorch's state."""
from __future__ import annotations

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, check_args, descend

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``)."""

    hyper = ("rho", "eps")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_args(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def init(self, group, p):
        return {"square_avg": jnp.zeros_like(p._v), "acc_delta": jnp.zeros_like(p._v)}

    @staticmethod
    def update(p, g, s, h, f):
        u, st = optax.scale_by_adadelta(h["rho"], h["eps"]).update(
            g, optax.ScaleByAdaDeltaState(e_g=s["square_avg"], e_x=s["acc_delta"]))
        return descend(p, u, h["lr"]), {"square_avg": st.e_g, "acc_delta": st.e_x}
