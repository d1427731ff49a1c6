"""Names the corpus of public PyTorch programs uses (docs/corpus.md) that torchlike lacked:
each against real torch (values, dtypes, errors) or, for torchvision, its formulas."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import torchlike as tl

A = [[1.0, -2.0, 3.0], [0.5, 4.0]]
B = [[2.0, 1.0, -1.0], [3.0, 0.25]]


def _lists(lib):
    return [lib.tensor(v) for v in A], [lib.tensor(v) for v in B]


def _vals(ts):
    return [np.asarray(t.tolist()) for t in ts]


# (name, call with (lib, xs, ys)) -- xs, ys: lists of tensors
FOREACH = [
    ("add_list", lambda m, x, y: m._foreach_add(x, y, alpha=2)),
    ("add_scalar", lambda m, x, y: m._foreach_add(x, 1.5)),
    ("add_scalarlist", lambda m, x, y: m._foreach_add(x, [1.0, 2.0])),
    ("sub", lambda m, x, y: m._foreach_sub(x, y)),
    ("mul_tensor", lambda m, x, y: m._foreach_mul(x, m.tensor(3.0))),
    ("div", lambda m, x, y: m._foreach_div(x, y)),
    ("maximum", lambda m, x, y: m._foreach_maximum(x, y)),
    ("minimum", lambda m, x, y: m._foreach_minimum(x, 0.5)),
    ("clamp_min", lambda m, x, y: m._foreach_clamp_min(x, 0.0)),
    ("pow", lambda m, x, y: m._foreach_pow(x, 2)),
    ("pow_scalar_base", lambda m, x, y: m._foreach_pow(2.0, x)),
    ("neg", lambda m, x, y: m._foreach_neg(x)),
    ("sqrt", lambda m, x, y: m._foreach_sqrt(m._foreach_abs(x))),
    ("exp", lambda m, x, y: m._foreach_exp(x)),
    ("reciprocal", lambda m, x, y: m._foreach_reciprocal(x)),
    ("sign", lambda m, x, y: m._foreach_sign(x)),
    ("addcmul", lambda m, x, y: m._foreach_addcmul(x, x, y, value=0.5)),
    ("addcdiv_scalars", lambda m, x, y: m._foreach_addcdiv(x, x, y, [1.0, 2.0])),
    ("lerp", lambda m, x, y: m._foreach_lerp(x, y, 0.25)),
    ("norm", lambda m, x, y: m._foreach_norm(x)),
    ("norm1", lambda m, x, y: m._foreach_norm(x, 1)),
    ("add_", lambda m, x, y: (m._foreach_add_(x, y, alpha=-1), x)[1]),
    ("mul_", lambda m, x, y: (m._foreach_mul_(x, 2.0), x)[1]),
    ("div_", lambda m, x, y: (m._foreach_div_(x, [2.0, 4.0]), x)[1]),
    ("maximum_", lambda m, x, y: (m._foreach_maximum_(x, y), x)[1]),
    ("neg_", lambda m, x, y: (m._foreach_neg_(x), x)[1]),
    ("sqrt_", lambda m, x, y: (m._foreach_sqrt_(m._foreach_abs(x)) and None) or
     m._foreach_sqrt(m._foreach_abs(x))),
    ("reciprocal_", lambda m, x, y: (m._foreach_reciprocal_(x), x)[1]),
    ("sub_", lambda m, x, y: (m._foreach_sub_(x, y), x)[1]),
    ("addcmul_", lambda m, x, y: (m._foreach_addcmul_(x, y, y, value=2), x)[1]),
    ("addcdiv_", lambda m, x, y: (m._foreach_addcdiv_(x, y, y, value=-1), x)[1]),
    ("lerp_", lambda m, x, y: (m._foreach_lerp_(x, y, 0.5), x)[1]),
    ("zero_", lambda m, x, y: (m._foreach_zero_(x), x)[1]),
]


@pytest.mark.parametrize("name,fn", FOREACH, ids=[f[0] for f in FOREACH])
def test_foreach(torch, name, fn):
    rt = fn(torch, *_lists(torch))
    rl = fn(tl, *_lists(tl))
    assert type(rl) is type(rt) or isinstance(rt, list)
    for a, b in zip(_vals(rl), _vals(rt)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("call", [
    lambda m: m._foreach_add([m.ones(2)], [1.0, 2.0]),
    lambda m: m._foreach_add([], 1),
    lambda m: m._foreach_mul([m.ones(2), m.ones(3)], [m.ones(2)]),
])
def test_foreach_errors(torch, call):
    with pytest.raises(RuntimeError) as et:
        call(torch)
    with pytest.raises(RuntimeError) as el:
        call(tl)
    assert str(el.value) == str(et.value)


def test_foreach_gradient(torch):
    xs = [tl.tensor([1.0, 2.0], requires_grad=True)]
    ts = [torch.tensor([1.0, 2.0], requires_grad=True)]
    tl._foreach_mul(xs, 3.0)[0].sum().backward()
    torch._foreach_mul(ts, 3.0)[0].sum().backward()
    np.testing.assert_allclose(xs[0].grad.numpy(), ts[0].grad.numpy())


# ------------------------------------------------------------------ torch.testing
ASSERT_CLOSE = [
    lambda m: m.testing.assert_close(m.tensor([1., 2., 3.]), m.tensor([1., 2., 3.1])),
    lambda m: m.testing.assert_close(m.tensor([[1., 2.], [3., 4.]]),
                                     m.tensor([[1., 2.5], [3., 4.]])),
    lambda m: m.testing.assert_close(m.tensor([1, 2]), m.tensor([1, 3])),
    lambda m: m.testing.assert_close(m.tensor([1., 2.]), m.tensor([1., 2.], dtype=m.float64)),
    lambda m: m.testing.assert_close(m.tensor([1., 2.]), m.tensor([1., 2., 3.])),
    lambda m: m.testing.assert_close(m.tensor([1., math.nan]), m.tensor([1., math.nan])),
    lambda m: m.testing.assert_close(m.tensor([1., math.nan]), m.tensor([1., math.nan]),
                                     equal_nan=True),
    lambda m: m.testing.assert_close(1.0, 1.0 + 1e-9),
    lambda m: m.testing.assert_close(1.0, 1.1),
    lambda m: m.testing.assert_close([m.ones(2)], [m.ones(2) * 2]),
    lambda m: m.testing.assert_close(m.tensor(1.), m.tensor(2.)),
    lambda m: m.testing.assert_close(m.ones(2), m.ones(2) * 2, msg="custom"),
    lambda m: m.testing.assert_close(m.ones(2), m.ones(2) * 2, rtol=1),
    lambda m: m.testing.assert_close(m.ones(2), m.ones(2) * 2, rtol=1, atol=0),
    lambda m: m.testing.assert_close(m.ones(2), 1.0),
    lambda m: m.testing.assert_close({"a": m.ones(2)}, {"a": m.zeros(2)}),
    lambda m: m.testing.assert_close(m.ones(3, dtype=m.float64),
                                     m.ones(3, dtype=m.float64) + 1e-8),
    lambda m: m.testing.assert_close(m.tensor([1., 2.]), m.tensor([1.5, 2.]),
                                     check_dtype=False),
]


@pytest.mark.parametrize("i", range(len(ASSERT_CLOSE)))
def test_assert_close(torch, i):
    def outcome(m):
        try:
            ASSERT_CLOSE[i](m)
            return None
        except Exception as e:  # noqa: BLE001 - compared by type and message
            return type(e).__name__, str(e).replace("torch.", "")
    assert outcome(tl) == outcome(torch)


def test_assert_allclose_deprecated(torch):
    with pytest.warns(FutureWarning, match="assert_allclose"):
        tl.testing.assert_allclose(tl.ones(2), [1.0, 1.0])
    with pytest.raises(AssertionError):
        tl.testing.assert_allclose(tl.ones(2), [1.0, 1.5])


# ------------------------------------------------------------------ small modules
def test_compiler_is_compiling():
    seen = []

    def f(x):
        seen.append(tl.compiler.is_compiling())
        return x * 2
    assert tl.compiler.is_compiling() is False
    g = tl.compile(f)
    g(tl.ones(2))
    g(tl.ones(2))
    assert True in seen           # while torchlike.compile traces f (its first call is eager)
    assert tl.compiler.disable(f) is f and tl.compiler.allow_in_graph(f) is f


def test_sdpa_kernel(torch):
    from torchlike.nn.attention import SDPBackend, sdpa_kernel
    assert {b.name: int(b) for b in SDPBackend} == {
        b.name: int(b) for b in torch.nn.attention.SDPBackend.__members__.values()}
    assert str(SDPBackend.MATH) == str(torch.nn.attention.SDPBackend.MATH)
    q = tl.ones(1, 2, 3, 4)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        r = tl.nn.functional.scaled_dot_product_attention(q, q, q)
    assert tuple(r.shape) == (1, 2, 3, 4)
    for lib in (torch, tl):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
            with lib.nn.attention.sdpa_kernel("math"):
                pass


def test_accelerator_and_backend_names(torch):
    for lib in (torch, tl):
        assert lib.distributed.get_default_backend_for_device("cpu") == "gloo"
        assert lib.distributed.get_default_backend_for_device(lib.device("cuda")) == "nccl"
    if not tl.cuda.is_available() and not torch.cuda.is_available():
        for name in ("current_device_index",):
            for lib in (torch, tl):
                with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
                    getattr(lib.accelerator, name)()
        for lib in (torch, tl):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
                lib.accelerator.set_device_index(0)
            with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
                lib.ones(2).pin_memory()
            assert lib.ones(2).is_pinned() is False


@pytest.mark.parametrize("args", [(), (2, 3), ("size",), ([1, 2],), ((2, 3),), ("tensor",)])
def test_tensor_new(torch, args):
    def run(lib):
        x = lib.ones(2, dtype=lib.float64)
        a = tuple(lib.Size([2, 1]) if v == "size" else lib.tensor([4., 5.], dtype=lib.float64)
                  if v == "tensor" else v for v in args)
        r = x.new(*a)
        return tuple(r.shape), str(r.dtype).split(".")[-1], (r.tolist() if a and not all(
            isinstance(v, int) for v in a) and not isinstance(a[0], lib.Size) else None)
    assert run(tl) == run(torch)


def test_nn_module_paths(torch):
    """Every torch.nn.modules.<file>.<Class> whose class torchlike has resolves at the same
    path, and a pickle naming it loads (pickles and safe_globals name these paths)."""
    import importlib
    import inspect
    import pkgutil
    missing = []
    for mi in pkgutil.iter_modules(torch.nn.modules.__path__):
        mod = importlib.import_module("torch.nn.modules." + mi.name)
        for n, o in vars(mod).items():
            if not (inspect.isclass(o) and o.__module__ == mod.__name__) or n.startswith("_") \
                    or mi.name.startswith("_"):
                continue
            if not hasattr(tl.nn, n):
                continue
            try:
                ours = importlib.import_module("torchlike.nn.modules." + mi.name)
                assert getattr(ours, n) is getattr(tl.nn, n)
            except (ImportError, AttributeError):
                missing.append(f"{mi.name}.{n}")
    assert not missing
    from torchlike.nn.modules.activation import MultiheadAttention
    assert MultiheadAttention is tl.nn.MultiheadAttention
    data = pickle.dumps(tl.nn.BatchNorm2d(3))
    assert type(pickle.loads(data)) is tl.nn.BatchNorm2d


# ------------------------------------------------------------------ torchvision
def test_vgg13_19_parameter_counts(monkeypatch):
    from torchlike.vision import models
    monkeypatch.setattr(tl.nn.init, "_fill_random", lambda tensor, *a: tensor)  # structure only
    # torchvision's num_params metadata of the ImageNet weights
    for name, n in [("vgg13", 133047848), ("vgg13_bn", 133053736), ("vgg19", 143667240),
                    ("vgg19_bn", 143678248)]:
        assert models.get_model_weights(name).DEFAULT.meta["num_params"] == n
    for name, n in [("vgg13_bn", 133053736), ("vgg19", 143667240)]:
        assert sum(p.numel() for p in models.get_model(name).parameters()) == n


def _img():
    g = np.random.default_rng(0)
    return g.random((3, 6, 7)).astype(np.float32)


def test_color_functional(torch):
    """adjust_* on float and uint8 tensors, by torchvision's formulas written with torch ops."""
    import torchlike.vision.transforms.functional as F
    x = _img()
    xt = torch.tensor(x)

    def gray(t):
        return (0.2989 * t[0] + 0.587 * t[1] + 0.114 * t[2]).unsqueeze(0)
    np.testing.assert_allclose(F.adjust_brightness(tl.tensor(x), 1.7).numpy(),
                               (1.7 * xt).clamp(0, 1).numpy(), rtol=1e-6)
    mean = gray(xt).mean()
    np.testing.assert_allclose(F.adjust_contrast(tl.tensor(x), 0.3).numpy(),
                               (0.3 * xt + 0.7 * mean).clamp(0, 1).numpy(), rtol=1e-5)
    np.testing.assert_allclose(F.adjust_saturation(tl.tensor(x), 1.6).numpy(),
                               (1.6 * xt - 0.6 * gray(xt)).clamp(0, 1).numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(F.adjust_hue(tl.tensor(x), 0.0).numpy(), x, atol=1e-5)
    # a hue shift of 1/3 rotates pure red to pure green
    red = np.zeros((3, 1, 1), np.float32)
    red[0] = 1
    np.testing.assert_allclose(F.adjust_hue(tl.tensor(red), 1 / 3).numpy().ravel(), [0, 1, 0],
                               atol=1e-5)
    u8 = (x * 255).astype(np.uint8)
    r = F.adjust_brightness(tl.tensor(u8), 0.5)
    assert r.dtype == tl.uint8
    np.testing.assert_array_equal(r.numpy(), (torch.tensor(u8) * 0.5).clamp(0, 255)
                                  .to(torch.uint8).numpy())
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]"):
        F.adjust_hue(tl.tensor(x), 0.7)


def test_gaussian_blur_and_resized_crop(torch):
    import torchlike.vision.transforms.functional as F
    delta = np.zeros((1, 7, 7), np.float32)
    delta[0, 3, 3] = 1
    out = F.gaussian_blur(tl.tensor(delta), [3, 5], [0.8, 1.2]).numpy()[0]

    def k1(n, s):
        x = np.linspace(-(n - 1) / 2, (n - 1) / 2, n)
        p = np.exp(-0.5 * (x / s) ** 2)
        return p / p.sum()
    expect = np.zeros((7, 7))
    expect[1:6, 2:5] = np.outer(k1(5, 1.2), k1(3, 0.8))
    np.testing.assert_allclose(out, expect, atol=1e-6)
    x = tl.tensor(_img())
    r = F.resized_crop(x, 1, 2, 4, 4, [2, 2])
    np.testing.assert_allclose(r.numpy(), F.resize(x[:, 1:5, 2:6], [2, 2]).numpy())
    with pytest.raises(ValueError, match="kernel_size should have odd and positive integers"):
        F.gaussian_blur(x, [2, 3])


def test_random_transforms():
    import torchlike.vision.transforms as T
    x = tl.tensor(_img())
    tl.manual_seed(0)
    assert tuple(T.RandomResizedCrop(4)(x).shape) == (3, 4, 4)
    assert repr(T.RandomResizedCrop(4)) == ("RandomResizedCrop(size=(4, 4), scale=(0.08, 1.0), "
                                            "ratio=(0.75, 1.3333), interpolation=bilinear, "
                                            "antialias=True)")
    cj = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    assert repr(cj) == ("ColorJitter(brightness=(0.6, 1.4), contrast=(0.6, 1.4), "
                        "saturation=(0.6, 1.4), hue=(-0.1, 0.1))")
    y = cj(x)
    assert tuple(y.shape) == (3, 6, 7) and float(y.min()) >= 0 and float(y.max()) <= 1
    g = T.RandomGrayscale(p=1.0)(x).numpy()
    np.testing.assert_allclose(g[0], g[1])
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    with pytest.raises(ValueError, match="odd and positive"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non"):
        T.ColorJitter(brightness=-1)


def test_small_aliases(torch):
    assert tl.version.cuda == torch.version.cuda is None
    assert tl.version.__version__ == tl.__version__
    np.testing.assert_allclose(tl.vmap(lambda v: v.sum())(tl.ones(3, 2)).numpy(),
                               torch.vmap(lambda v: v.sum())(torch.ones(3, 2)).numpy())
    assert tl.hub.urlparse("https://x.org/a/b.pth").path == "/a/b.pth"
    m = tl.nn.Linear(2, 1)
    x = tl.ones(3, 2)
    np.testing.assert_allclose(tl.nn.parallel.data_parallel(m, x).detach().numpy(),
                               m(x).detach().numpy())


def test_box_ops(torch):
    """torchvision.ops.boxes against the formulas written with torch ops."""
    from torchlike.vision import ops
    b1 = [[0., 0., 2., 2.], [1., 1., 3., 4.], [0., 0., 1., 1.]]
    b2 = [[1., 1., 2., 2.], [0., 0., 3., 3.]]
    t1, t2 = torch.tensor(b1), torch.tensor(b2)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    lt = torch.max(t1[:, None, :2], t2[:, :2])
    rb = torch.min(t1[:, None, 2:], t2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area(t1)[:, None] + area(t2) - inter
    np.testing.assert_allclose(ops.box_area(tl.tensor(b1)).numpy(), area(t1).numpy())
    np.testing.assert_allclose(ops.box_iou(tl.tensor(b1), tl.tensor(b2)).numpy(),
                               (inter / union).numpy(), rtol=1e-6)
    enc = torch.max(t1[:, None, 2:], t2[:, 2:]) - torch.min(t1[:, None, :2], t2[:, :2])
    ea = enc[..., 0] * enc[..., 1]
    np.testing.assert_allclose(ops.generalized_box_iou(tl.tensor(b1), tl.tensor(b2)).numpy(),
                               (inter / union - (ea - union) / ea).numpy(), rtol=1e-6)
    cx = ops.box_convert(tl.tensor(b1), "xyxy", "cxcywh")
    np.testing.assert_allclose(ops.box_convert(cx, "cxcywh", "xyxy").numpy(), b1)
    np.testing.assert_allclose(ops.box_convert(tl.tensor(b1), "xyxy", "xywh").numpy()[1],
                               [1., 1., 2., 3.])
    keep = ops.nms(tl.tensor(b1 + [[0., 0., 2., 2.1]]), tl.tensor([0.9, 0.8, 0.7, 0.95]), 0.5)
    assert keep.tolist() == [3, 1, 2] and keep.dtype == tl.int64
