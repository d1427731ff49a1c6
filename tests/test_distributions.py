"""torchlike.distributions against real PyTorch: log_prob, entropy, moments, shapes, errors."""
import math

import numpy as np
import pytest

import torchlike as tl
import torchlike.distributions as D
from conftest import assert_close


def _t(m, x, **kw):
    return m.tensor(x, **kw)


# (name, constructor args as plain data, a value for log_prob)
CASES = [
    ("Normal", lambda m: ([0.0, 1.0], [1.0, 2.0]), [0.5, -1.0]),
    ("Uniform", lambda m: ([0.0, -1.0], [2.0, 3.0]), [0.5, 1.0]),
    ("Exponential", lambda m: ([0.5, 2.0],), [1.0, 0.25]),
    ("Gamma", lambda m: ([2.0, 0.5], [1.0, 3.0]), [1.5, 0.2]),
    ("Beta", lambda m: ([2.0, 0.5], [3.0, 0.7]), [0.3, 0.9]),
    ("Poisson", lambda m: ([1.5, 4.0],), [2.0, 3.0]),
]


def _build(mod, name, args):
    return getattr(mod.distributions, name)(*[mod.tensor(a) for a in args])


@pytest.mark.parametrize("name,args,value", CASES, ids=[c[0] for c in CASES])
def test_univariate(torch, name, args, value):
    import torch.distributions  # noqa: F401
    a = _build(tl, name, args(tl))
    b = _build(torch, name, args(torch))
    assert_close(a.log_prob(tl.tensor(value)), b.log_prob(torch.tensor(value)), rtol=1e-5)
    assert_close(a.mean, b.mean)
    assert_close(a.variance, b.variance, rtol=1e-5)
    if name != "Poisson":
        assert_close(a.entropy(), b.entropy(), rtol=1e-5)
    assert a.batch_shape == tuple(b.batch_shape) and a.event_shape == tuple(b.event_shape)
    assert repr(a) == repr(b)
    s = a.sample((5,))
    assert tuple(s.shape) == tuple(b.sample((5,)).shape)
    assert s.dtype.name == str(b.sample((5,)).dtype).replace("torch.", "")


def test_program10_values(torch):
    import torch.distributions as TD
    n, tn = D.Normal(tl.tensor([0.0]), tl.tensor([1.0])), TD.Normal(torch.tensor([0.0]),
                                                                   torch.tensor([1.0]))
    assert_close(n.log_prob(tl.tensor([0.5])), tn.log_prob(torch.tensor([0.5])))
    assert_close(n.entropy(), tn.entropy())
    assert str(n.sample((4,)).shape) == str(tn.sample((4,)).shape)
    assert repr(n) == repr(tn) and repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))
    c = D.Categorical(probs=tl.tensor([0.1, 0.2, 0.7]))
    tc = TD.Categorical(probs=torch.tensor([0.1, 0.2, 0.7]))
    assert repr(c) == repr(tc)
    assert c.log_prob(tl.tensor(2)).item() == pytest.approx(tc.log_prob(torch.tensor(2)).item())
    assert c.entropy().item() == pytest.approx(tc.entropy().item(), rel=1e-6)
    s = c.sample((1000,))
    assert (str(s.shape), str(s.dtype)) == ("torch.Size([1000])", "torch.int64")
    assert bool(((s >= 0) & (s <= 2)).all())
    freq = np.bincount(s.numpy(), minlength=3) / 1000
    assert np.allclose(freq, [0.1, 0.2, 0.7], atol=0.06)
    logits = tl.tensor([0.5, -0.5, 1.0], requires_grad=True)
    D.Categorical(logits=logits).log_prob(tl.tensor(0)).backward()
    tlog = torch.tensor([0.5, -0.5, 1.0], requires_grad=True)
    TD.Categorical(logits=tlog).log_prob(torch.tensor(0)).backward()
    assert_close(logits.grad, tlog.grad)


def test_batched_categorical_and_bernoulli(torch):
    import torch.distributions as TD
    logits = np.array([[0.1, 0.5, -1.0], [2.0, 0.0, 0.3]], np.float32)
    c, tc = D.Categorical(logits=tl.tensor(logits)), TD.Categorical(logits=torch.tensor(logits))
    v = [[0, 2], [1, 1]]
    assert_close(c.log_prob(tl.tensor(v)), tc.log_prob(torch.tensor(v)))
    assert_close(c.entropy(), tc.entropy())
    assert tuple(c.sample((4,)).shape) == tuple(tc.sample((4,)).shape)
    p = [0.2, 0.9]
    b, tb = D.Bernoulli(probs=tl.tensor(p)), TD.Bernoulli(probs=torch.tensor(p))
    assert_close(b.log_prob(tl.tensor([1.0, 0.0])), tb.log_prob(torch.tensor([1.0, 0.0])))
    assert_close(b.entropy(), tb.entropy())
    bl, tbl = D.Bernoulli(logits=tl.tensor(p)), TD.Bernoulli(logits=torch.tensor(p))
    assert_close(bl.probs, tbl.probs)
    assert repr(b) == repr(tb)
    assert_close(D.kl_divergence(c, D.Categorical(probs=tl.tensor([0.2, 0.3, 0.5]))),
                 TD.kl_divergence(tc, TD.Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))))


def test_multivariate_normal(torch):
    import torch.distributions as TD
    loc = [0.5, -1.0]
    cov = [[2.0, 0.3], [0.3, 1.0]]
    m = D.MultivariateNormal(tl.tensor(loc), tl.tensor(cov))
    tm = TD.MultivariateNormal(torch.tensor(loc), torch.tensor(cov))
    x = [[0.0, 0.0], [1.0, -2.0], [3.0, 1.0]]
    assert_close(m.log_prob(tl.tensor(x)), tm.log_prob(torch.tensor(x)), rtol=1e-5)
    assert_close(m.entropy(), tm.entropy())
    assert_close(m.variance, tm.variance)
    assert_close(m.scale_tril, tm.scale_tril, rtol=1e-5)
    assert repr(m) == repr(tm)
    assert tuple(m.sample((7,)).shape) == (7, 2)
    p = D.MultivariateNormal(tl.tensor(loc), precision_matrix=tl.tensor(cov))
    tp = TD.MultivariateNormal(torch.tensor(loc), precision_matrix=torch.tensor(cov))
    assert_close(p.log_prob(tl.tensor(x)), tp.log_prob(torch.tensor(x)), rtol=1e-5)
    q = D.MultivariateNormal(tl.zeros(2), tl.eye(2))
    tq = TD.MultivariateNormal(torch.zeros(2), torch.eye(2))
    assert_close(D.kl_divergence(m, q), TD.kl_divergence(tm, tq), rtol=1e-5)
    # batched loc with one covariance
    bl = [[0.0, 0.0], [1.0, 1.0]]
    mb = D.MultivariateNormal(tl.tensor(bl), scale_tril=tl.linalg.cholesky(tl.tensor(cov)))
    tmb = TD.MultivariateNormal(torch.tensor(bl),
                                scale_tril=torch.linalg.cholesky(torch.tensor(cov)))
    assert_close(mb.log_prob(tl.tensor(x[:2])), tmb.log_prob(torch.tensor(x[:2])), rtol=1e-5)
    assert tuple(mb.batch_shape) == (2,) and tuple(mb.event_shape) == (2,)


def test_dirichlet(torch):
    import torch.distributions as TD
    c = [[1.5, 2.0, 0.7], [3.0, 1.0, 1.0]]
    d, td = D.Dirichlet(tl.tensor(c)), TD.Dirichlet(torch.tensor(c))
    v = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]
    assert_close(d.log_prob(tl.tensor(v)), td.log_prob(torch.tensor(v)), rtol=1e-5)
    assert_close(d.entropy(), td.entropy(), rtol=1e-5)
    assert_close(d.mean, td.mean)
    s = d.sample((3,))
    assert tuple(s.shape) == (3, 2, 3)
    assert np.allclose(s.sum(-1).numpy(), 1.0, atol=1e-5)


def test_kl_normal(torch):
    import torch.distributions as TD
    p = D.Normal(tl.tensor([0.0, 1.0]), tl.tensor([1.0, 0.5]))
    q = D.Normal(tl.tensor([1.0, 0.0]), tl.tensor([2.0, 1.5]))
    tp = TD.Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.5]))
    tq = TD.Normal(torch.tensor([1.0, 0.0]), torch.tensor([2.0, 1.5]))
    assert_close(D.kl_divergence(p, q), TD.kl_divergence(tp, tq))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(p, D.Categorical(probs=tl.tensor([0.5, 0.5])))


def test_validation_errors(torch):
    import torch.distributions as TD
    for make in (lambda m, d: d.Normal(m.tensor([0.0]), m.tensor([-1.0])),
                 lambda m, d: d.Categorical(),
                 lambda m, d: d.Bernoulli(probs=m.tensor([1.5])),
                 lambda m, d: d.Uniform(m.tensor([1.0]), m.tensor([0.0])),
                 lambda m, d: d.Categorical(probs=m.tensor([0.1, 0.2, 0.7])).log_prob(
                     m.tensor(3)),
                 lambda m, d: d.Exponential(m.tensor([1.0])).log_prob(m.tensor([-1.0])),
                 lambda m, d: d.Normal(m.zeros(3), m.ones(3)).log_prob(m.zeros(2))):
        with pytest.raises(ValueError) as e1:
            make(tl, D)
        with pytest.raises(ValueError) as e2:
            make(torch, TD)
        assert str(e1.value) == str(e2.value)
    D.Normal(tl.tensor([0.0]), tl.tensor([-1.0]), validate_args=False)  # no check


def test_rsample_gradients():
    tl.manual_seed(0)
    loc = tl.tensor([0.5, -1.0], requires_grad=True)
    scale = tl.tensor([1.0, 2.0], requires_grad=True)
    x = D.Normal(loc, scale).rsample()
    x.sum().backward()
    assert loc.grad.tolist() == [1.0, 1.0]
    eps = ((x - loc) / scale).detach()
    assert_close(scale.grad, eps, rtol=1e-5)
    conc = tl.tensor([2.0, 0.5], requires_grad=True)
    g = D.Gamma(conc, tl.tensor([1.0, 1.0])).rsample((5,))
    g.sum().backward()
    assert conc.grad is not None and np.isfinite(conc.grad.numpy()).all()
    assert (conc.grad.numpy() > 0).all()   # larger concentration, larger samples
    lo = tl.tensor(0.0, requires_grad=True)
    D.Uniform(lo, tl.tensor(1.0)).rsample((2,)).sum().backward()
    assert lo.grad.item() == pytest.approx(2.0 - 0.0, abs=2.0)


def test_sampling_statistics():
    tl.manual_seed(1)
    n = D.Normal(tl.tensor(2.0), tl.tensor(0.5)).sample((4000,))
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    p = D.Poisson(tl.tensor(3.0)).sample((4000,))
    assert p.dtype is tl.float32 and abs(p.mean().item() - 3.0) < 0.15
    b = D.Bernoulli(probs=tl.tensor(0.3)).sample((4000,))
    assert abs(b.mean().item() - 0.3) < 0.05
    tl.manual_seed(5)
    a = D.Normal(0.0, 1.0).sample((3,))
    tl.manual_seed(5)
    assert tl.equal(a, D.Normal(0.0, 1.0).sample((3,)))
    assert math.isfinite(D.Normal(0.0, 1.0).sample().item())


# ------------------------------------------------------------- issue 15: the long tail
# (family, constructor on a module, values for log_prob/cdf, has icdf). Each family: log_prob,
# cdf, icdf, entropy, mean, variance, shapes and repr against torch, and the gradient of
# log_prob and of rsample (same uniform/normal noise is not shared, so rsample's gradient is
# checked through a torch reimplementation of the same path where noise is fixed: see below).
def _lt(m):
    return m.distributions


TAIL = [
    ("Laplace", lambda m, a, b: _lt(m).Laplace(a, b), True, True),
    ("Cauchy", lambda m, a, b: _lt(m).Cauchy(a, b), True, True),
    ("Gumbel", lambda m, a, b: _lt(m).Gumbel(a, b), True, False),
    ("StudentT", lambda m, a, b: _lt(m).StudentT(b + 2, a, b), False, False),
    ("LogNormal", lambda m, a, b: _lt(m).LogNormal(a, b), True, True),
    ("Affine", lambda m, a, b: _lt(m).TransformedDistribution(
        _lt(m).Normal(a, b), [_lt(m).transforms.AffineTransform(1.0, -2.0),
                              _lt(m).transforms.ExpTransform()]), True, True),
    ("Sigmoid", lambda m, a, b: _lt(m).TransformedDistribution(
        _lt(m).Laplace(a, b), _lt(m).transforms.SigmoidTransform()), True, True),
    ("Tanh", lambda m, a, b: _lt(m).TransformedDistribution(
        _lt(m).Normal(a, b), [_lt(m).transforms.TanhTransform()]), False, False),
    ("Power", lambda m, a, b: _lt(m).TransformedDistribution(
        _lt(m).LogNormal(a, b), [_lt(m).transforms.PowerTransform(m.tensor(2.0))]), False,
     False),
    ("Compose", lambda m, a, b: _lt(m).TransformedDistribution(
        _lt(m).Normal(a, b), _lt(m).transforms.ComposeTransform(
            [_lt(m).transforms.ExpTransform(), _lt(m).transforms.AffineTransform(0.1, 3.0)])),
     True, False),
]

_LOC, _SCALE = [0.1, -0.4, 0.3], [0.8, 1.3, 0.5]


@pytest.mark.parametrize("name,build,has_cdf,has_icdf", TAIL, ids=[c[0] for c in TAIL])
def test_tail_families(torch, name, build, has_cdf, has_icdf):
    import torch.distributions  # noqa: F401
    res = []
    for m in (tl, torch):
        a = m.tensor(_LOC, dtype=m.float64, requires_grad=True)
        b = m.tensor(_SCALE, dtype=m.float64, requires_grad=True)
        d = build(m, a, b)
        v = m.tensor([0.6, 0.35, 0.8], dtype=m.float64)
        if name in ("Tanh",):
            v = v - 0.3
        out = {"log_prob": d.log_prob(v)}
        if has_cdf:
            out["cdf"] = d.cdf(v)
        if has_icdf:
            out["icdf"] = d.icdf(m.tensor([0.2, 0.5, 0.9], dtype=m.float64))
        if name not in ("Affine", "Sigmoid", "Tanh", "Power", "Compose"):
            out.update(entropy=d.entropy(), mean=d.mean, variance=d.variance)
        g = m.autograd.grad(out["log_prob"].sum(), [a, b])
        out["grad_loc"], out["grad_scale"] = g
        s = d.rsample((4,))
        out["rsample_shape"] = tuple(s.shape)
        out["dtype"] = str(s.dtype).replace("torch.", "")
        out["batch"], out["event"] = tuple(d.batch_shape), tuple(d.event_shape)
        out["repr"] = repr(d) if name not in ("Affine", "Sigmoid", "Tanh", "Power",
                                              "Compose") else None
        ga = m.autograd.grad(s.sum(), [a, b], allow_unused=True)
        out["rsample_grad"] = all(x is not None for x in ga)
        res.append(out)
    mine, ref = res
    assert mine.keys() == ref.keys()
    for k in mine:
        if hasattr(ref[k], "detach"):
            assert_close(mine[k], ref[k], rtol=1e-6, atol=1e-9)
        else:
            assert mine[k] == ref[k], (k, mine[k], ref[k])


def test_tail_rsample_is_reparameterised():
    """rsample = loc + scale * (draw of the standard family): d/dloc = 1, d/dscale = the
    standardised draw."""
    tl.manual_seed(0)
    for cls in (D.Laplace, D.Cauchy, D.Gumbel):
        a = tl.tensor([0.5, -1.0], requires_grad=True)
        b = tl.tensor([2.0, 0.5], requires_grad=True)
        s = cls(a, b).rsample()
        ga, gb = tl.autograd.grad(s.sum(), [a, b])
        assert_close(ga, tl.ones(2))
        assert_close(gb, ((s - a) / b).detach(), rtol=1e-5)


def test_tail_sample_statistics():
    tl.manual_seed(0)
    n = 4000
    for d, mean, std in ((D.Laplace(1.0, 2.0), 1.0, 2 * 2 ** 0.5),
                         (D.Gumbel(0.0, 1.0), 0.5772, math.pi / 6 ** 0.5),
                         (D.StudentT(5.0, 0.0, 1.0), 0.0, (5 / 3) ** 0.5),
                         (D.LogNormal(0.0, 0.5), math.exp(0.125),
                          ((math.exp(0.25) - 1) * math.exp(0.25)) ** 0.5)):
        s = d.sample((n,))
        assert abs(s.mean().item() - mean) < 4 * std / n ** 0.5, d
    med = D.Cauchy(2.0, 1.0).sample((n,)).median().item()
    assert abs(med - 2.0) < 0.1


def test_tail_validation_errors(torch):
    import torch.distributions as TD
    for m, dd in ((tl, D), (torch, TD)):
        with pytest.raises(ValueError, match="Expected parameter scale"):
            dd.Laplace(m.tensor([0.0]), m.tensor([-1.0]), validate_args=True)
        with pytest.raises(ValueError, match="Expected parameter df"):
            dd.StudentT(m.tensor([-1.0]), validate_args=True)


@pytest.mark.parametrize("tname", ["StickBreakingTransform", "SoftmaxTransform"])
def test_simplex_transforms(torch, tname):
    x = np.array([[0.3, -1.2, 0.5], [1.0, 0.0, -0.5]])
    res = []
    for m in (tl, torch):
        t = getattr(m.distributions.transforms, tname)()
        y = t(m.tensor(x))
        out = [y, t.inv(y)]
        if tname == "StickBreakingTransform":
            out.append(t.log_abs_det_jacobian(m.tensor(x), y))
        res.append(out)
    for a, b in zip(*res):
        assert_close(a, b, rtol=1e-6)


# (name, builder(m, params...), value for log_prob, params as float64 data, what to compare)
def _p(m, x):
    return m.tensor(x, dtype=m.float64, requires_grad=True)


_PR = [0.2, 0.5, 0.3]
MORE = [
    ("Binomial", lambda m, p: _lt(m).Binomial(m.tensor([5., 5.], dtype=m.float64), p),
     [2., 4.], [[0.3, 0.6]], ("entropy", "mean", "variance", "mode")),
    ("Binomial_logits", lambda m, l: _lt(m).Binomial(3, logits=l), [0., 3.], [[0.3, -1.0]],
     ("entropy", "mean", "variance")),
    ("Multinomial", lambda m, p: _lt(m).Multinomial(4, p), [1., 2., 1.], [_PR],
     ("entropy", "mean", "variance")),
    ("OneHotCategorical", lambda m, p: _lt(m).OneHotCategorical(p), [0., 1., 0.], [_PR],
     ("entropy", "mean", "variance", "mode")),
    ("RelaxedBernoulli", lambda m, t, p: _lt(m).RelaxedBernoulli(t, p), [0.2, 0.9],
     [0.5, [0.3, 0.6]], ()),
    ("RelaxedOneHotCategorical", lambda m, t, p: _lt(m).RelaxedOneHotCategorical(t, p),
     [0.2, 0.7, 0.1], [0.5, _PR], ()),
    ("MixtureSameFamily", lambda m, w, mu, s: _lt(m).MixtureSameFamily(
        _lt(m).Categorical(w), _lt(m).Normal(mu, s)), [0.2, 1.1],
     [[0.3, 0.7], [0., 1.], [1., 0.5]], ("mean", "variance", "cdf")),
    ("MixtureSameFamily_mvn", lambda m, w, mu: _lt(m).MixtureSameFamily(
        _lt(m).Categorical(w), _lt(m).Independent(_lt(m).Normal(mu, m.ones_like(mu)), 1)),
     [0.2, 1.1], [[0.3, 0.7], [[0., 1.], [1., -1.]]], ("mean", "variance")),
    ("LowRankMultivariateNormal", lambda m, mu, w, d: _lt(m).LowRankMultivariateNormal(
        mu, w, d), [0.2, 0.1, -0.3], [[[0., 0.5, 0.], [1., 0., 1.]],
                                      [[[0.5], [0.2], [-0.3]]], [[1., 2., 0.5]]],
     ("entropy", "mean", "variance", "covariance_matrix", "precision_matrix", "scale_tril")),
]


@pytest.mark.parametrize("name,build,value,params,attrs", MORE, ids=[c[0] for c in MORE])
def test_more_families(torch, name, build, value, params, attrs):
    import torch.distributions  # noqa: F401
    res = []
    for m in (tl, torch):
        ps = [_p(m, x) for x in params]
        d = build(m, *ps)
        out = {"log_prob": d.log_prob(m.tensor(value, dtype=m.float64))}
        for a in attrs:
            out[a] = d.cdf(m.tensor(0.3, dtype=m.float64)) if a == "cdf" else getattr(d, a)
            if callable(out[a]):
                out[a] = out[a]()
        out["grads"] = [g if g is not None else m.zeros(()) for g in m.autograd.grad(
            out["log_prob"].sum(), ps, allow_unused=True, retain_graph=True)]
        s = d.rsample((2,)) if d.has_rsample else d.sample((2,))
        out["sample"] = (tuple(s.shape), str(s.dtype).replace("torch.", ""))
        out["shapes"] = (tuple(d.batch_shape), tuple(d.event_shape))
        if d.has_rsample:
            out["rsample_grad"] = any(g is not None for g in m.autograd.grad(
                s.sum(), ps, allow_unused=True))
        res.append(out)
    mine, ref = res
    assert mine.keys() == ref.keys()
    for k in mine:
        if k == "grads":
            for a, b in zip(mine[k], ref[k]):
                assert_close(a, b, rtol=1e-6, atol=1e-9)
        elif hasattr(ref[k], "detach"):
            assert_close(mine[k], ref[k], rtol=1e-6, atol=1e-9)
        else:
            assert mine[k] == ref[k], (k, mine[k], ref[k])


KL_PAIRS = [
    ("Laplace", lambda m, a, b: _lt(m).Laplace(a, b)),
    ("Cauchy", lambda m, a, b: _lt(m).Cauchy(a, b)),
    ("Gumbel", lambda m, a, b: _lt(m).Gumbel(a, b)),
    ("LogNormal", lambda m, a, b: _lt(m).LogNormal(a, b)),
    ("Binomial", lambda m, a, b: _lt(m).Binomial(5, m.sigmoid(a))),
    ("OneHotCategorical", lambda m, a, b: _lt(m).OneHotCategorical(logits=a)),
    ("Transformed", lambda m, a, b: _lt(m).TransformedDistribution(
        _lt(m).Normal(a, b), [_lt(m).transforms.AffineTransform(1.0, 2.0),
                              _lt(m).transforms.SigmoidTransform()])),
]


@pytest.mark.parametrize("name,build", KL_PAIRS, ids=[c[0] for c in KL_PAIRS])
def test_more_kl(torch, name, build):
    res = []
    for m in (tl, torch):
        a = _p(m, [0.2, -0.5, 0.1])
        b = _p(m, [1.0, 2.0, 0.7])
        p, q = build(m, a, b), build(m, a.detach() * 0.5 + 0.3, b.detach() + 0.2)
        kl = m.distributions.kl_divergence(p, q)
        res.append((kl, *m.autograd.grad(kl.sum(), [a, b], allow_unused=True)))
    for x, y in zip(*res):
        if y is None:
            assert x is None or not x.abs().sum().item()
        else:
            assert_close(x, y, rtol=1e-6, atol=1e-9)


def test_more_errors(torch):
    import torch.distributions as TD
    for m, dd in ((tl, D), (torch, TD)):
        with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
            dd.Binomial(m.tensor([2., 3.]), m.tensor([0.5, 0.5])).entropy()
        with pytest.raises(ValueError, match="needs to be an  instance of"):
            dd.MixtureSameFamily(dd.Normal(0., 1.), dd.Normal(m.zeros(2), m.ones(2)))
        with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
            dd.kl_divergence(dd.Binomial(2, m.tensor(0.5)), dd.Binomial(3, m.tensor(0.5)))


FAMILIES3 = [
    ("Chi2", lambda d, a: d.Chi2(a), [0.5, 2.0]),
    ("HalfNormal", lambda d, a: d.HalfNormal(a), [0.5, 2.0]),
    ("HalfCauchy", lambda d, a: d.HalfCauchy(a), [0.5, 2.0]),
    ("Pareto", lambda d, a: d.Pareto(a * 0.2, a + 1), [0.5, 2.0]),
    ("Weibull", lambda d, a: d.Weibull(a, a), [0.5, 2.0]),
    ("Geometric", lambda d, a: d.Geometric(a / 4), [1.0, 2.0]),
    ("NegativeBinomial", lambda d, a: d.NegativeBinomial(a, a / 4), [1.0, 2.0]),
    ("Kumaraswamy", lambda d, a: d.Kumaraswamy(a, a * 0.7), [0.3, 0.8]),
    ("FisherSnedecor", lambda d, a: d.FisherSnedecor(a * 2, a * 3), [0.5, 2.0]),
]


@pytest.mark.parametrize("name,build,value", FAMILIES3, ids=[c[0] for c in FAMILIES3])
def test_families3(torch, name, build, value):
    import torch.distributions  # noqa: F401
    res = []
    for m in (tl, torch):
        a = m.tensor([1.5, 3.0], dtype=m.float64, requires_grad=True)
        d = build(m.distributions, a)
        lp = d.log_prob(m.tensor(value, dtype=m.float64))
        out = [lp, d.mean, d.variance, *m.autograd.grad(lp.sum(), [a], retain_graph=True)]
        if name not in ("NegativeBinomial", "FisherSnedecor"):
            out.append(d.entropy())
        if name in ("Kumaraswamy", "FisherSnedecor"):
            out.append(m.tensor(tuple(m.autograd.grad(d.rsample((2,)).sum(), [a])[0].shape)))
        if name in ("HalfNormal", "HalfCauchy"):
            out += [d.cdf(m.tensor(value, dtype=m.float64)),
                    d.icdf(m.tensor([0.2, 0.7], dtype=m.float64))]
        s = d.sample((3,))
        res.append((out, tuple(s.shape), str(s.dtype).replace("torch.", "")))
    for x, y in zip(res[0][0], res[1][0]):
        assert_close(x, y, rtol=1e-6, atol=1e-9)
    assert res[0][1:] == res[1][1:]


def _constraint_list(C):
    return [C.real, C.positive, C.greater_than(1.5), C.interval(-1., 2.), C.unit_interval,
            C.less_than(0.5), C.simplex, C.independent(C.positive, 1)]


def test_biject_to_transform_to(torch):
    x = np.array([[0.3, -1.2], [0.5, 2.0]])
    res = []
    for m in (tl, torch):
        D_, X = m.distributions, m.tensor(x)
        out = []
        for c in _constraint_list(D_.constraints):
            for reg in (D_.biject_to, D_.transform_to):
                tr = reg(c)
                y = tr(X)
                out += [y, tr.inv(y)]
                if not (reg is D_.transform_to and c is D_.constraints.simplex):
                    out.append(tr.log_abs_det_jacobian(X, y))
        tr = D_.transform_to(D_.constraints.lower_cholesky)
        out += [tr(X), tr.inv(tr(X))]
        tr = D_.transforms.SoftplusTransform()
        out += [tr(X), tr.inv(tr(X)), tr.log_abs_det_jacobian(X, tr(X))]
        out.append(D_.transforms.ReshapeTransform((2, 2), (4,))(X))
        cdt = D_.transforms.CumulativeDistributionTransform(D_.Normal(0.0, 2.0))
        out += [cdt(X), cdt.inv(cdt(X)), cdt.log_abs_det_jacobian(X, cdt(X)),
                D_.TransformedDistribution(D_.Normal(m.zeros(2), m.ones(2)), [cdt]).log_prob(
                    m.tensor([0.2, 0.7]))]
        ig = D_.InverseGamma(m.tensor([2.5, 3.]), m.tensor([1., 2.]))
        v = m.tensor([0.5, 1.])
        out += [ig.log_prob(v), ig.mean, ig.variance, ig.entropy(), ig.mode]
        res.append(out)
    assert len(res[0]) == len(res[1])
    for a, b in zip(*res):
        assert_close(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError, match="Cannot transform _LowerCholesky"):
        D.biject_to(D.constraints.lower_cholesky)


def test_exponential_family_entropy_by_bregman():
    """A user subclass of ExponentialFamily gets its entropy from the log normalizer."""
    class Exp(D.ExponentialFamily):
        arg_constraints = {}

        def __init__(self, rate):
            self.rate = rate
            super().__init__(rate.shape, validate_args=False)

        @property
        def _natural_params(self):
            return (-self.rate,)

        def _log_normalizer(self, x):
            return -tl.log(-x)

        @property
        def _mean_carrier_measure(self):
            return 0

    rate = tl.tensor([0.5, 2.0])
    assert_close(Exp(rate).entropy(), D.Exponential(rate).entropy(), rtol=1e-6)


def test_logistic_normal(torch):
    res = []
    for m in (tl, torch):
        loc = m.tensor([0.2, -0.3], dtype=m.float64, requires_grad=True)
        d = m.distributions.LogisticNormal(loc, m.tensor([1.0, 0.5], dtype=m.float64))
        lp = d.log_prob(m.tensor([0.2, 0.5, 0.3], dtype=m.float64))
        s = d.rsample((4,))
        res.append((lp, *m.autograd.grad(lp, [loc]), tuple(s.shape), tuple(d.event_shape),
                    float(s.sum(-1).mean())))
    assert_close(res[0][0], res[1][0], rtol=1e-6)
    assert_close(res[0][1], res[1][1], rtol=1e-6)
    assert res[0][2:4] == res[1][2:4]
    assert res[0][4] == pytest.approx(res[1][4])


@pytest.mark.parametrize("probs", [[0.2, 0.4995, 0.9], None], ids=["probs", "logits"])
def test_continuous_bernoulli(torch, probs):
    res = []
    for m in (tl, torch):
        p = m.tensor(probs if probs else [-1.0, 0.001, 2.0], dtype=m.float64,
                     requires_grad=True)
        d = m.distributions.ContinuousBernoulli(probs=p) if probs else \
            m.distributions.ContinuousBernoulli(logits=p)
        v = m.tensor([0.3, 0.5, 0.95], dtype=m.float64)
        lp = d.log_prob(v)
        out = [lp, d.mean, d.variance, d.entropy(), d.cdf(v), d.icdf(v),
               *m.autograd.grad(lp.sum(), [p], retain_graph=True)]
        s = d.rsample((3,))
        out.append(m.autograd.grad(s.sum(), [p])[0].shape)
        res.append(out)
    for a, b in zip(res[0][:-1], res[1][:-1]):
        assert_close(a, b, rtol=1e-6, atol=1e-9)
    assert tuple(res[0][-1]) == tuple(res[1][-1])


def test_lowrank_kl(torch):
    res = []
    for m in (tl, torch):
        D_ = m.distributions
        f = m.tensor([[[0.5], [0.2], [-0.3]], [[0.1], [1.0], [0.4]]], dtype=m.float64,
                     requires_grad=True)
        d = m.tensor([[1.0, 2.0, 0.5], [0.7, 0.3, 1.1]], dtype=m.float64)
        mu = m.tensor([0.1, -0.2, 0.3], dtype=m.float64)
        p = D_.LowRankMultivariateNormal(mu, f, d)
        q = D_.LowRankMultivariateNormal(mu * 2, f.detach() * 0.5, d + 0.5)
        mv = D_.MultivariateNormal(mu * -1, scale_tril=m.eye(3, dtype=m.float64) * 1.5)
        kls = [D_.kl_divergence(p, q), D_.kl_divergence(mv, p), D_.kl_divergence(p, mv)]
        res.append(kls + list(m.autograd.grad(sum(k.sum() for k in kls), [f])))
    for a, b in zip(*res):
        assert_close(a, b, rtol=1e-6, atol=1e-9)


def test_exponential_family_subclasses(torch):
    names = ["Normal", "Bernoulli", "Beta", "Dirichlet", "Exponential", "Gamma", "Poisson",
             "ContinuousBernoulli", "Laplace", "Categorical"]
    for n in names:
        assert issubclass(getattr(D, n), D.ExponentialFamily) == issubclass(
            getattr(torch.distributions, n), torch.distributions.ExponentialFamily), n
