"""Names real programs call (issue 15), each against real PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "complex64"])
def test_finfo(torch, name):
    a, b = torchlike.finfo(getattr(torchlike, name)), torch.finfo(getattr(torch, name))
    assert repr(a) == repr(b)
    for f in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(a, f) == getattr(b, f), f
    assert repr(torchlike.finfo()) == repr(torch.finfo())


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8"])
def test_iinfo(torch, name):
    a, b = torchlike.iinfo(getattr(torchlike, name)), torch.iinfo(getattr(torch, name))
    assert repr(a) == repr(b) and (a.bits, a.min, a.max) == (b.bits, b.min, b.max)
    with pytest.raises(TypeError):
        torchlike.iinfo(torchlike.float32)


@pytest.mark.parametrize("shape,args", [((2, 3, 4), (2, 2, 1)), ((2, 3, 4), (1, 2, 2)),
                                        ((7,), (0, 3, 2)), ((5,), (0, 5, 1)),
                                        ((3, 4), (-1, 1, 3))])
def test_unfold_values_and_gradient(torch, shape, args):
    a = np.random.default_rng(0).standard_normal(shape)
    out = []
    for m in (torchlike, torch):
        x = m.tensor(a, requires_grad=True)
        u = x.unfold(*args)
        (u * u.detach() ** 2).sum().backward()
        out.append((u.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])


def test_unfold_errors_as_torch(torch):
    for m in (torchlike, torch):
        with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 3"):
            m.ones(3).unfold(0, 4, 1)


def test_range_objects_index_like_lists(torch):
    a = np.arange(12.0).reshape(3, 4)
    res = []
    for m in (torchlike, torch):
        x = m.tensor(a)
        got = x[range(3), m.tensor([0, 1, 3])]
        y = x.clone()
        y[range(1, 3), 0] = -1.0
        res.append((got.numpy(), x[range(2)].numpy(), y.numpy()))
    for g, w in zip(*res):
        np.testing.assert_array_equal(g, w)


def test_device_properties(torch):
    x, y = torchlike.ones(2), torch.ones(2)
    for name in ("is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse",
                 "is_quantized"):
        assert getattr(x, name) == getattr(y, name), name


def test_torch_functional_module(torch):
    import torch.functional as TF

    import torchlike.functional as F
    for name in F.__all__:
        assert hasattr(TF, name), name
    a = torchlike.ones(2, 3)
    np.testing.assert_array_equal(F.einsum("ij->j", a).numpy(), [2.0, 2.0, 2.0])


def test_backend_flags_are_settable():
    torchlike.backends.cuda.matmul.allow_tf32 = True
    torchlike.backends.cudnn.allow_tf32 = True
    assert torchlike.backends.cuda.matmul.allow_tf32 is True
