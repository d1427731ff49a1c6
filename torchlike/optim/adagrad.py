"""Adagrad (PyTorch's update with lr_decay and initial_accumulator_value)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import _new
from .optimizer import (Optimizer, cast, check_fused, check_lr, hp, is_nonzero, kernel,
                        step_tensor, wide)

__all__ = ["Adagrad"]


@kernel
def _adagrad(static, params, grads, states, h):
    maximize, wd_on = static
    lr, lr_decay, wd, eps = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        step = s["step"] + 1
        if maximize:
            g = -g
        if wd_on:
            g = g + cast(wd, dt) * p
        clr = wide(lr) / (1 + (wide(step) - 1) * lr_decay)
        acc = s["sum"] + g * g
        std = jnp.sqrt(acc) + cast(eps, dt)
        out_p.append(p + cast(-clr, dt) * (g / std))
        out_s.append({"step": step, "sum": acc})
    return out_p, out_s


class Adagrad(Optimizer):
    """Adagrad (``torch.optim.Adagrad``); its state is created for every parameter at once."""

    _kernel = _adagrad

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(group, p, self.state[p])

    def share_memory(self):
        pass

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        v = p._v
        state["sum"] = _new(jnp.full(v.shape, group["initial_accumulator_value"], v.dtype))

    def _static(self, group, params, states):
        return (bool(group["maximize"]), is_nonzero(group["weight_decay"]))

    def _hyper(self, group):
        return (hp(group["lr"]), hp(group["lr_decay"]), hp(group["weight_decay"]),
                hp(group["eps"]))
