"""NAdam (PyTorch's update with the momentum-decay schedule and ``mu_product`` state)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import _new
from .optimizer import (Optimizer, cast, check_betas, check_lr, hp, is_nonzero, kernel, lerp,
                        step_tensor, wide, zeros_like)

__all__ = ["NAdam"]


@kernel
def _nadam(static, params, grads, states, h):
    maximize, wd_on, decoupled = static
    lr, beta1, beta2, eps, wd, momentum_decay = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        if maximize:
            g = -g
        step = s["step"] + 1
        t = wide(step)
        bc2 = 1 - wide(beta2) ** t
        if wd_on:
            if decoupled:
                p = p * cast(1 - lr * wd, dt)
            else:
                g = g + cast(wd, dt) * p
        b1 = wide(beta1)
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
        mp_old = s["mu_product"]
        mu_product = mp_old * mu.astype(mp_old.dtype)
        m = lerp(s["exp_avg"], g, 1 - beta1)
        v = s["exp_avg_sq"] * cast(beta2, dt) + cast(1 - beta2, dt) * (g * g)
        denom = jnp.sqrt(v / cast(bc2, dt)) + cast(eps, dt)
        mpw = wide(mu_product)
        mu_product_next = mpw * mu_next
        lrw = wide(lr)
        p = p + cast(-lrw * (1.0 - mu) / (1.0 - mpw), dt) * (g / denom)
        p = p + cast((-lrw * mu_next) / (1.0 - mu_product_next), dt) * (m / denom)
        out_p.append(p)
        out_s.append({"step": step, "mu_product": mu_product, "exp_avg": m, "exp_avg_sq": v})
    return out_p, out_s


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum (``torch.optim.NAdam``)."""

    _kernel = _nadam

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["mu_product"] = _new(jnp.ones((), jnp.float32))
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]),
                bool(group["decoupled_weight_decay"]))

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return (hp(group["lr"]), hp(b1), hp(b2), hp(group["eps"]), hp(group["weight_decay"]),
                hp(group["momentum_decay"]))
