"""Autograd against real torch: node names, graph walking, backward/grad semantics, grad modes,
hooks, in-place rules, custom Functions, functional transforms, gradcheck, anomaly detection,
PyTorch's gradient conventions at kinks, memory, and the backward cache."""
from __future__ import annotations

import gc

import numpy as np
import pytest

import torchlike
from torchlike.autograd import engine
from test_ops import compare

tl = torchlike


def _leaf(m, data, dtype=None):
    return m.tensor(data, dtype=dtype if dtype is not None else m.float32, requires_grad=True)


# -------------------------------------------------------------------------------- grad_fn


GRAD_FN_EXPRS = [
    "a + b", "a - b", "a * b", "a / b", "a + 1", "1 - a", "a * 2", "a / 2", "2 / a", "-a",
    "a ** 2", "a ** b", "2 ** a", "a @ b.t()", "a.mm(b.t())", "a.sum()", "a.sum(0)", "a.mean()",
    "a.mean(1)", "a.exp()", "a.log()", "a.tanh()", "a.sigmoid()", "a.relu()", "a.abs()",
    "a.sqrt()", "a.clamp(0, 1)", "a[0]", "a[:, 1:]", "a[0, 1]", "a.t()", "a.view(-1)",
    "a.reshape(3, 2)", "a.transpose(0, 1)", "a.unsqueeze(0)", "a.squeeze()", "a.expand(4, 2, 3)",
    "a.permute(1, 0)", "a.max()", "a.max(1)[0]", "a.min(0).values", "a.cat_like",
    "a.double()", "a.clone()", "a.detach()", "a.softmax(1)", "a.log_softmax(1)",
    "a.flatten()", "a.sin()", "a.maximum(b)", "a.pow(3)", "a.norm()", "a.var()", "a.std(0)",
    "a.prod()", "a.cumsum(1)", "a.amax(1)", "a.gather(1, m.tensor([[0], [1]]))",
    "a[m.tensor([1, 0])]", "a.index_select(0, m.tensor([1]))", "a.where(a > 0, b)",
    "m.stack([a, b])", "a.logsumexp(1)", "a.masked_fill(a > 0, 0)", "a.split(1)[0]",
    "a.unbind()[1]", "a.chunk(3, 1)[2]", "a.narrow(1, 0, 2)", "a.select(0, 1)", "a.diagonal()",
    "a.repeat(2, 1)", "a.flip(0)", "a.tril()", "a.sort(1)[0]", "a.topk(2)[0]", "a.lerp(b, 0.5)",
    "a.addcmul(a, b)", "m.outer(a[0], b[0])", "a.mv(b[0])", "a[0].dot(b[0])", "a.square()",
    "a.rsqrt()", "a.reciprocal()", "a.floor()", "a.sign()", "a.cos()", "a.atan2(b)",
    "a.median()", "a.float()", "a.to(m.float64)",
    "a.contiguous()", "a.t().contiguous()", "a[None]", "a[..., 0]", "a.T", "a.mT",
]


@pytest.mark.parametrize("expr", [e for e in GRAD_FN_EXPRS if "cat_like" not in e])
def test_grad_fn_names(torch, expr):
    def run(m):
        a = _leaf(m, [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
        b = _leaf(m, [[1.0, 2.0, -0.5], [0.5, -1.5, 3.0]])
        return eval(expr, {"a": a, "b": b, "m": m})  # noqa: S307

    r_tl, r_th = run(tl), run(torch)
    n_tl = type(r_tl.grad_fn).__name__ if r_tl.grad_fn is not None else None
    n_th = type(r_th.grad_fn).__name__ if r_th.grad_fn is not None else None
    assert n_tl == n_th, (expr, n_tl, n_th)
    assert r_tl.requires_grad == r_th.requires_grad and r_tl.is_leaf == r_th.is_leaf


def test_seed_autograd_example(torch):
    """Seed 000: `a` requires grad, `b` does not."""
    outs = []
    for m in (tl, torch):
        a = m.tensor([2.0, 3.0], requires_grad=True)
        b = m.tensor([6.0, 4.0])
        q = 3 * a ** 3 - b ** 2
        q.backward(gradient=m.tensor([1.0, 1.0]))
        outs.append((repr(q), repr(a.grad), a.grad.tolist(), b.grad, b.requires_grad,
                     repr(a), q.is_leaf))
    assert outs[0] == outs[1]


def test_next_functions(torch):
    def walk(m):
        a = _leaf(m, [1.0, 2.0])
        b = _leaf(m, [3.0, 4.0])
        c = m.tensor([1.0, 1.0])
        y = (a * b + c).sum()
        out = []

        def visit(fn, depth):
            out.append((depth, type(fn).__name__ if fn is not None else None))
            if fn is not None:
                for nxt, _ in fn.next_functions:
                    visit(nxt, depth + 1)
        visit(y.grad_fn, 0)
        leaf_nodes = [f for f, _ in y.grad_fn.next_functions[0][0].next_functions[0][0]
                      .next_functions]
        return out, [n.variable is a or n.variable is b for n in leaf_nodes]

    assert walk(tl) == walk(torch)


# ------------------------------------------------------------------- backward semantics


def test_backward_gradient_and_nonscalar_error(torch):
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0, 3.0])
        y = x * 2
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                               "outputs"):
            y.backward()
        y.backward(m.tensor([1.0, 0.1, 0.01]))
        assert np.allclose(x.grad.tolist(), [2.0, 0.2, 0.02])


def test_gradients_accumulate_and_zero():
    x = _leaf(tl, [1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]
    g = x.grad
    (x * 1).sum().backward()
    assert x.grad is g and g.tolist() == [6.0, 8.0]     # accumulated in place
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    x.grad = None
    (2 * x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_graph_and_freed_graph_error(torch):
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0])
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second "
                                               "time"):
            y.backward()
        np.testing.assert_allclose(x.grad.detach().numpy(),
                                   2 * (np.exp([1.0, 2.0]) * np.array([2.0, 3.0])), rtol=1e-5)


def test_backward_on_leaf_and_no_grad_errors(torch):
    for m in (tl, torch):
        with pytest.raises(RuntimeError, match="does not require grad and does not have a "
                                               "grad_fn"):
            m.ones(2).sum().backward()
        x = _leaf(m, 3.0)
        x.backward()
        assert x.grad.item() == 1.0


def test_autograd_grad_basic_and_allow_unused(torch):
    for m in (tl, torch):
        x, y, z = _leaf(m, [1.0, 2.0]), _leaf(m, [3.0, 4.0]), _leaf(m, [0.0])
        out = (x * y).sum()
        gx, gy = m.autograd.grad(out, (x, y), retain_graph=True)
        assert gx.tolist() == [3.0, 4.0] and gy.tolist() == [1.0, 2.0]
        assert x.grad is None                     # grad() does not touch .grad
        with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
            m.autograd.grad(out, (x, z), retain_graph=True)
        gx, gz = m.autograd.grad(out, (x, z), allow_unused=True, retain_graph=True)
        assert gz is None
        (gm,) = m.autograd.grad(out, z, allow_unused=True, materialize_grads=True)
        assert gm.tolist() == [0.0]


def test_autograd_grad_grad_outputs_and_nonleaf_inputs(torch):
    res = []
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0, 3.0])
        h = x * x
        y = h.sin()
        (gh,) = m.autograd.grad(y, h, grad_outputs=m.tensor([1.0, 2.0, 3.0]), retain_graph=True)
        (gx,) = m.autograd.grad(y, x, grad_outputs=m.ones(3))
        res.append((gh.tolist(), gx.tolist()))
    np.testing.assert_allclose(res[0], res[1], rtol=1e-5)


def test_higher_order_create_graph(torch):
    for m in (tl, torch):
        x = _leaf(m, [0.5, 1.5], m.float64)
        y = (x ** 3).sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        assert g.requires_grad
        (g2,) = m.autograd.grad(g.sum(), x, create_graph=True)
        (g3,) = m.autograd.grad(g2.sum(), x)
        np.testing.assert_allclose(g.tolist(), [0.75, 6.75])
        np.testing.assert_allclose(g2.tolist(), [3.0, 9.0])
        np.testing.assert_allclose(g3.tolist(), [6.0, 6.0])


def test_double_backward_into_grad(torch):
    res = []
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0], m.float64)
        y = (x.exp() * x).sum()
        y.backward(create_graph=True)
        gnorm = (x.grad ** 2).sum()
        x.grad = None
        gnorm.backward()
        res.append(x.grad.tolist())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10)


def test_backward_inputs_argument(torch):
    for m in (tl, torch):
        x, y = _leaf(m, [1.0]), _leaf(m, [2.0])
        (x * y).sum().backward(inputs=[x])
        assert x.grad.tolist() == [2.0] and y.grad is None


# --------------------------------------------------------------------------- grad modes


def test_grad_mode_context_managers_and_decorators():
    x = _leaf(tl, [1.0])
    with tl.no_grad():
        assert not (x * 2).requires_grad and not tl.is_grad_enabled()
        with tl.enable_grad():
            assert (x * 2).requires_grad
    assert tl.is_grad_enabled()

    @tl.no_grad()
    def f(t):
        return t * 2

    @tl.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with tl.no_grad():
        assert g(x).requires_grad
    with tl.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert tl.is_grad_enabled()
    tl.set_grad_enabled(False)
    assert not tl.is_grad_enabled()
    tl.set_grad_enabled(True)
    assert tl.is_grad_enabled()

    @tl.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert not h(x).requires_grad and tl.is_grad_enabled()
    with tl.inference_mode():
        y = x * 2
        assert not y.requires_grad and tl.is_inference_mode_enabled()
    assert not tl.is_inference_mode_enabled()

    @tl.inference_mode()
    def k(t):
        return t * 2

    assert not k(x).requires_grad
    with tl.inference_mode(False):
        assert (x * 2).requires_grad
    assert tl.autograd.no_grad is tl.no_grad or tl.autograd.no_grad is not None


def test_no_grad_restores_on_exception():
    with pytest.raises(ValueError):
        with tl.no_grad():
            raise ValueError
    assert tl.is_grad_enabled()


def test_detach(torch):
    x = _leaf(tl, [1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d2 = y.detach_() if False else (x * 3).detach_()
    assert not d2.requires_grad
    z = (y.detach() * x).sum()
    z.backward()
    assert x.grad.tolist() == [2.0, 4.0]
    # detach shares storage
    w = tl.zeros(3)
    wd = w.detach()
    wd.add_(1)
    assert w.tolist() == [1.0, 1.0, 1.0]


def test_requires_grad_rules(torch):
    for m in (tl, torch):
        with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
            m.tensor([1, 2], requires_grad=True)
        with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
            m.tensor([1, 2]).requires_grad_()
        x = _leaf(m, [1.0])
        y = x * 2
        with pytest.raises(RuntimeError, match="you can only change requires_grad flags of "
                                               "leaf variables"):
            y.requires_grad_(False)
        # integer results of float inputs do not require grad
        assert not (x > 0).requires_grad and not x.argmax().requires_grad
        assert not x.long().requires_grad


def test_retain_grad(torch):
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0])
        h = x * 3
        h.retain_grad()
        assert h.retains_grad
        (h * h).sum().backward()
        assert h.grad.tolist() == [6.0, 12.0] and x.grad.tolist() == [18.0, 36.0]
        h2 = x * 2
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
            assert h2.grad is None


def test_register_hook(torch):
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0])
        seen = []
        handle = x.register_hook(lambda g: g * 10)
        (x * x).sum().backward()
        assert x.grad.tolist() == [20.0, 40.0]
        handle.remove()
        x.grad = None
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0]
        h = x * 3
        h.register_hook(lambda g: seen.append(g.tolist()))
        h.sum().backward()
        assert seen == [[1.0, 1.0]]
        with pytest.raises(RuntimeError, match="doesn't require gradient"):
            m.ones(2).register_hook(lambda g: g)


def test_nonleaf_hook_replaces_gradient():
    x = _leaf(tl, [1.0, 2.0])
    h = x * 3
    h.register_hook(lambda g: g * 2)
    h.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


# ------------------------------------------------------------------------------- in-place


INPLACE_PROGRAMS = {
    "mul_after_use": "x = L([1., 2., 3.]); y = x * 2; y.mul_(3); out = y.sum()",
    "add_to_view": "x = L([1., 2., 3., 4.]); y = x * 1; y[1:3] += x[:2] ** 2; out = (y * y).sum()",
    "setitem_nonleaf": "x = L([1., 2., 3.]); y = x.sin(); y[0] = 0.; out = (y * x).sum()",
    "relu_": "x = L([-1., 2., 3.]); y = x * 2; y.relu_(); out = y.sum()",
    "masked_fill_": "x = L([1., -2., 3.]); y = x * x; y.masked_fill_(x < 0, 0); out = y.sum()",
    "view_chain": "x = L([[1., 2.], [3., 4.]]); y = x.clone(); y[:, 0].mul_(x[:, 1]); "
                  "out = y.pow(2).sum()",
    "copy_into_slice": "x = L([1., 2.]); y = m.zeros(4); y[1:3] = x * 5; out = (y * y).sum()",
    "index_put_": "x = L([1., 2., 3.]); y = x + 0; y[m.tensor([0, 2])] = x[:2] * 4; "
                  "out = y.sum()",
    "clamp_": "x = L([-1., 0.5, 3.]); y = x * 1; y.clamp_(-0.5, 2); out = (y * x).sum()",
    "t_view": "x = L([[1., 2.], [3., 4.]]); y = x * 1; y.t()[0, 1] = 7.; out = (y * x).sum()",
    "exp_then_sum_base": "x = L([1., 2.]); base = x.clone(); v = base[1:]; v.exp_(); "
                         "out = base.sum()",
    "div_alpha": "x = L([1., 2.]); y = x.clone(); y.add_(x, alpha=2).div_(3); out = y.sum()",
}


@pytest.mark.parametrize("name", sorted(INPLACE_PROGRAMS))
def test_inplace_gradients_match_torch(torch, name):
    grads = []
    for m in (tl, torch):
        ns = {"m": m, "L": lambda d, m=m: _leaf(m, d)}
        exec(INPLACE_PROGRAMS[name], ns)  # noqa: S102 - fixed programs
        ns["out"].backward()
        grads.append((ns["x"].grad.tolist(), ns["out"].item()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5, err_msg=name)


@pytest.mark.parametrize("prog", [
    "x = L([1., 2.]); y = x.exp(); y.add_(1); y.sum().backward()",     # exp saves its output
    "x = L([1., 2.]); h = x * 2; y = h.sin(); h.mul_(2); y.sum().backward()",
    "x = L([1., 2.]); h = x * 2; y = h ** 2; h[0] = 0; y.sum().backward()",
    "x = L([1., 2.]); h = x.sigmoid(); h.zero_(); h.sum().backward()",
])
def test_modified_by_inplace_error(torch, prog):
    for m in (tl, torch):
        ns = {"m": m, "L": lambda d, m=m: _leaf(m, d)}
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            exec(prog, ns)  # noqa: S102


def test_leaf_inplace_errors(torch):
    for m in (tl, torch):
        x = _leaf(m, [1.0, 2.0])
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used "
                                               "in an in-place operation"):
            x.add_(1)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0] = 5.0
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0].mul_(2)
        with m.no_grad():
            x.mul_(2)           # allowed without grad mode
            x[0] = 7.0
        assert x.tolist() == [7.0, 4.0] and x.is_leaf
        x.data.add_(1)
        assert x.tolist() == [8.0, 5.0]


# ------------------------------------------------------------------------ custom Function


class _Exp(torchlike.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        r = x.exp()
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r


class _MulConst(torchlike.autograd.Function):
    @staticmethod
    def forward(ctx, x, k, y):
        ctx.k = k
        ctx.save_for_backward(x, y)
        return x * y * k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False, False)
        return g * y * ctx.k, None, None


class _Clip(torchlike.autograd.Function):
    """A straight-through estimator: gradient that is not the true one."""

    @staticmethod
    def forward(ctx, x):
        return x.clamp(-1, 1)

    @staticmethod
    @torchlike.autograd.function.once_differentiable
    def backward(ctx, g):
        return g * 0.5


def test_custom_function():
    x = _leaf(tl, [0.5, 1.0])
    y = _Exp.apply(x)
    assert type(y.grad_fn).__name__ == "_ExpBackward"
    (y * 2).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), 2 * np.exp([0.5, 1.0]), rtol=1e-6)
    x2 = _leaf(tl, [1.0, 2.0])
    out = _MulConst.apply(x2, 3.0, tl.tensor([2.0, 5.0]))
    out.sum().backward()
    assert x2.grad.tolist() == [6.0, 15.0]
    x3 = _leaf(tl, [3.0, 0.2])
    _Clip.apply(x3).sum().backward()
    assert x3.grad.tolist() == [0.5, 0.5]
    with tl.no_grad():
        assert not _Exp.apply(x).requires_grad
    # composes with ops before and after, and gradcheck passes
    xd = _leaf(tl, [0.3, -0.2], tl.float64)
    assert tl.autograd.gradcheck(lambda t: _Exp.apply(t.sin() * 2).cos(), (xd,))


def test_custom_function_backward_compiles_once():
    """The backward program holding a custom Function is reused: the saved tensors are its
    arguments, not constants frozen from the first call."""
    from torchlike.autograd import engine
    w = _leaf(tl, [0.5, -1.0, 2.0])
    before = engine.STATS["compiles"]
    for step in range(4):
        x = tl.tensor([1.0, 2.0, 3.0]) * (step + 1)
        w.grad = None
        _MulConst.apply(_Exp.apply(w * x), 2.0, x).sum().backward()
        expect = (np.exp(np.array([0.5, -1.0, 2.0]) * x.numpy()) * x.numpy() * 2.0 * x.numpy())
        np.testing.assert_allclose(w.grad.numpy(), expect, rtol=1e-5)
    assert engine.STATS["compiles"] - before == 1   # on the 4th sighting, then reused
    for _ in range(engine.COMPILE_AFTER):
        _MulConst.apply(w, 3.0, x).sum().backward()  # another constant: another program
    assert engine.STATS["compiles"] - before == 2


# ---------------------------------------------------------- func / autograd.functional


def _fd_grad(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        g.flat[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


def test_func_transforms():
    f = lambda t: (t.sin() * t).sum()  # noqa: E731
    x = tl.tensor([0.3, -1.2, 2.0], dtype=tl.float64)
    fd = _fd_grad(lambda a: float(np.sum(np.sin(a) * a)), x.numpy())
    np.testing.assert_allclose(tl.func.grad(f)(x).numpy(), fd, rtol=1e-6)
    g, v = tl.func.grad_and_value(f)(x)
    np.testing.assert_allclose(v.item(), float(np.sum(np.sin(x.numpy()) * x.numpy())))
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6)
    J = tl.func.jacrev(lambda t: t.sin() * 2)(x)
    np.testing.assert_allclose(J.numpy(), np.diag(2 * np.cos(x.numpy())), atol=1e-12)
    np.testing.assert_allclose(tl.func.jacfwd(lambda t: t.sin() * 2)(x).numpy(), J.numpy())
    H = tl.func.hessian(f)(x)
    assert H.shape == (3, 3)
    out, vjp_fn = tl.func.vjp(lambda t: t * t, x)
    (vg,) = vjp_fn(tl.ones(3, dtype=tl.float64))
    np.testing.assert_allclose(vg.numpy(), 2 * x.numpy())
    o, t = tl.func.jvp(lambda t: t * t, (x,), (tl.ones(3, dtype=tl.float64),))
    np.testing.assert_allclose(t.numpy(), 2 * x.numpy())
    batched = tl.func.vmap(lambda r: (r * r).sum())(tl.arange(6.).view(2, 3))
    assert batched.tolist() == [5.0, 50.0]
    per_sample = tl.func.vmap(tl.func.grad(lambda w, a: (w * a).sum()), in_dims=(None, 0))(
        tl.ones(3), tl.arange(6.).view(2, 3))
    assert per_sample.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


def test_autograd_functional(torch):
    def f(m):
        return lambda t: (t ** 3).sum()

    for name in ("jacobian", "hessian"):
        x_tl = tl.tensor([1.0, 2.0], dtype=tl.float64)
        x_th = torch.tensor([1.0, 2.0], dtype=torch.float64)
        fn_tl = (lambda t: t ** 3) if name == "jacobian" else f(tl)
        fn_th = (lambda t: t ** 3) if name == "jacobian" else f(torch)
        compare(getattr(tl.autograd.functional, name)(fn_tl, x_tl),
                getattr(torch.autograd.functional, name)(fn_th, x_th), where=name)
    v_tl, v_th = tl.ones(2, dtype=tl.float64), torch.ones(2, dtype=torch.float64)
    x_tl = tl.tensor([1.0, 2.0], dtype=tl.float64)
    x_th = torch.tensor([1.0, 2.0], dtype=torch.float64)
    for name in ("vjp", "jvp", "hvp"):
        fn = (lambda t: t ** 3) if name != "hvp" else (lambda t: (t ** 3).sum())
        compare(tuple(getattr(tl.autograd.functional, name)(fn, x_tl, v_tl)),
                tuple(getattr(torch.autograd.functional, name)(fn, x_th, v_th)), where=name)


# -------------------------------------------------------------------- gradcheck, anomaly


def test_gradcheck_and_gradgradcheck():
    x = _leaf(tl, [[0.3, -0.5], [1.2, 0.7]], tl.float64)
    y = _leaf(tl, [0.1, 0.9], tl.float64)
    f = lambda a, b: (a @ b).tanh() * a.sum(0)  # noqa: E731
    assert tl.autograd.gradcheck(f, (x, y))
    assert tl.autograd.gradgradcheck(f, (x, y))

    class _Wrong(tl.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        tl.autograd.gradcheck(_Wrong.apply, (y,))
    assert tl.autograd.gradcheck(_Wrong.apply, (y,), raise_exception=False) is False


def test_detect_anomaly_names_the_op():
    x = _leaf(tl, [-1.0, 1.0])
    with tl.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            x.sqrt()
        y = x * 2                      # fine ops pass
    assert not tl.autograd.is_anomaly_enabled() if hasattr(tl.autograd, "is_anomaly_enabled") \
        else True
    x.sqrt()                           # outside: no error
    _ = y


# ------------------------------------------------------------------ conventions at kinks


KINKS = [
    ("relu at 0", "x.relu()", [0.0, -1.0, 2.0]),
    ("clamp at bounds", "x.clamp(-1, 1)", [-1.0, 1.0, 0.5, 2.0]),
    ("clamp min only", "x.clamp(min=0)", [0.0, 1.0]),
    ("abs at 0", "x.abs()", [0.0, -2.0, 3.0]),
    ("maximum ties", "x.maximum(m.tensor([1.0, 0.0, 5.0]))", [1.0, 2.0, 5.0]),
    ("minimum ties", "x.minimum(m.tensor([1.0, 0.0, 5.0]))", [1.0, 2.0, 5.0]),
    ("max() ties", "x.max()", [3.0, 1.0, 3.0, 3.0]),
    ("min() ties", "x.min()", [0.0, 1.0, 0.0]),
    ("amax ties", "x.amax()", [3.0, 1.0, 3.0]),
    ("max(dim) ties", "x.view(2, 2).max(1).values", [2.0, 2.0, 1.0, 4.0]),
    ("min(dim) ties", "x.view(2, 2).min(0).values", [2.0, 2.0, 2.0, 4.0]),
    ("sqrt at 0", "x.sqrt()", [0.0, 4.0]),
    ("norm at 0", "x.norm()", [0.0, 0.0]),
    ("sign", "x.sign()", [0.0, -1.0]),
    ("hardtanh-like", "x.clamp(-1, 1)", [1.0, -1.0]),
    ("median ties", "x.median()", [1.0, 2.0, 2.0, 3.0]),
    ("sort ties", "x.sort().values * m.tensor([1., 2., 3.])", [1.0, 1.0, 0.0]),
    ("std of constant", "x.std()", [1.0, 1.0, 1.0]),
    ("floor", "x.floor()", [1.5, -0.5]),
    ("where", "m.where(x > 0, x, 0.0)", [0.0, 1.0]),
    ("pow 0 ** 2", "x ** 2", [0.0, 1.0]),
    ("pow x ** 0.5 at 0", "x ** 0.5", [0.0, 1.0]),
    ("leaky", "m.where(x > 0, x, x * 0.1)", [0.0, -1.0]),
]


@pytest.mark.parametrize("name,expr,data", KINKS, ids=[k[0] for k in KINKS])
def test_gradient_conventions_at_kinks(torch, name, expr, data):
    grads = []
    for m in (tl, torch):
        x = _leaf(m, data)
        y = eval(expr, {"x": x, "m": m})  # noqa: S307
        y.sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, err_msg=name)


# ------------------------------------------------------- gradient parity, composite graphs


COMPOSITES = {
    "broadcast": "y = (a * b[0] + b[:, :1]).sum()",
    "broadcast_div": "y = (a / (b.abs() + 1)).pow(2).mean()",
    "indexing": "y = a[0, [0, 2]].sum() + a[a > 0].sum() * 2 + a[:, 1:].exp().sum()",
    "reductions_dim": "y = a.sum(0).prod() + a.mean(1, keepdim=True).pow(2).sum() "
                      "+ a.amax(1).sum() + a.var(0).sum() + a.logsumexp(1).sum()",
    "matmul_chain": "y = ((a @ b.t()).relu() @ a).tanh().sum()",
    "softmax_ce": "y = -(a.log_softmax(1) * b.softmax(1)).sum()",
    "views": "y = (a.t().reshape(-1)[1:4] * b.view(-1)[:3]).sum() + a.unsqueeze(0).expand(3, 2, "
             "3).sum()",
    "inplace_mix": "h = a * 1; h[0] += b[1]; h.mul_(2); y = (h * a).sum()",
    "cat_stack": "y = (m.cat([a, b], 1) ** 2).sum() + m.stack([a, b]).prod(0).sum()",
    "gather_scatter": "y = a.gather(1, m.tensor([[2], [0]])).sum() + m.zeros(2, 3).scatter_add("
                      "1, m.tensor([[0, 0], [1, 2]]), b[:, :2]).pow(2).sum()",
    "reuse": "h = a.sin(); y = (h * h + h.exp()).sum()",
    "max_dim": "y = a.max(1).values.sum() + a.min(0)[0].sum() + a.topk(2)[0].sum()",
    "norms": "y = a.norm() + a.norm(dim=1).sum() + m.linalg.vector_norm(b, 1)",
    "where_clamp": "y = m.where(a > b, a, b).sum() + a.clamp(max=0.5).sum()",
    "split_unbind": "p, q = a.split([1, 2], 1); y = (p * 2).sum() + q.unbind(1)[1].exp().sum()",
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composite_gradients_match_torch(torch, name):
    res = []
    for m in (tl, torch):
        a = _leaf(m, [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
        b = _leaf(m, [[1.0, 2.0, -0.5], [0.5, -1.5, 3.0]])
        ns = {"a": a, "b": b, "m": m}
        exec(COMPOSITES[name], ns)  # noqa: S102
        ns["y"].backward()
        res.append((ns["y"].item(), a.grad.numpy().copy(),
                    None if b.grad is None else b.grad.numpy().copy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-5, atol=1e-6, err_msg=name)
    if res[1][2] is None:
        assert res[0][2] is None
    else:
        np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-5, atol=1e-6, err_msg=name)


# ------------------------------------------------------------------ memory and the cache


def _mlp_step(w1, w2, x, t, lr=1e-3):
    h = (x @ w1).clamp(min=0)
    y = h @ w2
    loss = (y - t).pow(2).sum()
    loss.backward()
    with tl.no_grad():
        w1 -= lr * w1.grad
        w2 -= lr * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()
    return loss


def _live_tensors():
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, tl.Tensor))


def _live_nodes():
    from torchlike._autograd_core import Node
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Node))


def test_backward_cache_hits_for_a_repeated_graph():
    tl.manual_seed(0)
    w1 = tl.randn(8, 16, requires_grad=True)
    w2 = tl.randn(16, 4, requires_grad=True)
    x, t = tl.randn(5, 8), tl.randn(5, 4)
    for _ in range(engine.COMPILE_AFTER):      # node by node, then compiled on the last
        _mlp_step(w1, w2, x, t)
    c0, h0 = engine.STATS["compiles"], engine.STATS["hits"]
    for _ in range(5):
        _mlp_step(w1, w2, x, t)
    assert engine.STATS["compiles"] == c0, "same graph structure must not recompile"
    assert engine.STATS["hits"] == h0 + 5


def test_training_loop_memory_is_flat():
    """2000 eager steps of a small MLP: no growth in live Tensors, tape nodes, device buffers
    or backward programs."""
    import jax
    tl.manual_seed(0)
    w1 = tl.randn(8, 16, requires_grad=True)
    w2 = tl.randn(16, 4, requires_grad=True)
    x, t = tl.randn(5, 8), tl.randn(5, 4)
    first = _mlp_step(w1, w2, x, t).item()
    for _ in range(20):                        # warm the kernel and backward caches
        _mlp_step(w1, w2, x, t)
    n_tensors, n_nodes = _live_tensors(), _live_nodes()
    n_arrays, n_programs = len(jax.live_arrays()), len(engine.CACHE)
    for _ in range(2000):
        loss = _mlp_step(w1, w2, x, t)
    last = loss.item()
    del loss
    assert _live_tensors() <= n_tensors + 2
    assert _live_nodes() <= n_nodes + 2
    assert len(jax.live_arrays()) <= n_arrays + 10
    assert len(engine.CACHE) == n_programs
    assert last < first                        # and it trained
