"""RAdam (PyTorch's rectified Adam update)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_args, moments, options, wide

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam (``torch.optim.RAdam``).

    The moments are optax's; the step is not optax's ``scale_by_radam``: PyTorch divides by
    ``sqrt(v) + eps`` and multiplies by ``sqrt(1 - beta2**t)`` (optax by
    ``sqrt(v / (1 - beta2**t)) + eps``, so eps weighs differently), and rectifies where
    ``rho_t > 5`` (optax where ``rho_t >= 5``).
    """

    hyper = ("betas", "eps")
    zeros = ("exp_avg", "exp_avg_sq")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        super().__init__(params, options(locals(), "lr betas eps weight_decay maximize foreach "
                                                   "capturable decoupled_weight_decay "
                                                   "differentiable"))

    @staticmethod
    def update(p, g, s, h, f):
        dt, (beta1, beta2) = p.dtype, h["betas"]
        m, v = moments(g, s, beta1, beta2)
        t, b2 = wide(s["step"]), wide(beta2)
        bc2 = 1 - b2 ** t
        m_hat = m / cast(1 - wide(beta1) ** t, dt)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
        rect = jnp.sqrt(jnp.maximum((rho_t - 4) * (rho_t - 2) * rho_inf
                                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.0))
        lr = cast(h["lr"], dt)
        adaptive = cast(jnp.sqrt(bc2), dt) / (jnp.sqrt(v) + cast(h["eps"], dt))
        step = jnp.where(rho_t > 5.0, m_hat * lr * adaptive * cast(rect, dt), m_hat * lr)
        return p - step, {"exp_avg": m, "exp_avg_sq": v}
