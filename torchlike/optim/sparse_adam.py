"""SparseAdam (PyTorch's lazy Adam for sparse gradients).

torchlike has no sparse tensors: gradients arrive dense. A row (index along dim 0, as
``nn.Embedding(sparse=True)`` produces) counts as present in the gradient when any of its
entries is nonzero; only present rows of the moments and the parameter are updated, which is
PyTorch's update for a sparse gradient holding exactly those rows.
"""
from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor, _new
from .optimizer import Optimizer, cast, check_betas, hp, kernel, step_tensor, wide, zeros_like

__all__ = ["SparseAdam"]


@kernel
def _sparse_adam(static, params, grads, states, h):
    (maximize,) = static
    lr, beta1, beta2, eps = h
    out_p, out_s = [], []
    for p, g, s in zip(params, grads, states):
        dt = p.dtype
        if maximize:
            g = -g
        step = s["step"] + 1
        nz = g != 0
        if g.ndim > 1:
            nz = jnp.any(nz, axis=tuple(range(1, g.ndim)), keepdims=True)
        m_old, v_old = s["exp_avg"], s["exp_avg_sq"]
        m_upd = (g - m_old) * cast(1 - beta1, dt)
        v_upd = (g * g - v_old) * cast(1 - beta2, dt)
        m = jnp.where(nz, m_old + m_upd, m_old)
        v = jnp.where(nz, v_old + v_upd, v_old)
        numer = m_upd + m_old
        denom = jnp.sqrt(v_upd + v_old) + cast(eps, dt)
        t = wide(step)
        bc1 = 1 - wide(beta1) ** t
        bc2 = 1 - wide(beta2) ** t
        step_size = wide(lr) * jnp.sqrt(bc2) / bc1
        p = jnp.where(nz, p + cast(-step_size, dt) * (numer / denom), p)
        out_p.append(p)
        out_s.append({"step": step, "exp_avg": m, "exp_avg_sq": v})
    return out_p, out_s


class SparseAdam(Optimizer):
    """SparseAdam (``torch.optim.SparseAdam``), on dense gradients (see the module notes)."""

    _kernel = _sparse_adam

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        check_betas(betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = []
        for index, param_group in enumerate(self.param_groups):
            for d_index, d_param in enumerate(param_group["params"]):
                if d_param.is_complex():
                    complex_params.append([index, d_index])
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    def step(self, closure=None):
        return self._default_step(closure)

    def _check_grad(self, p, g):
        s = self.state.get(p)
        if s and not isinstance(s.get("step"), Tensor):   # PyTorch keeps an int step here
            s["step"] = _new(jnp.asarray(float(s["step"]), jnp.float32))

    def _init_state(self, group, p, state):
        state["step"] = step_tensor()
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)

    def _static(self, group, params, states):
        return (bool(group.get("maximize", False)),)

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return (hp(group["lr"]), hp(b1), hp(b2), hp(group["eps"]))
