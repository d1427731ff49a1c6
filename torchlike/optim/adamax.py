"""Adamax (PyTorch's update: infinity-norm second moment)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_betas, check_lr, hp, is_nonzero, kernel, lerp,
                        step_tensor, wide, zeros_like)

__all__ = ["Adamax"]


@kernel
def _adamax(static, params, grads, states, h):
    maximize, wd_on = static
    lr, beta1, beta2, eps, wd = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        if maximize:
            g = -g
        step = s["step"] + 1
        if wd_on:
            g = g + cast(wd, dt) * p
        m = lerp(s["exp_avg"], g, 1 - beta1)
        u = jnp.maximum(s["exp_inf"] * cast(beta2, dt), jnp.abs(g) + cast(eps, dt))
        bc = 1 - wide(beta1) ** wide(step)
        clr = wide(lr) / bc
        out_p.append(p + cast(-clr, dt) * (m / u))
        out_s.append({"step": step, "exp_avg": m, "exp_inf": u})
    return out_p, out_s


class Adamax(Optimizer):
    """Adamax, a variant of Adam based on the infinity norm (``torch.optim.Adamax``)."""

    _kernel = _adamax

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["exp_avg"] = zeros_like(p)
        state["exp_inf"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]))

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return (hp(group["lr"]), hp(b1), hp(b2), hp(group["eps"]), hp(group["weight_decay"]))
