"""Gradcheck inputs for table ops (used by tests/test_ops.py's walk over the op table).

A part of torchlike that registers ops declares their inputs in tests/samples_<part>.py:

    from opsamples import Sample, _f64, _i64
    SAMPLES = {"my_op": [Sample(_f64(2, 3), _i64([0, 1]), dim=1)]}
    NO_GRADCHECK = {"my_random_op": "why finite differences cannot check it"}
"""
from __future__ import annotations

import numpy as np

import torchlike


class Sample:
    """Inputs for one gradcheck of a table op: `args` are the op's dynamic inputs (float64
    tensors get requires_grad; integer tensors and scalars are constants), `static` its static
    arguments by name (defaults filled from the op). `post` maps the op's outputs to what is
    checked (for outputs with gauge freedom, e.g. eigenvectors' signs)."""

    def __init__(self, *args, post=None, **static):
        self.args, self.static, self.post = args, static, post


def _f64(*shape, lo=-1.0, hi=1.0, seed=0):
    rng = np.random.default_rng(seed + 7 * len(shape) + sum(shape))
    a = rng.uniform(lo, hi, size=shape)
    # keep away from 0 and from ties (kinks of abs, relu, max...)
    a = np.where(np.abs(a) < 0.1, a + 0.3, a)
    return torchlike.tensor(a, dtype=torchlike.float64)


def _pos(*shape, seed=0):
    return _f64(*shape, lo=0.2, hi=1.0, seed=seed).abs()


def _i64(values):
    return torchlike.tensor(values, dtype=torchlike.int64)


def _spd(n):
    a = _f64(n, n)
    return (a @ a.mT + n * torchlike.eye(n, dtype=torchlike.float64)).detach()


