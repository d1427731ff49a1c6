from __future__ import annotations

import math
import warnings

import jax.numpy as jnp

from ..._autograd_core import no_grad
from ..._ops.registry import commit
from ..._tensor import Tensor, _new


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return _new(jnp.asarray(0.0, jnp.float32))
    vals = [t._v for t in tensors]
    if norm_type == math.inf:
        norms = [jnp.max(jnp.abs(v)) for v in vals]
        total = jnp.max(jnp.stack(norms))
    else:
        norms = [jnp.sum(jnp.abs(v) ** norm_type) ** (1.0 / norm_type) for v in vals]
        total = jnp.sum(jnp.stack(norms) ** norm_type) ** (1.0 / norm_type)
    total = total.astype(vals[0].dtype)
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable this "
                           "error and scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return _new(total)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    grads = _grads(parameters)
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total_norm
    clip_coef = float(max_norm) / (total_norm._v + 1e-6)
    clip_coef = jnp.minimum(clip_coef, 1.0)
    with no_grad():
        for g in grads:
            commit(g, _new(g._v * clip_coef.astype(g._v.dtype)))
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            commit(g, _new(jnp.clip(g._v, -clip_value, clip_value)))
