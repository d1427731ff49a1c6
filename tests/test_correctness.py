"""Silent differences from PyTorch found by differential testing (issue 13), each compared with
real PyTorch: the same values, or the same exception type and message."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import results_or_same_error

NAN, INF = float("nan"), float("inf")


def _max_out(m):
    x = m.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]])
    v, i = m.empty(0), m.empty(0, dtype=m.long)
    r = m.max(x, 1, out=(v, i))
    assert r[0] is v and r[1] is i
    return v, i


def _pow_grad(m, exponent):
    t = m.tensor([0.0, 2.0], requires_grad=True)
    (t ** exponent(m)).sum().backward()
    return t.grad


def _expand_inplace(m):
    e = m.ones(1, 3).expand(2, 3)
    return e.add_(1)


CASES = {
    "max_out": _max_out,
    "cumsum_float16_accumulates_in_float32": lambda m: m.full((4096,), 0.1,
                                                              dtype=m.float16).cumsum(0)[-1:],
    "pow_zero_exponent_grad_at_zero": lambda m: _pow_grad(m, lambda m: 0.0),
    "pow_tensor_zero_exponent_grad": lambda m: _pow_grad(m, lambda m: m.tensor([0.0, 1.0])),
    "gather_index_smaller_than_input": lambda m: m.gather(m.arange(12.0).view(3, 4), 1,
                                                          m.tensor([[0, 1], [2, 3]])),
    "gather_int32_index": lambda m: m.gather(m.ones(2, 2), 1, m.tensor([[0], [1]],
                                                                     dtype=m.int32)),
    "tensor_split_past_the_end": lambda m: m.tensor_split(m.arange(5), [2, 8]),
    "view_dtype_wider": lambda m: m.tensor([1, 2, 3, 4], dtype=m.int16).view(m.int32),
    "view_dtype_narrower": lambda m: m.tensor([1, 2], dtype=m.int32).view(m.int16),
    "view_dtype_indivisible": lambda m: m.tensor([1, 2, 3], dtype=m.int16).view(m.int32),
    "repeat_interleave_one_argument": lambda m: m.repeat_interleave(m.tensor([1, 0, 2])),
    "inplace_on_expanded": _expand_inplace,
    "complex_lt": lambda m: m.tensor([1 + 1j]) < m.tensor([2 + 0j]),
    "negate_bool": lambda m: -m.tensor([True, False]),
    "int64_overflow_literal": lambda m: m.tensor([2 ** 63]),
    "tensor_2_64": lambda m: m.tensor(2 ** 64),
    "cat_empty": lambda m: m.cat([]),
    "topk_k_too_large": lambda m: m.topk(m.ones(3), 5),
    "kthvalue_k_too_large": lambda m: m.kthvalue(m.ones(3), 5),
    "take": lambda m: m.take(m.arange(6.0).view(2, 3), m.tensor([[0, -1]])),
    "take_out_of_range": lambda m: m.take(m.ones(3), m.tensor([5])),
    "bincount_negative": lambda m: m.bincount(m.tensor([-1, 2])),
    "linspace_negative_steps": lambda m: m.linspace(0, 1, steps=-1),
    "index_select_float_index": lambda m: m.index_select(m.ones(3), 0, m.tensor([0.0])),
    "float_to_long_nan_inf": lambda m: m.tensor([NAN, INF, -INF, 1e20, -2.5]).long(),
    "float_to_int_nan": lambda m: m.tensor([NAN, 1e10, -3.7]).int(),
    "float_to_uint8_wraps": lambda m: m.tensor([NAN, 300.0, -3.7]).to(m.uint8),
    "float_to_short_wraps": lambda m: m.tensor([NAN, 1e5]).short(),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_torch(torch, name):
    both = results_or_same_error(torch, CASES[name])
    if both is None:
        return
    got, want = both
    want = want if isinstance(want, (tuple, list)) else (want,)
    got = got if isinstance(got, (tuple, list)) else (got,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert str(g.dtype) == str(w.dtype) and tuple(g.shape) == tuple(w.shape)
        np.testing.assert_array_equal(g.detach().numpy(), w.detach().numpy())
