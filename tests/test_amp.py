"""torch.autocast / torch.amp.GradScaler against real torch: per-op result dtypes, values and
gradients of a bfloat16 model, the scaler's trajectory (skips, backoff, growth, state_dict),
eager and under torchlike.compile."""
import warnings

import numpy as np
import pytest

import torchlike as tl
from torchlike.amp import autocast_mode as _am

F = tl.nn.functional

wired = pytest.mark.skipif(_am._hooks() is None,
                           reason="dispatch has no HOOKS point to install autocast's cast")


def _np(t):
    return np.asarray(t.detach().float().numpy())


def _cuda():
    return tl.cuda.is_available()


# ------------------------------------------------------------------------- state and API


def test_autocast_state_and_nesting():
    assert not tl.is_autocast_enabled("cpu")
    assert tl.get_autocast_dtype("cpu") is tl.bfloat16
    assert tl.get_autocast_dtype("cuda") is tl.float16
    with tl.autocast("cpu") as ac:
        assert ac.fast_dtype is tl.bfloat16
        assert tl.is_autocast_enabled("cpu") and not tl.is_autocast_enabled()
        with tl.autocast("cpu", enabled=False):
            assert not tl.is_autocast_enabled("cpu")
        with tl.amp.autocast(device_type="cpu", dtype=tl.float16):
            assert tl.get_autocast_dtype("cpu") is tl.float16
        assert tl.get_autocast_dtype("cpu") is tl.bfloat16 and tl.is_autocast_enabled("cpu")
    assert not tl.is_autocast_enabled("cpu")
    assert tl.amp.is_autocast_available("cpu") and tl.amp.is_autocast_available("cuda")

    @tl.autocast("cpu")
    def f():
        return tl.is_autocast_enabled("cpu")
    assert f() and not tl.is_autocast_enabled("cpu")


def test_autocast_errors_and_disabling(torch):
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`, got: "
                                         "`<class 'int'>`"):
        tl.autocast(device_type=3)
    with pytest.raises(RuntimeError, match="device type at start of device string: xyz"):
        tl.autocast("xyz")
    with pytest.raises(TypeError, match="requires a callable"):
        tl.autocast("cpu")(3)
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not "
                                         "supported. Disabling autocast."):
        with tl.autocast("cpu", dtype=tl.float64):
            assert not tl.is_autocast_enabled("cpu")
    if not _cuda():   # PyTorch without CUDA: a warning, then autocast is off
        for ctx in (lambda: tl.autocast("cuda"),
                    lambda: tl.amp.autocast(device_type="cuda", dtype=tl.bfloat16)):
            with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is "
                                                 "imported. Disabling autocast."):
                with ctx():
                    assert not tl.is_autocast_enabled("cuda")
                    a = tl.ones(2, 2)
                    assert (a @ a).dtype is tl.float32
        with pytest.warns(FutureWarning, match="torch.cuda.amp.autocast"):
            tl.cuda.amp.autocast(enabled=False)


# ------------------------------------------------------------------------- per-op policy

_OPS = {
    "mm": lambda m, x: m.mm(x, x),
    "matmul": lambda m, x: x @ x,
    "linear": lambda m, x: m.nn.functional.linear(x, x, x[0]),
    "bmm": lambda m, x: m.bmm(x[None], x[None]),
    "baddbmm": lambda m, x: m.baddbmm(x[None], x[None], x[None]),
    "conv2d": lambda m, x: m.nn.functional.conv2d(x[None, None], x[None, None, :2, :2]),
    "einsum": lambda m, x: m.einsum("ij,jk->ik", x, x),
    "mv": lambda m, x: m.mv(x, x[0]),
    "softmax": lambda m, x: m.nn.functional.softmax(x, -1),
    "log_softmax": lambda m, x: m.nn.functional.log_softmax(x, -1),
    "layer_norm": lambda m, x: m.nn.functional.layer_norm(x, (4,)),
    "relu": lambda m, x: m.relu(x),
    "exp": lambda m, x: m.exp(x),
    "sum": lambda m, x: m.sum(x),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([0, 1, 2, 3])),
    "nll_loss": lambda m, x: m.nn.functional.nll_loss(x, m.tensor([0, 1, 2, 3])),
    "mse_loss": lambda m, x: m.nn.functional.mse_loss(x, x),
    "l1_loss": lambda m, x: m.nn.functional.l1_loss(x, x),
    "bce_logits": lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(x, x),
    "prod": lambda m, x: m.prod(x),
    "cdist": lambda m, x: m.cdist(x, x),
    "inv": lambda m, x: m.linalg.inv(x),
    "cat_mixed": lambda m, x: m.cat([x, x.float()]),
}


@wired
@pytest.mark.parametrize("name", list(_OPS))
def test_cpu_autocast_result_dtypes_match_torch(torch, name):
    a = np.random.RandomState(0).randn(4, 4).astype(np.float32) + 4 * np.eye(4, dtype=np.float32)
    for low in (False, True):
        xt, xl = torch.tensor(a), tl.tensor(a)
        if low:
            xt, xl = xt.bfloat16(), xl.bfloat16()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            rt = _OPS[name](torch, xt)
        with tl.autocast("cpu", dtype=tl.bfloat16):
            rl = _OPS[name](tl, xl)
        assert str(rl.dtype) == str(rt.dtype), (name, low)
        np.testing.assert_allclose(_np(rl), rt.detach().float().numpy(), rtol=2e-2, atol=2e-2)


@wired
def test_float64_and_integers_are_not_cast():
    x = tl.ones(3, 3, dtype=tl.float64)
    with tl.autocast("cpu"):
        assert (x @ x).dtype is tl.float64
        i = tl.ones(3, 3, dtype=tl.int64)
        assert (i @ i).dtype is tl.int64


@wired
def test_autocast_mlp_values_and_gradients_match_torch(torch):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    lm = tl.nn.Sequential(tl.nn.Linear(6, 8), tl.nn.ReLU(), tl.nn.Linear(8, 3))
    lm.load_state_dict({k: tl.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.RandomState(0).randn(5, 6).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ot = tm(torch.tensor(x))
        lt = torch.nn.functional.cross_entropy(ot, torch.tensor(y))
    with tl.autocast("cpu", dtype=tl.bfloat16):
        ol = lm(tl.tensor(x))
        ll = F.cross_entropy(ol, tl.tensor(y))
    assert ol.dtype is tl.bfloat16 and ll.dtype is tl.float32
    np.testing.assert_array_equal(_np(ol), ot.detach().float().numpy())
    np.testing.assert_allclose(float(ll), float(lt), rtol=1e-6)
    lt.backward()
    ll.backward()
    for (n, p), q in zip(tm.named_parameters(), lm.parameters()):
        assert q.grad.dtype is tl.float32, n
        np.testing.assert_allclose(_np(q.grad), p.grad.numpy(), rtol=2e-2, atol=2e-3,
                                   err_msg=n)


@wired
def test_autocast_under_compile_matches_eager():
    tl.manual_seed(0)
    m = tl.nn.Linear(4, 3)
    x = tl.randn(2, 4)

    def f(x):
        with tl.autocast("cpu", dtype=tl.bfloat16):
            y = m(x)
        return y, y.float().sum()

    ye, se = f(x)
    cf = tl.compile(f)
    for _ in range(3):
        yc, sc = cf(x)
    assert yc.dtype is tl.bfloat16 and cf.stats()["traces"] == 1
    np.testing.assert_array_equal(_np(yc), _np(ye))
    # a program traced outside autocast is not reused inside it (nor the other way round)
    g = tl.compile(lambda x: m(x))
    assert [g(x).dtype for _ in range(3)] == [tl.float32] * 3
    with tl.autocast("cpu"):
        assert [g(x).dtype for _ in range(3)] == [tl.bfloat16] * 3
    assert g(x).dtype is tl.float32 and g.stats()["programs"] == 2
    cm = tl.compile(tl.nn.Linear(4, 3))        # compile(module): the jit.trace machinery
    assert [cm(x).dtype for _ in range(2)] == [tl.float32] * 2
    with tl.autocast("cpu"):
        assert [cm(x).dtype for _ in range(2)] == [tl.bfloat16] * 2


def test_custom_fwd_cast_inputs():
    seen = []

    class Sq(tl.autograd.Function):
        @staticmethod
        @tl.amp.custom_fwd(device_type="cpu", cast_inputs=tl.float32)
        def forward(ctx, x):
            seen.append((x.dtype, tl.is_autocast_enabled("cpu")))
            return x * x

        @staticmethod
        @tl.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen.append(tl.is_autocast_enabled("cpu"))
            return g

    with tl.autocast("cpu"):
        y = Sq.apply(tl.ones(2, dtype=tl.bfloat16))
        assert tl.is_autocast_enabled("cpu")
    assert y.dtype is tl.float32 and seen == [(tl.float32, False)]

    class Ctx:
        _fwd_used_autocast, _dtype = True, tl.bfloat16
    Sq.backward(Ctx(), tl.ones(1))        # backward runs under the forward's autocast state
    assert seen[-1] is True and not tl.is_autocast_enabled("cpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        tl.amp.custom_fwd(device_type=None)


# ------------------------------------------------------------------------- GradScaler


def _scaler_run(mod, opt_name, inf_steps, compiled=False):
    mod.manual_seed(0)
    m = mod.nn.Linear(3, 2)
    with mod.no_grad():
        m.weight.copy_(mod.tensor(np.arange(6, dtype=np.float32).reshape(2, 3) / 10))
        m.bias.fill_(0.1)
    opt = getattr(mod.optim, opt_name)(m.parameters(), lr=0.1)
    sc = mod.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)

    def step(x, unscale_first):
        opt.zero_grad()
        loss = m(x).pow(2).mean()
        sc.scale(loss).backward()
        if unscale_first:
            sc.unscale_(opt)
        sc.step(opt)
        sc.update()

    hist = []
    for i in range(5):
        x = np.full((4, 3), float(i + 1), np.float32)
        if i in inf_steps:
            x = x * np.inf
        step(mod.tensor(x), i == 3)
        hist.append((sc.get_scale(), sc._get_growth_tracker(), m.weight.detach().numpy().copy()))
    return hist, sc.state_dict(), opt.state_dict()["state"]


@pytest.mark.parametrize("opt_name,inf_steps", [("SGD", (1,)), ("Adam", (0, 2))])
def test_grad_scaler_trajectory_matches_torch(torch, opt_name, inf_steps):
    ht, sdt, stt = _scaler_run(torch, opt_name, inf_steps)
    hl, sdl, stl = _scaler_run(tl, opt_name, inf_steps)
    for (s1, g1, w1), (s2, g2, w2) in zip(ht, hl):
        assert (s1, g1) == (s2, g2)
        np.testing.assert_allclose(w2, w1, rtol=1e-6, atol=1e-7)
    assert sdl == sdt
    for k, v in stt.get(0, {}).items():
        np.testing.assert_allclose(np.asarray(stl[0][k]), v.numpy(), rtol=1e-5, atol=1e-7)


def test_grad_scaler_under_compile_matches_eager():
    def run(compiled):
        tl.manual_seed(0)
        m = tl.nn.Linear(3, 2)
        opt = tl.optim.Adam(m.parameters(), lr=0.1)
        sc = tl.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)

        def step(x):
            opt.zero_grad()
            loss = m(x).pow(2).mean()
            sc.scale(loss).backward()
            sc.step(opt)
            sc.update()
            return loss
        f = tl.compile(step) if compiled else step
        for i in range(5):
            x = np.full((4, 3), float(i + 1), np.float32) * (np.inf if i == 2 else 1)
            f(tl.tensor(x))
        return sc.state_dict(), _np(m.weight), f
    se, we, _ = run(False)
    sc, wc, f = run(True)
    assert se == sc and f.stats()["traces"] == 1
    np.testing.assert_allclose(wc, we, rtol=1e-6)


def test_grad_scaler_disabled_and_cuda_fallback(torch):
    m = tl.nn.Linear(2, 1)
    opt = tl.optim.SGD(m.parameters(), lr=0.1)
    sc = tl.amp.GradScaler("cpu", enabled=False)
    loss = m(tl.ones(1, 2)).sum()
    assert sc.scale(loss) is loss and not sc.is_enabled()
    loss.backward()
    w = _np(m.weight)
    sc.step(opt)
    sc.update()
    assert not np.array_equal(_np(m.weight), w)       # a plain optimizer step
    assert sc.state_dict() == {} and sc.get_scale() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        s2 = tl.cuda.amp.GradScaler(enabled=False)
    assert not s2.is_enabled()
    if not _cuda():
        with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available"):
            assert not tl.amp.GradScaler().is_enabled()


def test_grad_scaler_errors_and_state_dict():
    m = tl.nn.Linear(2, 1)
    opt = tl.optim.SGD(m.parameters(), lr=0.1)
    sc = tl.amp.GradScaler("cpu", init_scale=4.0)
    assert sc.state_dict() == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                               "growth_interval": 2000, "_growth_tracker": 0}
    with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
        sc.unscale_(opt)
    sc.scale(m(tl.ones(1, 2)).sum()).backward()
    sc.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called on this "
                                           "optimizer since the last update\\(\\)."):
        sc.unscale_(opt)
    sc.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called since the last "
                                           "update\\(\\)."):
        sc.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        sc.step(opt, closure=lambda: 0)
    sc.update()
    sd = sc.state_dict()
    assert sd["_growth_tracker"] == 1
    s2 = tl.amp.GradScaler("cpu")
    s2.load_state_dict(sd)
    assert s2.state_dict() == sd
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        s2.load_state_dict({})
    with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
        tl.amp.GradScaler("cpu", growth_factor=1.0)


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "batch_norm"])
def test_half_norms_with_float32_weights_match_torch(torch, name):
    """A bfloat16 input with float32 affine parameters (a LayerNorm under autocast) gives
    bfloat16, computed in float32 and rounded once: bit-identical to PyTorch."""
    x = np.random.RandomState(0).randn(6, 8).astype(np.float32) * 3 + 1
    w = np.random.RandomState(1).randn(8).astype(np.float32)
    b = np.random.RandomState(2).randn(8).astype(np.float32)
    out = []
    for m in (torch, tl):
        f = m.nn.functional
        X, W, B = m.tensor(x).bfloat16(), m.tensor(w), m.tensor(b)
        r = {"layer_norm": lambda: f.layer_norm(X, (8,), W, B),
             "group_norm": lambda: f.group_norm(X, 2, W, B),
             "batch_norm": lambda: f.batch_norm(X, None, None, W, B, training=True)}[name]()
        assert str(r.dtype) == "torch.bfloat16"
        out.append(r.float().numpy())
    np.testing.assert_array_equal(out[1], out[0])


@wired
def test_transformer_layer_under_autocast_matches_torch(torch):
    torch.manual_seed(0)
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    tm, lm = torch.nn.TransformerEncoderLayer(**kw), tl.nn.TransformerEncoderLayer(**kw)
    lm.load_state_dict({k: tl.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.RandomState(0).randn(2, 3, 8).astype(np.float32)
    with torch.autocast("cpu"):
        yt = tm(torch.tensor(x))
    with tl.autocast("cpu"):
        yl = lm(tl.tensor(x))
    assert str(yl.dtype) == str(yt.dtype)
    np.testing.assert_allclose(_np(yl), yt.detach().float().numpy(), atol=0.05)
