"""Tensor basics against real torch: creation, dtypes and promotion, repr, views and aliasing,
the NumPy bridge, indexing, out=, errors, RNG."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike
from test_ops import compare

tl = torchlike


# ------------------------------------------------------------------------------- creation


@pytest.mark.parametrize("expr", [
    "m.tensor([1, 2, 3])", "m.tensor([1.0, 2.0])", "m.tensor([[1, 2], [3, 4.5]])",
    "m.tensor(3)", "m.tensor(2.5)", "m.tensor(True)", "m.tensor([True, False])",
    "m.tensor([1, 2], dtype=m.float64)", "m.tensor(np.array([1, 2], np.int32))",
    "m.tensor(np.float32(1.5))", "m.tensor([])",
    "m.zeros(2, 3)", "m.zeros((2, 3), dtype=m.int64)", "m.ones([2])", "m.ones(m.Size([2, 1]))",
    "m.full((2, 2), 7)", "m.full((2,), 1.5)", "m.full((2,), True)", "m.empty(0, 3).shape",
    "m.eye(3)", "m.eye(2, 3, dtype=m.int64)", "m.arange(5)", "m.arange(1, 4, 0.5)",
    "m.arange(0, 1, 0.25, dtype=m.float64)", "m.arange(5.0)", "m.arange(10, 0, -3)",
    "m.linspace(0, 1, 5)", "m.linspace(-1, 1, steps=3, dtype=m.float64)",
    "m.logspace(0, 2, 3)", "m.zeros_like(m.ones(2, 3, dtype=m.int64))",
    "m.ones_like(m.zeros(2), dtype=m.float64)", "m.full_like(m.zeros(2, dtype=m.int64), 3)",
    "m.as_tensor([1, 2])", "m.as_tensor(np.arange(3.0))",
    "m.Tensor([1, 2])", "m.Tensor(2, 3).shape", "m.FloatTensor([1, 2])", "m.LongTensor([1, 2])",
    "m.zeros(2).new_tensor([1, 2])",
])
def test_creation(torch, expr):
    compare(eval(expr, {"m": tl, "np": np}), eval(expr, {"m": torch, "np": np}), where=expr)


def test_creation_requires_grad_and_size_forms():
    t = tl.zeros(2, 3, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None
    assert tl.ones(tl.Size([2, 3])).shape == (2, 3)
    assert tl.rand(2, 3).dtype is tl.float32
    assert tl.rand_like(tl.zeros(2, dtype=tl.float64)).dtype is tl.float64
    assert tl.rand_like(tl.zeros(2, dtype=tl.int64), dtype=tl.float).dtype is tl.float32
    assert tl.randint(0, 5, (3,)).dtype is tl.int64
    assert tl.randperm(5).sort().values.tolist() == [0, 1, 2, 3, 4]
    assert tl.randn(2, 2, dtype=tl.float64).dtype is tl.float64
    with pytest.raises(RuntimeError):
        tl.zeros(-1)


# ------------------------------------------------------------------------ dtypes, promotion


def test_dtype_objects(torch):
    for name in ("float32", "float", "float64", "double", "float16", "half", "bfloat16", "int8",
                 "int16", "int32", "int", "int64", "long", "uint8", "bool", "short"):
        assert repr(getattr(tl, name)) == repr(getattr(torch, name)), name
    assert tl.float is tl.float32 and tl.long is tl.int64 and tl.double is tl.float64
    assert tl.get_default_dtype() is tl.float32
    assert tl.float32.is_floating_point and not tl.int64.is_floating_point
    assert tl.float32.itemsize == 4


@pytest.mark.parametrize("expr", [
    "m.tensor([1, 2]) + 1.5", "m.tensor([1, 2]) * 2", "m.tensor([1, 2]) / 2",
    "m.tensor([1, 2]) / m.tensor([2, 2])", "m.tensor([1, 2], dtype=m.int32) + 1",
    "m.tensor([1, 2], dtype=m.int32) + m.tensor(1)", "m.tensor([1., 2.]) + m.tensor(1.0, "
    "dtype=m.float64)", "m.tensor([1, 2], dtype=m.uint8) + m.tensor([1], dtype=m.int8)",
    "m.tensor([True]) + 1", "m.tensor([True]) + 1.0", "m.tensor([1, 2]) ** 2",
    "m.tensor([1, 2]) ** 0.5", "2 ** m.tensor([1, 2])", "m.tensor([1., 2.]).half() * 2.5",
    "m.tensor([1, 2]).float().double()", "m.tensor([1.7, -1.7]).long()",
    "m.tensor([1, 0]).bool()", "m.tensor([1, 2]).to(m.float16)", "m.tensor([1., 2.]).int()",
    "m.tensor([1., 2.]).type(m.int64)", "m.tensor([1, 2]).sum()", "m.tensor([1, 2]).prod()",
    "m.tensor([True, True]).sum()", "m.tensor([1, 2]).cumsum(0)",
    "m.tensor([1, 2], dtype=m.int32).sum()", "m.tensor([1., 2.]).mean()",
    "m.tensor([3, 4]).sqrt()", "m.tensor([3, 4]).exp()", "m.tensor([3, 4]).sigmoid()",
    "m.where(m.tensor([True, False]), m.tensor([1, 2]), 0.5)",
    "m.tensor([1, 2]).float().type_as(m.tensor([1]))",
])
def test_promotion(torch, expr):
    compare(eval(expr, {"m": tl}), eval(expr, {"m": torch}), rtol=1e-3, where=expr)


def test_type_string(torch):
    assert tl.tensor([1.0]).type() == torch.tensor([1.0]).type() == "torch.FloatTensor"
    assert tl.tensor([1]).type() == "torch.LongTensor"
    assert tl.tensor([1]).type("torch.DoubleTensor").dtype is tl.float64


def test_default_dtype_switch():
    try:
        tl.set_default_dtype(tl.float64)
        assert tl.tensor([1.5]).dtype is tl.float64
        assert tl.zeros(2).dtype is tl.float64
        assert (tl.tensor([1, 2]) / 2).dtype is tl.float64
    finally:
        tl.set_default_dtype(tl.float32)
    assert tl.tensor([1.5]).dtype is tl.float32


def test_size_and_attributes(torch):
    t, r = tl.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert repr(t.shape) == repr(r.shape) == "torch.Size([2, 3, 4])"
    assert str(t.size()) == "torch.Size([2, 3, 4])"
    assert t.size(1) == 3 and t.size(-1) == 4 and t.dim() == 3 and t.ndim == 3
    assert t.numel() == 24 and t.shape.numel() == 24 and t.element_size() == 4
    assert isinstance(t.shape[1:], tl.Size) and repr(t.shape[1:]) == "torch.Size([3, 4])"
    assert str(t.device) == "cpu" and t.device == tl.device("cpu") and not t.is_cuda
    assert t.cpu().device.type == "cpu" and t.to("cpu").shape == (2, 3, 4)
    assert t.to(tl.float64).dtype is tl.float64
    assert t.to(tl.zeros(1, dtype=tl.int64)).dtype is tl.int64
    assert isinstance(tl.cuda.is_available(), bool)
    assert isinstance(tl.cuda.device_count(), int)
    assert isinstance(tl.accelerator.is_available(), bool)


# ---------------------------------------------------------------------------------- repr


@pytest.mark.parametrize("expr", [
    "m.tensor([0, 1, 2])", "m.tensor([[0.5926]])", "m.tensor([1.0, 2.5, -3.0])",
    "m.tensor([1e-5, 1.0])", "m.tensor([1e10, 1.0])", "m.tensor([1, 2], dtype=m.int32)",
    "m.tensor([1.5], dtype=m.float64)", "m.tensor([True, False])", "m.tensor(3.25)",
    "m.arange(2000.0)", "m.arange(12).reshape(3, 4)", "m.zeros(0)", "m.zeros(2, 0)",
    "m.tensor([float('nan'), float('inf'), 1.0])", "m.ones(2, 2, requires_grad=True)",
    "m.ones(2, requires_grad=True) * 2", "m.ones(2, 2, requires_grad=True)[0]",
    "m.ones(2, 2, requires_grad=True).sum()", "m.ones(2, requires_grad=True).detach()",
    "m.ones(3, requires_grad=True).double() + 1", "m.ones(2, 3, requires_grad=True).t()",
    "m.ones(2, 3, requires_grad=True).view(6)", "m.ones(2, 3, requires_grad=True).mean(0)",
    "m.ones(2, 3, requires_grad=True) @ m.ones(3, 1)", "m.tensor([1.5]).half()",
    "m.arange(6.).reshape(2, 3) / 7", "m.tensor([123456789.0])", "m.tensor([[1, -20], [3, 4]])",
])
def test_repr(torch, expr):
    assert repr(eval(expr, {"m": tl})) == repr(eval(expr, {"m": torch})), expr


@pytest.mark.parametrize("expr", [
    "m.tensor([[1., 5.], [3., 2.]]).max(1)", "m.min(m.tensor([[1., 5.], [3., 2.]]), 0, True)",
    "m.tensor([3., 1., 2.]).sort()", "m.tensor([3., 1., 2.]).topk(2)",
    "m.tensor([3., 1., 2.]).median(0)", "m.kthvalue(m.tensor([3., 1., 2.]), 2)",
])
def test_return_types(torch, expr):
    a, b = eval(expr, {"m": tl}), eval(expr, {"m": torch})  # noqa: S307
    assert repr(a) == repr(b) and str(a) == str(b)
    assert repr(a.values) == repr(b.values) and repr(a[1]) == repr(b[1])
    v, i = a
    assert v is a.values and i is a.indices


def test_new_methods(torch):
    for expr in ("x.new_zeros(2, 3)", "x.new_ones((2,))", "x.new_full((2,), 3)",
                 "x.new_empty(0, 2)", "x.new_zeros(2, dtype=m.float64)", "x.new_tensor([1, 2])"):
        compare(eval(expr, {"x": tl.ones(1, dtype=tl.int32), "m": tl}),  # noqa: S307
                eval(expr, {"x": torch.ones(1, dtype=torch.int32), "m": torch}),  # noqa: S307
                where=expr)


def test_repr_printoptions(torch):
    try:
        for m in (tl, torch):
            m.set_printoptions(precision=2)
        assert repr(tl.tensor([1.23456])) == repr(torch.tensor([1.23456]))
    finally:
        for m in (tl, torch):
            m.set_printoptions(profile="default")


# ------------------------------------------------------------------------ views, aliasing


def _both(torch, fn):
    a = fn(tl)
    b = fn(torch)
    compare(a, b, where="view program")
    return a, b


VIEW_PROGRAMS = {
    "row_zero": "x = m.arange(12.).reshape(3, 4); x[0].zero_(); r = x",
    "col_iadd": "x = m.arange(12.).reshape(3, 4); x[:, 1] += 1; r = x",
    "data_mul": "w = m.ones(2, 2, requires_grad=True); w.data.mul_(0.5); r = w.detach()",
    "view_setitem": "t = m.zeros(2, 3); t.view(-1)[3] = 7; r = t",
    "transpose": "x = m.zeros(2, 3); y = x.t(); y[0, 1] = 5; r = (x, y)",
    "expand_read": "x = m.zeros(3, 1); y = x.expand(3, 4); x.add_(1); r = y",
    "unsqueeze": "x = m.zeros(3); y = x.unsqueeze(0); y.fill_(2); r = x",
    "squeeze": "x = m.zeros(1, 3); y = x.squeeze(); y[1] = 4; r = x",
    "narrow": "x = m.zeros(5); x.narrow(0, 1, 2).fill_(1); r = x",
    "select": "x = m.zeros(2, 3); x.select(1, 2).add_(3); r = x",
    "diagonal": "x = m.zeros(3, 3); x.diagonal().fill_(1); r = x",
    "unbind": "x = m.zeros(2, 3); a, b = x.unbind(0); b.add_(1); r = x",
    "split": "x = m.zeros(4, 2); p = x.split(2); p[1].fill_(3); r = x",
    "chunk": "x = m.zeros(2, 4); p = x.chunk(2, 1); p[0].fill_(5); r = x",
    "base_write_seen": "x = m.zeros(2, 3); v = x[1]; x.fill_(2); r = v",
    "view_of_view": "x = m.zeros(4, 4); v = x[1:3][:, 1:3]; v += 1; r = x",
    "step_slice": "x = m.zeros(6); x[::2] = 1; r = x",
    "permute": "x = m.zeros(2, 3, 4); x.permute(2, 0, 1)[1, 0, 2] = 9; r = x",
    "sibling_views": "x = m.zeros(3); a = x[:2]; b = x[1:]; a[1] = 4; r = b",
    "reshape_view": "x = m.zeros(2, 3); x.reshape(6)[0] = 1; r = x",
    "reshape_copy": "x = m.zeros(2, 3); x.t().reshape(6)[0] = 1; r = x",
    "flatten": "x = m.zeros(2, 3); x.flatten()[5] = 1; r = x",
    "setitem_mask": "x = m.arange(6.).view(2, 3); x[x > 2] = 0; r = x",
    "setitem_index": "x = m.zeros(4); x[m.tensor([0, 2])] = m.tensor([1., 2.]); r = x",
    "setitem_tensor": "x = m.zeros(2, 3); x[:, 0] = m.tensor([1., 2.]); r = x",
    "setitem_bcast": "x = m.zeros(2, 3); x[1] = m.tensor([1., 2., 3.]); r = x",
    "setitem_list": "x = m.zeros(2, 3); x[[0, 1], [2, 0]] = 5; r = x",
    "setitem_int_tensor": "x = m.zeros(3, dtype=m.int64); x[1] = 2.7; r = x",
    "masked_fill_": "x = m.zeros(2, 2); x.masked_fill_(m.tensor([True, False]), 1); r = x",
    "index_add_": "x = m.zeros(3); x.index_add_(0, m.tensor([0, 0]), m.ones(2)); r = x",
    "copy_": "x = m.zeros(2, 3); x[0].copy_(m.tensor([1., 2., 3.])); r = x",
    "clamp_": "x = m.arange(-3., 3.); x[1:].clamp_(min=0); r = x",
    "T_view": "x = m.zeros(2, 3); x.T[2, 1] = 1; r = x",
    "alias_chain": "x = m.zeros(4); y = x.view(2, 2); z = y[1]; z[0] = 3; r = (x, y)",
}


@pytest.mark.parametrize("name", sorted(VIEW_PROGRAMS))
def test_view_aliasing(torch, name):
    code = VIEW_PROGRAMS[name]
    ns_tl, ns_th = {"m": tl}, {"m": torch}
    exec(code, ns_tl)  # noqa: S102 - fixed programs
    exec(code, ns_th)  # noqa: S102
    compare(ns_tl["r"], ns_th["r"], where=name)


@pytest.mark.parametrize("expr", [
    "x.t()", "x[1]", "x[:, 1:]", "x[::2]", "x.view(4, 3)", "x.transpose(0, 1)", "x.unsqueeze(1)",
    "x[0:1].squeeze(0)", "x.expand(2, 3, 4)", "x.narrow(1, 1, 2)", "x.select(0, 2)",
    "x.diagonal()", "x.unbind(1)[2]", "x.split(2)[1]", "x.chunk(2, 1)[1]", "x.permute(1, 0)",
    "x[..., None]", "x.t().contiguous()", "x.reshape(2, 6)", "x.T", "x[1:, ::3]", "x.flatten()",
    "x.movedim(0, 1)",
])
def test_view_metadata(torch, expr):
    """_base, is_contiguous, stride, storage_offset and data_ptr tell the truth, as in torch."""
    x_tl, x_th = tl.arange(12.).reshape(3, 4).clone(), torch.arange(12.).reshape(3, 4).clone()
    a, b = eval(expr, {"x": x_tl}), eval(expr, {"x": x_th})  # noqa: S307
    assert tuple(a.shape) == tuple(b.shape)
    assert a.is_contiguous() == b.is_contiguous(), expr
    assert tuple(a.stride()) == tuple(b.stride()), (expr, a.stride(), b.stride())
    assert a.storage_offset() == b.storage_offset(), expr
    assert (a._base is x_tl) == (b._base is x_th), expr
    if b._base is x_th:
        assert (a.data_ptr() - x_tl.data_ptr()) == (b.data_ptr() - x_th.data_ptr()), expr
    else:
        assert a.data_ptr() != x_tl.data_ptr(), expr


def test_base_and_is_view():
    x = tl.zeros(3, 4)
    assert x._base is None
    y = x[1:]
    assert y._base is x and y[0]._base is x       # views of views point at the root
    assert x.clone()._base is None
    assert x.detach()._base is x or x.detach()._base is None


def test_stride_dim_and_contiguous():
    x = tl.zeros(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.stride(0) == 12 and x.stride(-1) == 1
    y = x.transpose(0, 2)
    assert not y.is_contiguous() and y.contiguous().is_contiguous()
    assert y.contiguous() is not y and x.contiguous() is x
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        y.view(-1)


def test_version_counter():
    x = tl.zeros(3)
    v0 = x._version
    x.add_(1)
    x[0] = 2
    assert x._version == v0 + 2
    y = x[1:]
    y.mul_(2)
    assert x._version == v0 + 3 and y._version == x._version


# ----------------------------------------------------------------------------- NumPy bridge


def test_from_numpy_shares_memory():
    n = np.ones(5, np.float32)
    t = tl.from_numpy(n)
    np.add(n, 1, out=n)
    assert t.tolist() == [2.0] * 5
    t.add_(1)
    assert n.tolist() == [3.0] * 5
    assert t.dtype is tl.float32
    assert tl.from_numpy(np.arange(3)).dtype is tl.int64


def test_numpy_shares_memory():
    t = tl.ones(5)
    n = t.numpy()
    t.add_(1)
    assert n.tolist() == [2.0] * 5
    n[0] = 7
    assert t[0].item() == 7
    t.mul_(2)
    assert n[0] == 14
    # a view's numpy() is a copy, but the values are right
    assert tl.arange(6).view(2, 3)[1].numpy().tolist() == [3, 4, 5]


def test_numpy_unaligned_and_noncontiguous():
    base = np.zeros(9, np.float32)[1:]          # unaligned buffer
    t = tl.from_numpy(base)
    base[0] = 5
    assert t[0].item() == 5
    nc = np.arange(6.0).reshape(2, 3).T          # non-contiguous
    t2 = tl.from_numpy(nc)
    assert t2.tolist() == nc.tolist()


def test_numpy_requires_grad_error_and_conversions():
    t = tl.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Use tensor.detach\\(\\).numpy\\(\\)"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0, 1.0]
    assert np.asarray(tl.arange(3)).tolist() == [0, 1, 2]
    assert np.array(tl.ones(2), dtype=np.float64).dtype == np.float64
    assert float(tl.tensor(2.5)) == 2.5 and int(tl.tensor(3)) == 3
    assert [0, 1, 2][tl.tensor(1)] == 1
    assert tl.tensor([[1, 2]]).tolist() == [[1, 2]] and tl.tensor(1.5).item() == 1.5
    assert len(tl.zeros(4, 2)) == 4 and [r.tolist() for r in tl.arange(4).view(2, 2)] == [
        [0, 1], [2, 3]]
    assert bool(tl.tensor([1])) and not bool(tl.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tl.tensor([1, 2]))
    with pytest.raises(TypeError):
        len(tl.tensor(1))
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        tl.ones(2).item()
    j = tl.ones(3).jax()
    assert tl.from_jax(j * 2).tolist() == [2.0, 2.0, 2.0]
    d = tl.from_dlpack(tl.arange(3)) if hasattr(tl, "from_dlpack") else None
    if d is not None:
        assert d.tolist() == [0, 1, 2]


# ------------------------------------------------------------------------------- indexing


@pytest.mark.parametrize("expr", [
    "x[1]", "x[-1]", "x[1, 2]", "x[:, -1]", "x[1:3]", "x[::2]", "x[1::2, ::3]", "x[None]",
    "x[..., 1]", "x[:, None, 1]", "x[x > 5]", "x[m.tensor([0, 2])]", "x[[0, 2]]",
    "x[m.tensor([[0, 1], [1, 2]])]", "x[[0, 1], [1, 3]]", "x[1:, [0, 3]]",
    "x[m.tensor([True, False, True])]", "x[:, m.tensor([True, False, True, False])]",
    "x[m.tensor(1)]", "x[0][1]", "x[-10:10]", "x[2:1]", "x[..., None, :2]", "x[True]",
    "x[m.tensor([0, 2]), 1:]", "x[:, [True, False, False, True]]",
])
def test_getitem(torch, expr):
    a = eval(expr, {"x": tl.arange(12).reshape(3, 4), "m": tl})  # noqa: S307
    b = eval(expr, {"x": torch.arange(12).reshape(3, 4), "m": torch})  # noqa: S307
    compare(a, b, where=expr)


@pytest.mark.parametrize("expr,exc", [
    ("x[3]", IndexError), ("x[0, 4]", IndexError), ("x[0, 0, 0]", IndexError),
    ("x[m.tensor([5])]", IndexError), ("x[m.tensor([1.0])]", IndexError),
    ("x[m.tensor([True, False])]", IndexError), ("x.sum(2)", IndexError),
    ("x.transpose(0, 5)", IndexError), ("x.unsqueeze(4)", IndexError), ("x.size(3)", IndexError),
    ("x.softmax(-3)", IndexError), ("x.view(5, -1)", RuntimeError),
    ("x.view(-1, -1)", RuntimeError), ("x.expand(2, 4)", RuntimeError),
    ("m.cat([x, m.zeros(2, 3)])", RuntimeError), ("m.stack([x, m.zeros(2, 4)])", RuntimeError),
    ("x + m.zeros(2, 4)", RuntimeError), ("x.gather(1, m.tensor([[9]]))", RuntimeError),
    ("x.mean()", RuntimeError), ("x.float().requires_grad_().add_(1)", None),
    ("x.long().requires_grad_()", RuntimeError), ("m.zeros(2).item()", RuntimeError),
    ("x.split([1, 1], 0)", RuntimeError), ("x.permute(0)", RuntimeError),
    ("x.float().masked_fill(x, 1.0)", RuntimeError), ("x.float() @ x.float()", RuntimeError),
    ("m.mm(x.float(), x.double().t())", RuntimeError), ("x.float().matmul(m.ones(3))",
                                                         RuntimeError),
    ("x.float().t().mv(m.ones(5))", RuntimeError), ("m.ones(3).dot(m.ones(2))", RuntimeError),
])
def test_errors_match_torch_types(torch, expr, exc):
    def run(m):
        return eval(expr, {"x": m.arange(12).reshape(3, 4), "m": m})  # noqa: S307

    try:
        run(torch)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e)):
            run(tl)
        if exc is not None:
            assert isinstance(e, exc)
        return
    run(tl)


def test_matmul_error_message(torch):
    a, b = tl.zeros(64, 784), tl.zeros(128, 10)
    with pytest.raises(RuntimeError) as e:
        a @ b
    assert "mat1 and mat2 shapes cannot be multiplied (64x784 and 128x10)" in str(e.value)
    with pytest.raises(RuntimeError) as e2:
        torch.zeros(64, 784) @ torch.zeros(128, 10)
    assert str(e.value) == str(e2.value)
    with pytest.raises(RuntimeError, match=r"\(6x4 and 3x2\)"):
        tl.zeros(2, 3, 4) @ tl.zeros(3, 2)


def test_dim_out_of_range_message(torch):
    with pytest.raises(IndexError) as e:
        tl.zeros(2, 3).sum(2)
    with pytest.raises(IndexError) as e2:
        torch.zeros(2, 3).sum(2)
    assert str(e.value) == str(e2.value)
    with pytest.raises(IndexError) as e:
        tl.zeros(3)[5]
    with pytest.raises(IndexError) as e2:
        torch.zeros(3)[5]
    assert str(e.value) == str(e2.value)


def test_inplace_dtype_errors(torch):
    for m in (tl, torch):
        x = m.ones(3, dtype=m.int64)
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                               "output type Long"):
            x.add_(1.5)
        with pytest.raises(RuntimeError):
            m.ones(3).add_(m.ones(2, 3))


# ------------------------------------------------------------------------------------ out=


def test_out_writes_and_returns_the_tensor():
    out = tl.zeros(3)
    r = tl.add(tl.ones(3), 1, out=out)
    assert r is out and out.tolist() == [2.0, 2.0, 2.0]
    base = tl.zeros(2, 3)
    tl.mul(tl.ones(3), 4, out=base[1])
    assert base.tolist() == [[0, 0, 0], [4, 4, 4]]
    out2 = tl.zeros(0)
    tl.matmul(tl.ones(2, 3), tl.ones(3, 2), out=out2)
    assert out2.shape == (2, 2)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic "
                                           "differentiation"):
        tl.add(tl.ones(2, requires_grad=True), 1, out=tl.zeros(2))


# ------------------------------------------------------------------------------------- RNG


def test_manual_seed_reproducible():
    tl.manual_seed(123)
    a = (tl.rand(3), tl.randn(2, 2), tl.randint(0, 10, (4,)), tl.randperm(6))
    tl.manual_seed(123)
    b = (tl.rand(3), tl.randn(2, 2), tl.randint(0, 10, (4,)), tl.randperm(6))
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert tl.initial_seed() == 123
    c = tl.rand(3)
    assert c.tolist() != a[0].tolist()


def test_rng_state_roundtrip():
    tl.manual_seed(0)
    s = tl.get_rng_state()
    assert s.dtype is tl.uint8
    a = tl.randn(4)
    tl.set_rng_state(s)
    assert tl.randn(4).tolist() == a.tolist()


def test_generator_objects():
    g1 = tl.Generator().manual_seed(7)
    g2 = tl.Generator()
    g2.manual_seed(7)
    assert tl.rand(3, generator=g1).tolist() == tl.rand(3, generator=g2).tolist()
    tl.manual_seed(1)
    a = tl.rand(2)
    tl.manual_seed(1)
    tl.rand(5, generator=g1)          # does not advance the default generator
    assert tl.rand(2).tolist() == a.tolist()
    x = tl.empty(1000)
    x.uniform_(-2, 2, generator=tl.Generator().manual_seed(3))
    assert -2 <= x.min().item() and x.max().item() <= 2
    x.normal_(5.0, 0.1)
    assert abs(x.mean().item() - 5.0) < 0.05
    assert g1.get_state().dtype is tl.uint8


def test_random_distribution_sanity():
    tl.manual_seed(0)
    x = tl.randn(20000)
    assert abs(x.mean().item()) < 0.03 and abs(x.std().item() - 1) < 0.03
    u = tl.rand(20000)
    assert 0 <= u.min().item() and u.max().item() < 1 and abs(u.mean().item() - 0.5) < 0.02
    r = tl.randint(3, 6, (1000,))
    assert set(r.unique().tolist()) == {3, 4, 5}
    b = tl.bernoulli(tl.full((5000,), 0.3))
    assert abs(b.mean().item() - 0.3) < 0.03
    n = tl.normal(2.0, 3.0, size=(5000,))
    assert abs(n.mean().item() - 2) < 0.2
