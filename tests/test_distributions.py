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
