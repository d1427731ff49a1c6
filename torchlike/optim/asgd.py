"""ASGD: averaged stochastic gradient descent (PyTorch's update)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import _new
from .optimizer import (Optimizer, cast, check_lr, hp, is_nonzero, kernel, step_tensor, wide,
                        zeros_like)

__all__ = ["ASGD"]


@kernel
def _asgd(static, params, grads, states, h):
    maximize, wd_on = static
    lr, lambd, alpha, t0, wd = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        step = s["step"] + 1
        if maximize:
            g = -g
        if wd_on:
            g = g + cast(wd, dt) * p
        eta, mu, ax = s["eta"], s["mu"], s["ax"]
        etaw = wide(eta)
        p = p * cast(1 - lambd * etaw, dt)
        p = p + cast(-etaw, dt) * g
        ax = jnp.where(mu != 1, ax + (p - ax) * mu.astype(dt), p)
        t = wide(step)
        new_eta = (wide(lr) / ((1 + lambd * wide(lr) * t) ** alpha)).astype(eta.dtype)
        new_mu = (1 / jnp.maximum(1.0, t - t0)).astype(mu.dtype)
        out_p.append(p)
        out_s.append({"step": step, "eta": new_eta, "mu": new_mu, "ax": ax})
    return out_p, out_s


class ASGD(Optimizer):
    """Averaged SGD (``torch.optim.ASGD``)."""

    _kernel = _asgd

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_lr(lr)
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["eta"] = _new(jnp.asarray(hp(group["lr"]), jnp.float32))
        state["mu"] = _new(jnp.ones((), jnp.float32))
        state["ax"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]))

    def _hyper(self, group):
        return (hp(group["lr"]), hp(group["lambd"]), hp(group["alpha"]), hp(group["t0"]),
                hp(group["weight_decay"]))
