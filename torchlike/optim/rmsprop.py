"""RMSprop (PyTorch's update, with momentum and centered variants)."""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import (Optimizer, cast, check_lr, hp, is_concrete, is_nonzero, kernel, lerp, step_tensor,
                        zeros_like)

__all__ = ["RMSprop"]


@kernel
def _rmsprop(static, params, grads, states, h):
    maximize, wd_on, mom_on, centered = static
    lr, alpha, eps, wd, momentum = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        step = s["step"] + 1
        if maximize:
            g = -g
        if wd_on:
            g = g + cast(wd, dt) * p
        sq = s["square_avg"] * cast(alpha, dt) + cast(1 - alpha, dt) * (g * g)
        ns = {"step": step, "square_avg": sq}
        if centered:
            ga = lerp(s["grad_avg"], g, 1 - alpha)
            ns["grad_avg"] = ga
            avg = jnp.sqrt(sq - ga * ga)
        else:
            avg = jnp.sqrt(sq)
        avg = avg + cast(eps, dt)
        if mom_on:
            buf = s["momentum_buffer"] * cast(momentum, dt) + g / avg
            ns["momentum_buffer"] = buf
            p = p + cast(-lr, dt) * buf
        else:
            p = p + cast(-lr, dt) * (g / avg)
        out_p.append(p)
        out_s.append(ns)
    return out_p, out_s


class RMSprop(Optimizer):
    """RMSprop (``torch.optim.RMSprop``)."""

    _kernel = _rmsprop

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["square_avg"] = zeros_like(p)
        m = group["momentum"]
        if not is_concrete(m) or m > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]),
                all("momentum_buffer" in s for s in states), bool(group["centered"]))

    def _hyper(self, group):
        return (hp(group["lr"]), hp(group["alpha"]), hp(group["eps"]),
                hp(group["weight_decay"]), hp(group["momentum"]))
