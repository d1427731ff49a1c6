"""Adam and AdamW (PyTorch's single-tensor update, run as one jitted call per group)."""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor
from .optimizer import (Optimizer, cast, check_fused, check_lr, hp, is_nonzero, kernel, lerp,
                        step_tensor, to_scalar, wide, zeros_like)

__all__ = ["Adam", "AdamW"]


@kernel
def _adam(static, params, grads, states, h):
    amsgrad, maximize, wd_on, decoupled = static
    lr, beta1, beta2, eps, wd = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        if maximize:
            g = -g
        step = s["step"] + 1
        if wd_on:
            if decoupled:
                p = p * cast(1 - lr * wd, dt)
            else:
                g = g + cast(wd, dt) * p
        m = lerp(s["exp_avg"], g, 1 - beta1)
        v = s["exp_avg_sq"] * cast(beta2, dt) + cast(1 - beta2, dt) * (g * g)
        t = wide(step)
        bc1 = 1 - wide(beta1) ** t
        bc2 = 1 - wide(beta2) ** t
        step_size = wide(lr) / bc1
        bc2_sqrt = jnp.sqrt(bc2)
        ns = {"step": step, "exp_avg": m, "exp_avg_sq": v}
        if amsgrad:
            mx = jnp.maximum(s["max_exp_avg_sq"], v)
            ns["max_exp_avg_sq"] = mx
            denom = jnp.sqrt(mx) / cast(bc2_sqrt, dt) + cast(eps, dt)
        else:
            denom = jnp.sqrt(v) / cast(bc2_sqrt, dt) + cast(eps, dt)
        out_p.append(p + cast(-step_size, dt) * (m / denom))
        out_s.append(ns)
    return out_p, out_s


class Adam(Optimizer):
    """Adam (PyTorch's ``torch.optim.Adam``): L2 weight decay unless decoupled_weight_decay."""

    _kernel = _adam

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
        check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def _check_grad(self, p, g):
        if getattr(g, "is_sparse", False):
            raise RuntimeError("Adam does not support sparse gradients, please consider "
                               "SparseAdam instead")

    def step(self, closure=None):
        return self._default_step(closure)

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group["amsgrad"]), bool(group["maximize"]),
                is_nonzero(group["weight_decay"]), bool(group["decoupled_weight_decay"]))

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return (hp(group["lr"]), hp(b1), hp(b2), hp(group["eps"]), hp(group["weight_decay"]))


class AdamW(Adam):
    """AdamW (PyTorch's ``torch.optim.AdamW``): Adam with decoupled weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
