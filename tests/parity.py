"""A compact parity harness for table-driven tests against real torch (test_math_tail.py,
test_fft_special.py): one `Case` per call, run on both modules with the same inputs, comparing
structure, shapes, dtypes and values, and (for float64 inputs with `grad=True`) the gradient of
a fixed weighted sum of the floating outputs."""
from __future__ import annotations

import math

import numpy as np

import torchlike


class Case:
    """`fn(m, *tensors)` is called with m = torchlike or torch; `inputs` are numpy arrays (or
    Python scalars, passed as is). `grad`: indices of the inputs to differentiate (float64)."""

    def __init__(self, id, fn, *inputs, grad=(), rtol=1e-5, atol=1e-6):
        self.id, self.fn, self.inputs, self.grad = id, fn, inputs, grad
        self.rtol, self.atol = rtol, atol

    def __repr__(self):
        return self.id


def rng(seed=0):
    return np.random.default_rng(seed)


def _to(m, a, requires_grad=False):
    if not isinstance(a, np.ndarray):
        return a
    t = m.tensor(a)
    return t.requires_grad_() if requires_grad else t


def _floats(r):
    if isinstance(r, (tuple, list)):
        return [y for x in r for y in _floats(x)]
    if hasattr(r, "dtype") and hasattr(r, "shape") and (r.dtype.is_floating_point
                                                       or r.dtype.is_complex):
        return [r]
    return []


def compare(actual, expected, rtol=1e-5, atol=1e-6, where="result"):
    import torch
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torchlike.Tensor), (where, type(actual))
        assert tuple(actual.shape) == tuple(expected.shape), \
            f"{where}: shape {tuple(actual.shape)} != torch's {tuple(expected.shape)}"
        assert str(actual.dtype) == str(expected.dtype), \
            f"{where}: dtype {actual.dtype} != torch's {expected.dtype}"
        a = np.asarray(actual.detach().numpy())
        e = expected.detach().resolve_conj().numpy()
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=where)
        else:
            np.testing.assert_array_equal(a, e, err_msg=where)
    elif isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), (where, type(actual))
        assert len(actual) == len(expected), (where, len(actual), len(expected))
        for i, (x, y) in enumerate(zip(actual, expected)):
            compare(x, y, rtol, atol, f"{where}[{i}]")
        if hasattr(expected, "_fields"):
            assert tuple(getattr(actual, "_fields", ())) == expected._fields, where
    elif isinstance(expected, float):
        assert math.isclose(actual, expected, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(actual) and math.isnan(expected)), (where, actual)
    else:
        assert actual == expected, (where, actual, expected)


def run_case(torch, case):
    outs, grads = [], []
    for m in (torchlike, torch):
        xs = [_to(m, a, i in case.grad) for i, a in enumerate(case.inputs)]
        r = case.fn(m, *xs)
        outs.append(r)
        if case.grad:
            fl = _floats(r)
            total = 0
            for k, o in enumerate(fl):
                w = np.cos(np.arange(o.numel()) + k).reshape(tuple(o.shape))
                w = m.tensor(w, dtype=o.real.dtype if o.dtype.is_complex else o.dtype)
                if o.dtype.is_complex:
                    o = o.resolve_conj()
                    total = total + (m.view_as_real(o) * w.unsqueeze(-1)).sum()
                else:
                    total = total + (o * w).sum()
            gs = m.autograd.grad(total, [xs[i] for i in case.grad], allow_unused=True)
            grads.append([None if g is None else g for g in gs])
    compare(outs[0], outs[1], case.rtol, case.atol)
    if case.grad:
        for i, (g, h) in enumerate(zip(*grads)):
            if h is None:
                assert g is None or not np.any(g.numpy()), f"grad[{i}]: torch's is None"
                continue
            assert g is not None, f"grad[{i}] is None, torch's is not"
            compare(g, h, 1e-5, 1e-7, f"grad[{i}]")


def run_error(torch, fn, inputs, exc, match):
    """Both modules raise `exc` whose message contains `match`."""
    import pytest
    for m in (torch, torchlike):
        xs = [_to(m, a) for a in inputs]
        with pytest.raises(exc) as info:
            fn(m, *xs)
        assert match in str(info.value), (m.__name__, str(info.value))
