"""PyTorch's guarantees, not JAX's defaults: out-of-range indices and integer division by zero
raise PyTorch's error (JAX clamps or returns a number), and NaN propagates through relu,
threshold and median as in PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike

NAN = float("nan")

CASES = {
    "index_select": lambda m, x: x.index_select(1, m.tensor([3])),
    "index_select_neg": lambda m, x: x.index_select(1, m.tensor([-1])),
    "gather_neg": lambda m, x: x.gather(1, m.tensor([[-1]])),
    "gather_high": lambda m, x: x.gather(0, m.tensor([[2, 0, 0]])),
    "scatter": lambda m, x: x.scatter(1, m.tensor([[3]]), 1.0),
    "scatter_add": lambda m, x: x.scatter_add(1, m.tensor([[3]]), m.ones(1, 1)),
    "index_add": lambda m, x: x.index_add(1, m.tensor([-4]), m.ones(2, 1)),
    "index_copy": lambda m, x: x.index_copy(1, m.tensor([7]), m.ones(2, 1)),
    "index_fill": lambda m, x: x.index_fill(1, m.tensor([-4]), 0.0),
    "index_fill_neg_ok": lambda m, x: x.index_fill(1, m.tensor([-1]), 0.0),
    "narrow": lambda m, x: x.narrow(1, -1, 2),
    "getitem": lambda m, x: x[m.tensor([2])],
    "embedding": lambda m, x: m.nn.functional.embedding(m.tensor([5]), m.ones(5, 2)),
    "embedding_neg": lambda m, x: m.nn.functional.embedding(m.tensor([-1]), m.ones(5, 2)),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(m.ones(2, 3), m.tensor([0, 3])),
    "floordiv_zero": lambda m, x: m.tensor([3]) // m.tensor([0]),
    "floordiv_scalar_zero": lambda m, x: m.tensor([3]) // 0,
    "remainder_zero": lambda m, x: m.tensor([3, 4]) % m.tensor([1, 0]),
    "fmod_zero": lambda m, x: m.fmod(m.tensor([3]), 0),
    "div_trunc_zero": lambda m, x: m.div(m.tensor([3]), 0, rounding_mode="trunc"),
    "float_floordiv_zero": lambda m, x: m.tensor([3.0]) // m.tensor([0.0]),
    "int_floordiv": lambda m, x: m.tensor([7, -7]) // m.tensor([2, 2]),
    "relu_nan": lambda m, x: m.relu(m.tensor([NAN, -1.0, 2.0])),
    "ReLU_nan": lambda m, x: m.nn.ReLU()(m.tensor([NAN, -1.0])),
    "threshold_nan": lambda m, x: m.nn.functional.threshold(m.tensor([NAN, -1.0, 2.0]), 0.5, 9.0),
    "maximum_nan": lambda m, x: m.maximum(m.tensor([NAN, 1.0]), m.tensor([0.0, 0.0])),
    "median_nan": lambda m, x: m.tensor([1.0, NAN, 2.0]).median(),
    "median_dim_nan": lambda m, x: m.tensor([[1.0, NAN, 2.0, NAN], [3, 1, 2, 0]]).median(1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_or_error_as_torch(torch, name):
    f = CASES[name]
    try:
        want = f(torch, torch.arange(6.0).view(2, 3))
    except Exception as e:  # noqa: BLE001 - torchlike must raise the same type and message
        with pytest.raises(type(e)) as info:
            f(torchlike, torchlike.arange(6.0).view(2, 3))
        assert str(info.value) == str(e)
        return
    got = f(torchlike, torchlike.arange(6.0).view(2, 3))
    want, got = (want if isinstance(want, tuple) else (want,)), \
        (got if isinstance(got, tuple) else (got,))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_relu_gradient_at_zero_is_zero():
    x = torchlike.tensor([0.0, 1.0, -1.0], requires_grad=True)
    torchlike.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])
