"""Random sampling: one op whose inputs are the key and the distribution's two parameters and
whose static arguments are the distribution, shape and dtype.

Eagerly, elementwise distributions are drawn for a flat power-of-two length and cut to the
shape (`_creation._sample`): jax's threefry bits are counter-based, so the first n draws of a
longer flat sample are exactly the draws of n, and one compiled sampler per length bucket
serves every shape. Draws are so the same whatever the call's history, in eager mode and under
`torchlike.compile` (which samples the exact shape inside its program)."""
from __future__ import annotations

import jax

from .registry import defop


@defop("random_sample", n_in=3, saves="none", differentiable=False)
def random_sample(key, p0, p1, kind, shape, dtype):
    if kind == "uniform":
        return jax.random.uniform(key, shape, dtype, p0.astype(dtype), p1.astype(dtype))
    if kind == "normal":
        return (jax.random.normal(key, shape, dtype) * p1 + p0).astype(dtype)
    if kind == "randint":
        return jax.random.randint(key, shape, p0, p1, dtype)
    if kind == "bernoulli":
        return jax.random.bernoulli(key, p0, shape).astype(dtype)
    if kind == "perm":
        return jax.random.permutation(key, shape[0]).astype(dtype)
    raise ValueError(kind)
