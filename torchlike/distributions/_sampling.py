"""Random draws used by the distributions, as table ops on jax.random.

The PRNG key (from the default generator) is an integer input; the distribution parameters are
differentiable inputs, so ``jax.random.gamma``'s implicit reparameterisation gives ``rsample``
gradients for Gamma, Beta and Dirichlet.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .._ops.registry import call, defop
from .._random import gen
from .._tensor import _new


@defop("dist_standard_gamma", n_in=2, saves="none", grad="StandardGammaBackward0")
def _standard_gamma(key, alpha):
    k = jax.random.wrap_key_data(key)
    tiny = jnp.finfo(alpha.dtype).tiny
    return jnp.maximum(jax.random.gamma(k, alpha, dtype=alpha.dtype), tiny)


@defop("dist_poisson", n_in=2, saves="none", differentiable=False)
def _poisson(key, rate):
    k = jax.random.wrap_key_data(key)
    return jax.random.poisson(k, rate, dtype=jnp.int64).astype(rate.dtype)


@defop("dist_categorical", n_in=2, saves="none", differentiable=False)
def _categorical(key, logits, shape):
    k = jax.random.wrap_key_data(key)
    return jax.random.categorical(k, logits, axis=-1, shape=shape).astype(jnp.int64)


def _key(generator=None):
    return _new(jax.random.key_data(gen(generator).next_key()))


def standard_gamma(alpha, generator=None):
    return call(_standard_gamma, (_key(generator), alpha), ())


def poisson(rate, generator=None):
    return call(_poisson, (_key(generator), rate), ())


def categorical(logits, shape, generator=None):
    """Indices drawn from softmax(logits) over the last axis; result shape ``shape``
    (which must end with logits' batch shape)."""
    return call(_categorical, (_key(generator), logits), (tuple(shape),))
