"""Generated variants: every public function that PyTorch also offers as a Tensor method, an
in-place method or a `torch.name_` function has that form here (torchlike/_methods.py derives
them from torchlike/_ops/variants.py, PyTorch's names)."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike
from torchlike import _methods
from torchlike._ops.variants import TENSOR_METHODS, TORCH_INPLACE


def _missing():
    miss = []
    for name, _ in _methods._public_functions():
        if name in TENSOR_METHODS and not hasattr(torchlike.Tensor, name):
            miss.append(f"Tensor.{name}")
        if name in TENSOR_METHODS and name + "_" in TENSOR_METHODS \
                and not hasattr(torchlike.Tensor, name + "_"):
            miss.append(f"Tensor.{name}_")
        if name + "_" in TORCH_INPLACE and not hasattr(torchlike, name + "_"):
            miss.append(f"torchlike.{name}_")
    return miss


def test_every_variant_pytorch_has_exists():
    assert _missing() == []


def test_recorded_variant_names_are_pytorchs(torch):
    methods = {n for n in dir(torch.Tensor) if not n.startswith("_")}
    inplace = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_")
               and callable(getattr(torch, n))}
    assert TENSOR_METHODS == methods and TORCH_INPLACE == inplace, \
        "regenerate torchlike/_ops/variants.py with python docs/gen_variants.py"


@pytest.mark.parametrize("call", [
    lambda m, x: x.t_(), lambda m, x: x.transpose_(0, 1), lambda m, x: x.unsqueeze_(1),
    lambda m, x: x.unsqueeze_(0).squeeze_(0), lambda m, x: x.swapaxes_(0, 1),
    lambda m, x: x.swapdims_(1, 0), lambda m, x: m.sin_(x), lambda m, x: m.clamp_(x, -0.5, 0.5),
    lambda m, x: x.cumsum_(1), lambda m, x: x.exp2_(), lambda m, x: x.sinc_(),
    lambda m, x: x.atan_().sgn_()])
def test_inplace_variants_match_torch(torch, call):
    a = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    for box in (lambda t: t, lambda t: t.view(2, 3)):     # a root and a view of one
        x, y = box(torchlike.tensor(a)), box(torch.tensor(a))
        r, s = call(torchlike, x), call(torch, y)
        assert r is x
        assert tuple(x.shape) == tuple(y.shape) and tuple(r.shape) == tuple(s.shape)
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6, atol=1e-6)


def test_shape_inplace_through_a_view_writes_the_base(torch):
    for m in (torchlike, torch):
        base = m.arange(6.0).view(2, 3)
        v = base[0]
        v.unsqueeze_(0)
        assert tuple(v.shape) == (1, 3)
        v.mul_(2)
        if m is torchlike:
            got = base.numpy().copy()
        else:
            want = base.numpy().copy()
    np.testing.assert_array_equal(got, want)


def test_shape_inplace_records_the_gradient(torch):
    grads = []
    for m in (torchlike, torch):
        w = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        h = w * 1
        h.t_()
        (h * m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_array_equal(*grads)


def test_shape_inplace_on_a_leaf_that_requires_grad_raises():
    w = torchlike.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.t_()
