"""RAdam (PyTorch's rectified Adam update)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_betas, check_lr, hp, is_nonzero, kernel, lerp,
                        step_tensor, wide, zeros_like)

__all__ = ["RAdam"]


@kernel
def _radam(static, params, grads, states, h):
    maximize, wd_on, decoupled = static
    lr, beta1, beta2, eps, wd = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        if maximize:
            g = -g
        step = s["step"] + 1
        t = wide(step)
        if wd_on:
            if decoupled:
                p = p * cast(1 - lr * wd, dt)
            else:
                g = g + cast(wd, dt) * p
        m = lerp(s["exp_avg"], g, 1 - beta1)
        v = s["exp_avg_sq"] * cast(beta2, dt) + cast(1 - beta2, dt) * (g * g)
        b2 = wide(beta2)
        bc1 = 1 - wide(beta1) ** t
        bc2 = 1 - b2 ** t
        bias_corrected_exp_avg = m / cast(bc1, dt)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
        rect = jnp.sqrt(jnp.maximum((rho_t - 4) * (rho_t - 2) * rho_inf
                                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.0))
        adaptive_lr = cast(jnp.sqrt(bc2), dt) / (jnp.sqrt(v) + cast(eps, dt))
        lr_d = cast(lr, dt)
        rectified = bias_corrected_exp_avg * lr_d * adaptive_lr * cast(rect, dt)
        plain = bias_corrected_exp_avg * lr_d
        out_p.append(p - jnp.where(rho_t > 5.0, rectified, plain))
        out_s.append({"step": step, "exp_avg": m, "exp_avg_sq": v})
    return out_p, out_s


class RAdam(Optimizer):
    """RAdam (``torch.optim.RAdam``)."""

    _kernel = _radam

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]),
                bool(group["decoupled_weight_decay"]))

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return (hp(group["lr"]), hp(b1), hp(b2), hp(group["eps"]), hp(group["weight_decay"]))
