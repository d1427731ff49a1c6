"""Adam and AdamW: optax's ``scale_by_adam`` with PyTorch's state, options and checks."""
from __future__ import annotations

import jax.numpy as jnp
import optax

from .._tensor import Tensor
from .optimizer import (Optimizer, check_args, check_fused, descend, optax_update, options, to_scalar,
                        zeros_like)

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (PyTorch's ``torch.optim.Adam``): L2 weight decay unless decoupled_weight_decay.

    The moments and the bias-corrected direction are optax's ``scale_by_adam`` (the same
    formula as PyTorch's: eps outside the square root of the corrected second moment). With
    ``amsgrad`` the direction uses the running maximum of the raw second moment, as PyTorch
    does; optax's ``scale_by_amsgrad`` keeps the maximum of the bias-corrected one.
    """

    hyper = ("betas", "eps")
    flags = ("amsgrad",)
    zeros = ("exp_avg", "exp_avg_sq")
    sparse_error = "Adam does not support sparse gradients, please consider SparseAdam instead"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and "
                             "foreach=True")
        check_args(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
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
        super().__init__(params, options(locals(), "lr betas eps weight_decay amsgrad maximize "
                                                   "foreach capturable differentiable fused "
                                                   "decoupled_weight_decay"))
        check_fused(fused, foreach, differentiable)

    def init(self, group, p):
        s = super().init(group, p)
        if group["amsgrad"]:
            s["max_exp_avg_sq"] = zeros_like(p._v)
        return s

    @staticmethod
    def update(p, g, s, h, f):
        b1, b2 = h["betas"]
        u, ns = optax_update(optax.scale_by_adam(b1, b2, h["eps"]), optax.ScaleByAdamState, g, s,
                             mu="exp_avg", nu="exp_avg_sq")
        if f["amsgrad"]:
            vmax = ns["max_exp_avg_sq"] = jnp.maximum(s["max_exp_avg_sq"], ns["exp_avg_sq"])
            t = s["step"].astype(jnp.int32)
            u = optax.tree.bias_correction(ns["exp_avg"], b1, t) / (
                jnp.sqrt(optax.tree.bias_correction(vmax, b2, t)) + h["eps"])
        return descend(p, u, h["lr"]), ns


class AdamW(Adam):
    """AdamW (PyTorch's ``torch.optim.AdamW``): Adam with decoupled weight decay.

    Its default weight_decay is PyTorch's 1e-2 (optax's ``adamw`` defaults to 1e-4), and the
    decay multiplies the parameter by ``1 - lr * wd`` before the Adam step, as PyTorch does.
    """

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
