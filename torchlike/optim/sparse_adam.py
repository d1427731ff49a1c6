"""SparseAdam (PyTorch's lazy Adam for sparse gradients).

torchlike has no sparse tensors: gradients arrive dense. A row (index along dim 0, as
``nn.Embedding(sparse=True)`` produces) counts as present in the gradient when any of its
entries is nonzero; only present rows of the moments and the parameter are updated, which is
PyTorch's update for a sparse gradient holding exactly those rows.
"""
from __future__ import annotations

import jax.numpy as jnp

from .optimizer import Optimizer, cast, check_args, options, wide

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """SparseAdam (``torch.optim.SparseAdam``), on dense gradients (see the module notes).

    Not optax: its Adam updates every entry; this one leaves absent rows untouched.
    """

    hyper = ("betas", "eps")
    zeros = ("exp_avg", "exp_avg_sq")
    sparse_error = None

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        check_args(positive=("lr", "eps"), lr=lr, eps=eps, betas=betas)
        super().__init__(params, options(locals(), "lr betas eps maximize"))
        complex_params = []
        for index, param_group in enumerate(self.param_groups):
            for d_index, d_param in enumerate(param_group["params"]):
                if d_param.is_complex():
                    complex_params.append([index, d_index])
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    @staticmethod
    def update(p, g, s, h, f):
        dt, (beta1, beta2) = p.dtype, h["betas"]
        nz = g != 0
        if g.ndim > 1:
            nz = jnp.any(nz, axis=tuple(range(1, g.ndim)), keepdims=True)
        m_old, v_old = s["exp_avg"], s["exp_avg_sq"]
        m_upd = (g - m_old) * cast(1 - beta1, dt)
        v_upd = (g * g - v_old) * cast(1 - beta2, dt)
        t = wide(s["step"])
        step_size = wide(h["lr"]) * jnp.sqrt(1 - wide(beta2) ** t) / (1 - wide(beta1) ** t)
        new_p = p + cast(-step_size, dt) * ((m_upd + m_old) / (jnp.sqrt(v_upd + v_old)
                                                                + cast(h["eps"], dt)))
        return jnp.where(nz, new_p, p), {"exp_avg": jnp.where(nz, m_old + m_upd, m_old),
                                         "exp_avg_sq": jnp.where(nz, v_old + v_upd, v_old)}
