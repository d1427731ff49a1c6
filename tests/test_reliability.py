"""Issue 16's remaining inputs, each compared with real torch: binary_cross_entropy's range
checks, multinomial's validation, tensors too large to exist (a RuntimeError at creation,
never an abort inside XLA or an error deferred to first use)."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike
from conftest import results_or_same_error

NAN, INF = float("nan"), float("inf")


def _bce(m, i, t):
    return m.nn.functional.binary_cross_entropy(m.tensor(i), m.tensor(t))


CASES = {
    "bce_input_above": lambda m: _bce(m, [0.5, 1.5], [1.0, 0.0]),
    "bce_input_below": lambda m: _bce(m, [-0.5], [1.0]),
    "bce_input_nan": lambda m: _bce(m, [NAN], [1.0]),
    "bce_target_above": lambda m: _bce(m, [0.5], [2.0]),
    "bce_target_below": lambda m: _bce(m, [0.5], [-1.0]),
    "bce_target_inf": lambda m: _bce(m, [0.5], [INF]),
    "bce_both_bad": lambda m: _bce(m, [1.5], [2.0]),
    "bce_ok": lambda m: _bce(m, [0.0, 0.25, 1.0], [0.0, 0.5, 1.0]),
    "bce_empty": lambda m: _bce(m, [], []),
    "BCELoss": lambda m: m.nn.BCELoss()(m.tensor([1.5]), m.tensor([1.0])),
    "mn_negative": lambda m: m.multinomial(m.tensor([0.5, -0.1]), 1),
    "mn_inf": lambda m: m.multinomial(m.tensor([0.5, INF]), 1),
    "mn_nan": lambda m: m.multinomial(m.tensor([0.5, NAN]), 1),
    "mn_zero_sum": lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    "mn_zero_row": lambda m: m.multinomial(m.tensor([[0.0, 0.0], [1.0, 1.0]]), 1),
    "mn_repl_negative": lambda m: m.multinomial(m.tensor([0.5, -0.1]), 2, True),
    "mn_repl_inf": lambda m: m.multinomial(m.tensor([0.5, INF]), 2, True),
    "mn_repl_nan": lambda m: m.multinomial(m.tensor([0.5, NAN]), 2, True),
    "mn_repl_zero_row": lambda m: m.multinomial(m.tensor([[1.0, 1.0], [0.0, 0.0]]), 2, True),
    "mn_too_many": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3),
    "mn_0d": lambda m: m.multinomial(m.tensor(0.5), 1),
    "mn_3d": lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    "mn_int": lambda m: m.multinomial(m.tensor([1, 2]), 1),
    "mn_zero_samples": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 0),
    "mn_negative_samples": lambda m: m.multinomial(m.tensor([0.5, 0.5]), -1),
    "mn_float_samples": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 1.5),
    "mn_empty_rows": lambda m: m.multinomial(m.ones(0, 3), 2, True),
    "mn_huge": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 2 ** 40, True),
    "mn_one_category": lambda m: m.multinomial(m.tensor([[0.0, 3.0], [2.0, 0.0]]), 1),
    "zeros_overflow": lambda m: m.zeros(2 ** 62, 4),
    "zeros_overflow_zero_dim": lambda m: m.zeros(2 ** 62, 4, 0),
    "zeros_square": lambda m: m.zeros(2 ** 40, 2 ** 40),
    "ones_overflow": lambda m: m.ones(2 ** 31, 2 ** 31),
    "empty_overflow": lambda m: m.empty(2 ** 62),
    "uint8_overflow": lambda m: m.zeros(2 ** 62, 2, dtype=m.uint8),
    "full_overflow": lambda m: m.full((2 ** 40, 2 ** 40), 1.0),
    "zeros_like_overflow": lambda m: m.zeros_like(m.ones(1)).new_zeros(2 ** 62, 4),
    "randn_too_big": lambda m: m.randn(10 ** 12),
    "rand_too_big": lambda m: m.rand(10 ** 12),
    "randint_too_big": lambda m: m.randint(0, 5, (10 ** 12,)),
    "randperm_too_big": lambda m: m.randperm(10 ** 12),
    "arange_too_big": lambda m: m.arange(10 ** 13),
    "eye_too_big": lambda m: m.eye(10 ** 7),
    "linspace_too_big": lambda m: m.linspace(0, 1, 10 ** 13),
    "cat_empty": lambda m: m.cat([]),
    "topk_k_above_n": lambda m: m.topk(m.arange(3.0), 4),
    "kthvalue_k_above_n": lambda m: m.kthvalue(m.arange(3.0), 4),
    "kthvalue_zero": lambda m: m.kthvalue(m.arange(3.0), 0),
    "take_out_of_range": lambda m: m.take(m.arange(3.0), m.tensor([5])),
    "put__out_of_range": lambda m: m.arange(3.0).put_(m.tensor([5]), m.tensor([1.0])),
    "embedding_bag_out_of_range": lambda m: m.nn.functional.embedding_bag(m.tensor([[5]]),
                                                                           m.ones(3, 2)),
    "embedding_bag_negative": lambda m: m.nn.functional.embedding_bag(m.tensor([0, -1]),
                                                                       m.ones(3, 2),
                                                                       m.tensor([0])),
    "bincount_negative": lambda m: m.bincount(m.tensor([-1, 2])),
    "tensor_2_64": lambda m: m.tensor(2 ** 64),
    "tensor_below_int64": lambda m: m.tensor([-2 ** 63 - 1]),
    "linspace_negative_steps": lambda m: m.linspace(0, 1, steps=-1),
    "index_select_float_index": lambda m: m.index_select(m.arange(3.0), 0, m.tensor([0.0])),
    "gather_int32_index": lambda m: m.gather(m.arange(3.0), 0, m.tensor([1], dtype=m.int32)),
    "float_to_int64_nonfinite": lambda m: m.tensor([NAN, INF, -INF, 1e20]).to(m.int64),
    "float_to_uint8_nonfinite": lambda m: m.tensor([NAN, INF, 300.0, -1.0]).to(m.uint8),
    "int_pow_negative_exponent": lambda m: m.tensor([[5], [1], [0], [255]], dtype=m.uint8)
    ** m.tensor([-2, -1, 0, 3], dtype=m.int32),
    "int_pow_minus_one": lambda m: m.tensor([-1, -1, 2, -3]) ** m.tensor([-3, -2, -1, 2]),
    "int_rpow_negative_exponent": lambda m: m.pow(3, m.tensor([-1, 2])),
    "zeros_negative": lambda m: m.zeros(2, -3),
    "empty_negative": lambda m: m.empty(-1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_or_error_as_torch(torch, name):
    both = results_or_same_error(torch, CASES[name])
    if both is None:
        return
    got, want = both
    if name.startswith("mn_"):  # random draws: the same shape and dtype
        assert tuple(got.shape) == tuple(want.shape) and str(got.dtype) == str(want.dtype)
        if name == "mn_one_category":
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        return
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_multinomial_without_replacement_draws_zero_probabilities_last():
    torchlike.manual_seed(0)
    for _ in range(5):
        s = torchlike.multinomial(torchlike.tensor([0.5, 0.0, 0.5, 0.0]), 4).tolist()
        assert sorted(s[:2]) == [0, 2] and sorted(s[2:]) == [1, 3]


def test_bce_range_checked_in_compiled_step(torch):
    f = torchlike.compile(torchlike.nn.functional.binary_cross_entropy)
    x, t = torchlike.tensor([0.2, 0.7]), torchlike.tensor([0.0, 1.0])
    for _ in range(2):
        want = torch.nn.functional.binary_cross_entropy(torch.tensor([0.2, 0.7]),
                                                        torch.tensor([0.0, 1.0]))
        np.testing.assert_allclose(f(x, t).item(), want.item(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        f(x, torchlike.tensor([0.0, 1.5]))



@pytest.mark.parametrize("probs,replacement,message", [
    ([0.5, -0.1], False, "probability tensor contains either `inf`, `nan` or element < 0"),
    ([0.5, float("nan")], False, "probability tensor contains either `inf`, `nan` or element"),
    ([0.0, 0.0], False, "invalid multinomial distribution \\(sum of probabilities <= 0\\)"),
    ([0.5, -0.1], True, "encountering probability entry < 0"),
    ([0.5, float("inf")], True, "encountering probability entry = infinity or NaN"),
])
def test_multinomial_checked_in_compiled_step(probs, replacement, message):
    f = torchlike.compile(lambda p: torchlike.multinomial(p, 2, replacement))
    good = torchlike.tensor([0.5, 0.5])
    for _ in range(2):
        assert sorted(f(good).tolist()) == [0, 1] or replacement
    with pytest.raises(RuntimeError, match=message):
        f(torchlike.tensor(probs))
