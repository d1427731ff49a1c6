"""NAdam (PyTorch's update with the momentum-decay schedule and ``mu_product`` state)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_args, moments, options, wide, zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum (``torch.optim.NAdam``).

    The moments are optax's; the step is not optax's ``scale_by_adam(nesterov=True)``, which
    has no momentum-decay schedule (PyTorch's ``mu_t = beta1 * (1 - 0.5 * 0.96 **
    (t * momentum_decay))`` and its running product).
    """

    hyper = ("betas", "eps", "momentum_decay")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay,
                   momentum_decay=momentum_decay)
        super().__init__(params, options(locals(), "lr betas eps weight_decay momentum_decay "
                                                   "decoupled_weight_decay maximize foreach "
                                                   "capturable differentiable"))

    def init(self, group, p):
        return {"mu_product": jnp.ones((), jnp.float32), "exp_avg": zeros_like(p._v),
                "exp_avg_sq": zeros_like(p._v)}

    @staticmethod
    def update(p, g, s, h, f):
        dt, (beta1, beta2), md = p.dtype, h["betas"], h["momentum_decay"]
        t, b1, lr = wide(s["step"]), wide(beta1), wide(h["lr"])
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * md)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * md)))
        mu_product = s["mu_product"] * mu.astype(s["mu_product"].dtype)
        m, v = moments(g, s, beta1, beta2)
        denom = jnp.sqrt(v / cast(1 - wide(beta2) ** t, dt)) + cast(h["eps"], dt)
        mpw = wide(mu_product)
        p = p + cast(-lr * (1.0 - mu) / (1.0 - mpw), dt) * (g / denom)
        p = p + cast((-lr * mu_next) / (1.0 - mpw * mu_next), dt) * (m / denom)
        return p, {"mu_product": mu_product, "exp_avg": m, "exp_avg_sq": v}
