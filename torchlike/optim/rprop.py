"""Rprop (PyTorch's resilient backpropagation update)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_args, hp, options, zeros_like

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop (``torch.optim.Rprop``).

    Not optax's ``scale_by_rprop``: PyTorch clamps every step size to ``step_sizes`` (optax
    only where the gradient's sign product is nonzero) and keeps the gradient itself in
    ``'prev'`` (optax keeps the signed step).
    """

    hyper = ("etas", "step_sizes")

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_args(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, options(locals(), "lr etas step_sizes foreach maximize "
                                                   "differentiable capturable"))

    def init(self, group, p):
        return {"prev": zeros_like(p._v),
                "step_size": jnp.full(p.shape, hp(group["lr"]), p._v.dtype)}

    @staticmethod
    def update(p, g, s, h, f):
        dt, (etaminus, etaplus), (smin, smax) = p.dtype, h["etas"], h["step_sizes"]
        sign = jnp.sign(g * s["prev"])
        em = cast(etaminus, dt)
        factor = jnp.where(sign > 0, cast(etaplus, dt), jnp.where(sign < 0, em, 1)).astype(dt)
        step_size = jnp.clip(s["step_size"] * factor, cast(smin, dt), cast(smax, dt))
        g = jnp.where(factor == em, jnp.zeros_like(g), g)
        return p - jnp.sign(g) * step_size, {"prev": g, "step_size": step_size}
