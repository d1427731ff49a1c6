"""Adadelta (PyTorch's update)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_lr, hp, is_nonzero, kernel, step_tensor,
                        zeros_like)

__all__ = ["Adadelta"]


@kernel
def _adadelta(static, params, grads, states, h):
    maximize, wd_on = static
    lr, rho, eps, wd = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        step = s["step"] + 1
        if maximize:
            g = -g
        if wd_on:
            g = g + cast(wd, dt) * p
        rho_d, eps_d = cast(rho, dt), cast(eps, dt)
        sq = s["square_avg"] * rho_d + cast(1 - rho, dt) * (g * g)
        std = jnp.sqrt(sq + eps_d)
        delta = jnp.sqrt(s["acc_delta"] + eps_d) / std * g
        acc = s["acc_delta"] * rho_d + cast(1 - rho, dt) * (delta * delta)
        out_p.append(p + cast(-lr, dt) * delta)
        out_s.append({"step": step, "square_avg": sq, "acc_delta": acc})
    return out_p, out_s


class Adadelta(Optimizer):
    """Adadelta (``torch.optim.Adadelta``)."""

    _kernel = _adadelta

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["square_avg"] = zeros_like(p)
        state["acc_delta"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]))

    def _hyper(self, group):
        return (hp(group["lr"]), hp(group["rho"]), hp(group["eps"]), hp(group["weight_decay"]))
