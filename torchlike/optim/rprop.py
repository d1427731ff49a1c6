"""Rprop (PyTorch's resilient backpropagation update)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import _new
from .optimizer import Optimizer, cast, check_lr, hp, kernel, step_tensor, zeros_like

__all__ = ["Rprop"]


@kernel
def _rprop(static, params, grads, states, h):
    (maximize,) = static
    etaminus, etaplus, step_size_min, step_size_max = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        step = s["step"] + 1
        if maximize:
            g = -g
        prev, step_size = s["prev"], s["step_size"]
        sign = jnp.sign(g * prev)
        em = cast(etaminus, dt)
        factor = jnp.where(sign > 0, cast(etaplus, dt), jnp.where(sign < 0, em, 1))
        factor = factor.astype(dt)
        step_size = jnp.clip(step_size * factor, cast(step_size_min, dt),
                             cast(step_size_max, dt))
        g = jnp.where(factor == em, jnp.zeros_like(g), g)
        p = p - jnp.sign(g) * step_size
        out_p.append(p)
        out_s.append({"step": step, "prev": g, "step_size": step_size})
    return out_p, out_s


class Rprop(Optimizer):
    """Rprop (``torch.optim.Rprop``)."""

    _kernel = _rprop

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _check_grad(self, p, g):
        if getattr(g, "is_sparse", False):
            raise RuntimeError("Rprop does not support sparse gradients")

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["prev"] = zeros_like(p)
        g = p._grad._v
        state["step_size"] = _new(jnp.full(g.shape, hp(group["lr"]), g.dtype))

    def _static(self, group, params, states):
        return (bool(group["maximize"]),)

    def _hyper(self, group):
        etaminus, etaplus = group["etas"]
        smin, smax = group["step_sizes"]
        return (hp(etaminus), hp(etaplus), hp(smin), hp(smax))
