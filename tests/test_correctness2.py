"""Issue 13, second part: each case runs on real PyTorch and on torchlike with the same inputs;
values (tensors, nested tuples, Python objects) must agree, or both must raise the same
exception type (and, where `MSG` says so, the same message)."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike

CASES = {}
MSG = set()      # cases whose exception message must also match torch's exactly


def case(name, msg=False):
    def deco(f):
        CASES[name] = f
        if msg:
            MSG.add(name)
        return f
    return deco


def _same(g, w, path="result"):
    if isinstance(w, (tuple, list)):
        assert isinstance(g, (tuple, list)) and len(g) == len(w), path
        for i, (a, b) in enumerate(zip(g, w)):
            _same(a, b, f"{path}[{i}]")
    elif hasattr(w, "detach"):
        assert str(g.dtype) == str(w.dtype), (path, g.dtype, w.dtype)
        assert tuple(g.shape) == tuple(w.shape), (path, g.shape, w.shape)
        np.testing.assert_allclose(np.asarray(g.detach().numpy()), w.detach().numpy(),
                                   rtol=2e-5, atol=1e-5, equal_nan=True, err_msg=path)
    else:
        assert g == w, (path, g, w)


def run_case(torch, name):
    f = CASES[name]
    try:
        want = f(torch)
    except Exception as e:  # noqa: BLE001 - torchlike must raise the same type
        with pytest.raises(type(e)) as info:
            f(torchlike)
        if name in MSG:
            assert str(info.value) == str(e)
        return
    _same(f(torchlike), want)


# ----------------------------------------------------------------------------------- pow


def _pow_grads(m, xs, ys):
    x = m.tensor(xs, requires_grad=True)
    y = m.tensor(ys, requires_grad=True)
    (x ** y).sum().backward()
    return x.grad, y.grad


_XS = [0.0, 0.0, 0.0, 2.0, -2.0, 0.5, 0.0, 3.0]
_YS = [0.0, 2.0, -1.0, 0.0, 2.0, -1.5, 0.5, 1.0]
case("pow_tensor_tensor_grads_corners")(lambda m: _pow_grads(m, _XS, _YS))


@case("pow_scalar_base_grad_corners")
def _(m):
    y = m.tensor(_YS, requires_grad=True)
    (0.0 ** y).sum().backward()
    y2 = m.tensor(_YS, requires_grad=True)
    (m.pow(2.0, y2)).sum().backward()
    return y.grad, y2.grad


@case("pow_exponent_grad_where_exponent_is_zero")
def _(m):
    # d/dy x**y at y == 0 is log(x), not 0 (only d/dx is 0 there)
    return _pow_grads(m, [2.0, 3.0], [0.0, 0.0])


@case("pow_complex_grads")
def _(m):
    z = m.tensor([1 + 1j, 2j], requires_grad=True)
    w = m.tensor([2 + 0j, 1 + 1j], requires_grad=True)
    (z ** w).abs().sum().backward()
    return z.grad, w.grad


# ---------------------------------------------------------------------- in-place version


def _versions(m, body):
    x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w = m.tensor([2.0, 2.0, 2.0], requires_grad=True)
    out = body(m, x * 1, w)
    out.sum().backward()
    return x.grad


def _vcase(name, body):
    case("version_" + name)(lambda m: _versions(m, body))


_vcase("two_views_mul_", lambda m, y, w: (y[1:].mul_(2), y[:1].mul_(3), y)[2])
_vcase("view_mul_then_relu_", lambda m, y, w: (y[1:].mul_(2), y.relu_())[1])
_vcase("view_sin_then_other_view", lambda m, y, w: (y[1:].sin_(), y[:1].mul_(3), y)[2])
_vcase("view_exp_then_other_view_raises", lambda m, y, w: (y[1:].exp_(), y[:1].mul_(3), y)[2])
_vcase("relu_then_mul_raises", lambda m, y, w: (y.relu_(), y.mul_(2))[1])
_vcase("mul_by_tensor_then_modify_raises", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(y * w))
_vcase("mul_by_scalar_then_modify", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(y * 2))
_vcase("exp_then_modify_input", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(y.exp()))
_vcase("sin_then_modify_input_raises", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(y.sin()))
_vcase("add_then_modify", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(y + w))
_vcase("div_then_modify_divisor_raises", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(w / y))
_vcase("matmul_then_modify_raises", lambda m, y, w: (lambda b: (y.add_(1), b)[1])(y @ w))
_vcase("inplace_mul_by_grad_tensor_twice",
       lambda m, y, w: (y[1:].mul_(w[1:]), y[:1].mul_(3), y)[2])


# ------------------------------------------------------------------- autograd.Function


def _fn_class(m, forward, backward, setup=None):
    ns = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    if setup is not None:
        ns["setup_context"] = staticmethod(setup)
    return type("F", (m.autograd.Function,), ns)


@case("function_backward_too_few_gradients", msg=True)
def _(m):
    F = _fn_class(m, lambda ctx, x, y: x * y, lambda ctx, g: (g,))
    x = m.tensor([1.0], requires_grad=True)
    F.apply(x, x).sum().backward()
    return x.grad


@case("function_backward_too_many_gradients", msg=True)
def _(m):
    F = _fn_class(m, lambda ctx, x: x * 2, lambda ctx, g: (g, g, g))
    x = m.tensor([1.0], requires_grad=True)
    F.apply(x).sum().backward()
    return x.grad


@case("function_backward_extra_none_gradients")
def _(m):
    F = _fn_class(m, lambda ctx, x: x * 2, lambda ctx, g: (g * 3, None, None))
    x = m.tensor([1.0], requires_grad=True)
    F.apply(x).sum().backward()
    return x.grad


@case("function_non_tensor_outputs")
def _(m):
    def bwd(ctx, g, a, b):
        assert a is None and b is None
        return g * 2
    F = _fn_class(m, lambda ctx, x: (x * 2, 5, "s"), bwd)
    x = m.tensor([1.0], requires_grad=True)
    y, n, s = F.apply(x)
    y.sum().backward()
    return x.grad, n, s


@case("function_integer_output_non_differentiable")
def _(m):
    def fwd(ctx, x):
        i = x.argmax().reshape(1)
        ctx.mark_non_differentiable(i)
        return x * 2, i
    F = _fn_class(m, fwd, lambda ctx, g, gi: g * 2)
    x = m.tensor([1.0, 3.0], requires_grad=True)
    y, i = F.apply(x)
    y.sum().backward()
    return x.grad, i, i.requires_grad


@case("function_setup_context_style")
def _(m):
    def setup(ctx, inputs, output):
        x, k = inputs
        ctx.k = k
        ctx.save_for_backward(x)

    def bwd(ctx, g):
        x, = ctx.saved_tensors
        return g * ctx.k + x * 0, None
    F = _fn_class(m, lambda x, k: x * k, bwd, setup)
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = F.apply(x, 3.0)
    y.sum().backward()
    return y, x.grad


@case("function_mark_dirty")
def _(m):
    def fwd(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x
    F = _fn_class(m, fwd, lambda ctx, g: g * 2)
    a = m.tensor([1.0, 2.0], requires_grad=True)
    x = a.clone()
    y = F.apply(x)
    (y * y).sum().backward()
    return y is x, x, x._version if hasattr(x, "_version") else None, a.grad


@case("function_mark_dirty_on_leaf_raises")
def _(m):
    def fwd(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x
    F = _fn_class(m, fwd, lambda ctx, g: g * 2)
    return F.apply(m.tensor([1.0, 2.0], requires_grad=True))


# ------------------------------------------------------------------------------- nn


@case("embedding_scale_grad_by_freq")
def _(m):
    e = m.nn.Embedding(4, 2, scale_grad_by_freq=True)
    with m.no_grad():
        e.weight.copy_(m.arange(8.0).reshape(4, 2))
    out = e(m.tensor([[0, 0, 0], [1, 2, 0]]))
    (out * m.tensor([1.0, 2.0])).sum().backward()
    return out, e.weight.grad


@case("functional_embedding_scale_grad_by_freq_padding")
def _(m):
    w = m.arange(8.0).reshape(4, 2).requires_grad_()
    out = m.nn.functional.embedding(m.tensor([[0, 0], [1, 3]]), w, padding_idx=3,
                                    scale_grad_by_freq=True)
    (out * m.tensor([1.0, 2.0])).sum().backward()
    return out, w.grad


def _convt(m, size):
    m.manual_seed(0)
    c = m.nn.ConvTranspose2d(1, 1, 3, stride=2)
    return c(m.ones(1, 1, 4, 4), output_size=size).shape


case("conv_transpose_output_size_too_large", msg=True)(lambda m: _convt(m, [20, 20]))
case("conv_transpose_output_size_one_dim_bad", msg=True)(lambda m: _convt(m, [9, 11]))
case("conv_transpose_output_size_valid")(lambda m: tuple(_convt(m, [10, 9])))


# ----------------------------------------------------------------------- module hooks


def _hooked_linear(m, full=None, pre=None):
    lin = m.nn.Linear(2, 2)
    with m.no_grad():
        lin.weight.copy_(m.tensor([[1.0, 2.0], [3.0, 4.0]]))
        lin.bias.zero_()
    if full is not None:
        lin.register_full_backward_hook(full)
    if pre is not None:
        lin.register_full_backward_pre_hook(pre)
    x = m.tensor([[1.0, -1.0]], requires_grad=True)
    lin(x).sum().backward()
    return x.grad, lin.weight.grad, lin.bias.grad


case("full_backward_hook_replaces_grad_input")(
    lambda m: _hooked_linear(m, full=lambda mod, gi, go: (gi[0] * 10,)))
case("backward_pre_hook_replaces_grad_output")(
    lambda m: _hooked_linear(m, pre=lambda mod, go: (go[0] * 3,)))
case("backward_pre_and_full_hooks")(
    lambda m: _hooked_linear(m, pre=lambda mod, go: (go[0] * 3,),
                             full=lambda mod, gi, go: (gi[0] + go[0].sum(),)))
case("full_backward_hook_returning_none")(
    lambda m: _hooked_linear(m, full=lambda mod, gi, go: None))
case("full_backward_hook_wrong_count", msg=True)(
    lambda m: _hooked_linear(m, full=lambda mod, gi, go: (gi[0], gi[0])))


# --------------------------------------------------- found by tests/differential.py


case("signbit_zero_dim")(lambda m: m.signbit(m.tensor(-1.0)))


@case("norm_of_complex_is_real")
def _(m):
    z = m.tensor([1 + 1j, 2 - 1j], requires_grad=True)
    n = m.norm(z)
    n.backward()
    return n, z.grad, m.linalg.vector_norm(z, 0), m.norm(z.reshape(1, 2), dim=0)


# ---------------------------------------------- .real / .imag / view(dtype) are views


def _z(m, **kw):
    return m.tensor([[1 + 2j, 3 - 1j], [0.5j, -2 + 0j]], **kw)


case("real_imag_strides_and_offsets")(lambda m: (
    _z(m).real.stride(), _z(m).real.storage_offset(), _z(m).imag.stride(),
    _z(m).imag.storage_offset(), _z(m).t().real.stride(), _z(m)[1].imag.storage_offset()))


@case("real_imag_write_through")
def _(m):
    z = _z(m)
    z.real[0] = 9
    z.imag[:, 1].mul_(3)
    z.t().real.add_(1)
    r = m.real(z)
    r -= 0.5
    return m.view_as_real(z)


@case("real_imag_write_through_with_grad")
def _(m):
    w = _z(m, requires_grad=True)
    z = w * 1
    z.imag.mul_(2)
    r = z.real
    r[0, 0] = 5
    (m.view_as_real(z) * m.arange(8.0).reshape(2, 2, 2)).sum().backward()
    return m.view_as_real(z), m.view_as_real(w.grad)


@case("real_imag_backward")
def _(m):
    w = m.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    (w.real * 2 + w.imag ** 2).sum().backward()
    return m.view_as_real(w.grad)


@case("real_view_sees_later_writes")
def _(m):
    w = m.tensor([1.0, 2.0], requires_grad=True)
    z = m.complex(w, w * 2)
    re = z.real
    z.mul_(1j)
    (re * 1).sum().backward()
    return re, w.grad


@case("real_imag_copy_fill")
def _(m):
    z = m.zeros(3, dtype=m.complex64)
    z.real.copy_(m.tensor([1.0, 2, 3]))
    z.imag.fill_(-1)
    return m.view_as_real(z), z.real.is_contiguous(), z.real.clone().stride()


@case("view_dtype_same_size_aliases")
def _(m):
    x = m.tensor([1.5, -2.0, 3.0])
    v = x.view(m.int32)
    v[0] = 0
    x[1] = 1.0
    return x, v


@case("view_of_base_that_later_requires_grad")
def _(m):
    v0 = m.tensor([1.33, 2.0], dtype=m.float64)
    v1 = v0[:]
    w = m.tensor([-1.8], requires_grad=True)
    v0[0:1] = w * 2
    ((v0 * 0.93).sum() + (v1 * 1.24).sum()).backward()
    return v1, w.grad


@case("sigmoid_complex")
def _(m):
    z = m.tensor([-1.25 - 0.08j, 1.9 + 1.7j], requires_grad=True)
    s = m.sigmoid(z)
    m.view_as_real(s).sum().backward()
    return s, z.grad


case("sign_abs_nan_negative_zero")(lambda m: (
    m.sign(m.tensor([float("nan"), -0.0, 2.0, -3.0])), m.abs(m.tensor([-0.0, float("nan")]))))


@case("abs_grad_at_nan")
def _(m):
    x = m.tensor([0.0, float("nan"), -1.0], requires_grad=True)
    x.abs().sum().backward()
    return x.grad



@case("clamp_nan_bounds")
def _(m):
    x = m.tensor([1.0, 2.0, 3.0])
    mn = m.tensor([float("nan"), 0.0, 5.0])
    return m.clamp(x, min=mn), m.clamp(x, max=mn), m.clamp(x, float("nan"))


case("square_bool_is_int64")(lambda m: m.square(m.tensor([True, False])))


@case("sgn_complex_grad")
def _(m):
    z = m.tensor([1 + 1j, 0j, -2 + 0.5j], requires_grad=True)
    s = m.sgn(z)
    (m.view_as_real(s) * m.tensor([1.0, 2.0])).sum().backward()
    return s, z.grad


# sqrt/rsqrt/reciprocal/expm1/tan save their result (PyTorch): changing the input is allowed
_vcase("sqrt_then_modify_input", lambda m, y, w: (lambda b: (y.tanh_(), b)[1])(y.abs().sqrt()))
_vcase("sqrt_then_modify_result_raises", lambda m, y, w: (lambda b: (b.mul_(2), b)[1])(
    y.abs().sqrt()))



@case("parametrize_cached_computes_once")
def _(m):
    if m is torchlike:
        P = torchlike.nn.utils.parametrize
    else:
        import torch.nn.utils.parametrize as P
    calls = [0]

    class Sym(m.nn.Module):
        def forward(self, X):
            calls[0] += 1
            return X + X.T

    lin = m.nn.Linear(2, 2)
    P.register_parametrization(lin, "weight", Sym())
    calls[0] = 0
    with P.cached():
        a = lin.weight
        b = lin.weight
        with P.cached():
            c = lin.weight
    inside = calls[0]
    d = lin.weight
    return inside, calls[0], a is b, b is c, d is a



@case("norm_of_nan_and_zero")
def _(m):
    x = m.tensor([float("nan"), 1.0], requires_grad=True)
    n = m.norm(x)
    n.backward()
    y = m.zeros(3, requires_grad=True)
    n2 = m.norm(y)
    n2.backward()
    return n, x.grad, n2, y.grad, m.dist(m.tensor([1.0, 2.0]), m.tensor([1.0, float("nan")]))


case("sign_sgn_of_bool")(lambda m: (m.sgn(m.tensor([True, False])), m.sign(m.tensor(True))))



# ------------------------------------------------------------------ inference tensors


def _inf(m):
    with m.inference_mode():
        a = m.ones(2)
        b = a * 2
    return a, b


@case("inference_tensor_saved_for_backward_raises", msg=True)
def _(m):
    a, b = _inf(m)
    w = m.ones(2, requires_grad=True)
    return (b * w).sum()


@case("inference_tensor_added_is_fine")
def _(m):
    a, b = _inf(m)
    w = m.ones(2, requires_grad=True)
    (b + w).sum().backward()
    return w.grad, a.is_inference(), b.is_inference(), a.clone().is_inference(), \
        a[0].is_inference()


case("inference_tensor_requires_grad_raises", msg=True)(
    lambda m: _inf(m)[0].requires_grad_())
case("inference_tensor_inplace_outside_raises", msg=True)(lambda m: _inf(m)[1].add_(1))


@case("inference_tensor_inplace_inside_is_fine")
def _(m):
    a, b = _inf(m)
    with m.inference_mode():
        b.add_(1)
    return b



@case("argmax_argmin_with_nan_in_other_slices")
def _(m):
    x = m.log1p(m.tensor([[-0.847, -0.824, -1.178, 0.5], [0.133, -0.365, 1.352, -1.255],
                          [0.759, 0.332, -0.683, -1.22]]))
    return m.argmax(x, -2), m.argmin(x, 0), m.argmax(x, 1), m.max(x, 0).indices, m.argmax(x)



@case("topk_sort_with_negative_nan")
def _(m):
    v = m.log1p(m.tensor([-0.922, 1.508, -1.595, 1.716, -3.0]))   # NaNs with the sign bit set
    return (m.topk(v, 1, 0).indices, m.topk(v, 3).indices, m.topk(v, 2, largest=False).indices,
            m.sort(v).indices, m.argmax(v), m.kthvalue(v, 4).indices)



case("logsumexp_over_empty_dim")(lambda m: (
    m.logsumexp(m.ones(4, 0), 1), m.logsumexp(m.ones(0), 0), m.ones(0, 3).logsumexp(0)))



# max/min/median over a dim and mode save only their indices (torch); cummax saves its input
_vcase("max_dim_then_modify_input", lambda m, y, w: (lambda b: (y.mul_(-0.25), b)[1])(
    m.max(y.reshape(3, 1), 1)[0]))
_vcase("cummax_then_modify_input_raises", lambda m, y, w: (lambda b: (y.mul_(-0.25), b)[1])(
    m.cummax(y, 0)[0]))
_vcase("amax_then_modify_input_raises", lambda m, y, w: (lambda b: (y.mul_(-0.25), b)[1])(
    m.amax(y, 0)))



@case("view_same_dtype_write_is_not_tracked")
def _(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    v = y.view(m.float32)
    v.mul_(3)
    y.sum().backward()
    return x.grad, v.requires_grad, y


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_torch(torch, name):
    run_case(torch, name)
