"""ASGD: averaged stochastic gradient descent (PyTorch's update; optax has no ASGD)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_args, hp, options, wide, zeros_like

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD (``torch.optim.ASGD``)."""

    hyper = ("lambd", "alpha", "t0")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_args(lr=lr, weight_decay=weight_decay)
        super().__init__(params, options(locals(), "lr lambd alpha t0 weight_decay foreach "
                                                   "maximize differentiable capturable"))

    def init(self, group, p):
        return {"eta": jnp.asarray(hp(group["lr"]), jnp.float32),
                "mu": jnp.ones((), jnp.float32), "ax": zeros_like(p._v)}

    @staticmethod
    def update(p, g, s, h, f):
        dt, lr, lambd = p.dtype, wide(h["lr"]), h["lambd"]
        eta, mu, ax = wide(s["eta"]), s["mu"], s["ax"]
        p = p * cast(1 - lambd * eta, dt)
        p = p + cast(-eta, dt) * g
        ax = jnp.where(mu != 1, ax + (p - ax) * mu.astype(dt), p)
        t = wide(s["step"])
        return p, {"eta": lr / ((1 + lambd * lr * t) ** h["alpha"]),
                   "mu": 1 / jnp.maximum(1.0, t - h["t0"]), "ax": ax}
