"""Random sampling: one op whose static arguments are the distribution, shape and dtype. The
key is its only input, so eager calls of a new shape are interpreted, not compiled (see
`registry.Kernel`), and under `torchlike.compile` the key is a traced input."""
from __future__ import annotations

import jax

from .registry import defop


@defop("random_sample", n_in=1, saves="none", differentiable=False)
def random_sample(key, kind, shape, dtype, params=()):
    if kind == "uniform":
        lo, hi = params
        return jax.random.uniform(key, shape, dtype, lo, hi)
    if kind == "normal":
        mean, std = params
        return (jax.random.normal(key, shape, dtype) * std + mean).astype(dtype)
    if kind == "randint":
        lo, hi = params
        return jax.random.randint(key, shape, lo, hi, dtype)
    if kind == "perm":
        return jax.random.permutation(key, shape[0]).astype(dtype)
    if kind == "bernoulli":
        (p,) = params
        return jax.random.bernoulli(key, p, shape).astype(dtype)
    raise ValueError(kind)
