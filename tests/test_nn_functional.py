"""nn.functional extras, nn.init and nn.utils against real PyTorch."""
from __future__ import annotations

import math

import numpy as np
import pytest

import torchlike as tl
import torchlike.nn as nn
import torchlike.nn.functional as F
from nn_helpers import randn


def _fn_check(torch, name, arrays, kwargs, grads=(0,), rtol=1e-5, atol=1e-6, args=()):
    a_in = [tl.from_numpy(x.copy()) for x in arrays]
    b_in = [torch.from_numpy(x.copy()) for x in arrays]
    for i in grads:
        a_in[i].requires_grad_(True)
        b_in[i].requires_grad_(True)
    ya = getattr(F, name)(*a_in, *args, **kwargs)
    yb = getattr(torch.nn.functional, name)(*b_in, *args, **kwargs)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=rtol, atol=atol)
    if grads:
        w = randn(*yb.shape, seed=7)
        (ya * tl.from_numpy(w)).sum().backward()
        (yb * torch.from_numpy(w)).sum().backward()
        for i in grads:
            np.testing.assert_allclose(a_in[i].grad.numpy(), b_in[i].grad.numpy(), rtol=rtol,
                                       atol=atol)
    return ya, yb


@pytest.mark.parametrize("pad,mode", [((1, 2), "constant"), ((1, 1, 2, 0), "reflect"),
                                      ((2, 1, 1, 2), "replicate"), ((1, 2, 2, 1), "circular"),
                                      ((-1, 1), "constant")])
def test_pad(torch, pad, mode):
    _fn_check(torch, "pad", [randn(1, 2, 4, 5)], dict(mode=mode), args=(pad,))


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(size=(3, 7)),
                                dict(scale_factor=1.7, mode="bilinear"),
                                dict(size=(6, 3), mode="bilinear", align_corners=True),
                                dict(scale_factor=2, mode="bicubic"),
                                dict(size=(2, 3), mode="area"),
                                dict(scale_factor=1.5, mode="nearest-exact")])
def test_interpolate(torch, kw):
    _fn_check(torch, "interpolate", [randn(1, 2, 4, 5)], kw, rtol=1e-4, atol=1e-5)


def test_interpolate_linear_1d(torch):
    _fn_check(torch, "interpolate", [randn(1, 2, 5)], dict(scale_factor=2.5, mode="linear"),
              rtol=1e-4, atol=1e-5)


def test_normalize_cosine_distance(torch):
    _fn_check(torch, "normalize", [randn(4, 3)], dict(dim=1))
    _fn_check(torch, "normalize", [randn(4, 3)], dict(p=1.0, dim=0))
    _fn_check(torch, "cosine_similarity", [randn(4, 3), randn(4, 3, seed=1)], {}, grads=(0, 1))
    _fn_check(torch, "pairwise_distance", [randn(4, 3), randn(4, 3, seed=1)], {},
              grads=(0, 1))


def test_one_hot(torch):
    a = F.one_hot(tl.tensor([0, 2, 1]))
    b = torch.nn.functional.one_hot(torch.tensor([0, 2, 1]))
    assert repr(a) == repr(b)
    assert repr(F.one_hot(tl.tensor([[1], [0]]), 4)) == repr(
        torch.nn.functional.one_hot(torch.tensor([[1], [0]]), 4))


@pytest.mark.parametrize("kw", [dict(), dict(is_causal=True), dict(scale=0.3)])
def test_sdpa(torch, kw):
    _fn_check(torch, "scaled_dot_product_attention",
              [randn(2, 3, 4, 8), randn(2, 3, 5, 8, seed=1), randn(2, 3, 5, 8, seed=2)], kw,
              grads=(0, 1, 2), rtol=1e-4, atol=1e-5)
    mask = np.tril(np.ones((4, 5), bool))
    _fn_check(torch, "scaled_dot_product_attention",
              [randn(2, 3, 4, 8), randn(2, 3, 5, 8, seed=1), randn(2, 3, 5, 8, seed=2), mask],
              {}, grads=(0, 1, 2), rtol=1e-4, atol=1e-5)


def test_unfold_fold_pixel_shuffle(torch):
    _fn_check(torch, "unfold", [randn(2, 3, 5, 6)], dict(kernel_size=(2, 3), padding=1,
                                                          stride=2))
    _fn_check(torch, "fold", [randn(2, 12, 9)], dict(output_size=(4, 4), kernel_size=2,
                                                     stride=1))
    _fn_check(torch, "pixel_shuffle", [randn(2, 8, 3, 3)], {}, args=(2,))


def test_affine_grid_grid_sample(torch):
    theta = np.array([[[0.9, 0.1, 0.05], [-0.2, 1.1, 0.1]]], np.float32).repeat(2, 0)
    for ac in (False, True):
        _fn_check(torch, "affine_grid", [theta], dict(size=(2, 3, 4, 5), align_corners=ac),
                  rtol=1e-5)
    grid = (np.random.default_rng(0).uniform(-1.2, 1.2, (2, 3, 4, 2))).astype(np.float32)
    for mode, pm, ac in (("bilinear", "zeros", False), ("bilinear", "border", True),
                         ("bilinear", "reflection", False), ("nearest", "reflection", True)):
        _fn_check(torch, "grid_sample", [randn(2, 3, 5, 6), grid],
                  dict(mode=mode, padding_mode=pm, align_corners=ac), grads=(0,),
                  rtol=1e-4, atol=1e-5)


def test_functional_activations_inplace(torch):
    x = tl.tensor([-1.0, 0.5, 7.0])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 0.5, 7.0]
    assert F.relu6(tl.tensor([-1.0, 3.0, 7.0])).tolist() == [0.0, 3.0, 6.0]
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        F.softmax(tl.randn(2, 3))


def test_init(torch):
    assert nn.init.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain(
        "leaky_relu", 0.2)
    for nl in ("linear", "relu", "tanh", "selu", "sigmoid", "conv2d"):
        assert nn.init.calculate_gain(nl) == torch.nn.init.calculate_gain(nl)
    w = tl.empty(200, 300)
    nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    bound = 1 / math.sqrt(300)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(float(w.std()) - math.sqrt(2 / 200)) < 0.01
    nn.init.xavier_normal_(w)
    assert abs(float(w.std()) - math.sqrt(2 / 500)) < 0.005
    nn.init.trunc_normal_(w, std=1.0, a=-0.5, b=0.5)
    assert float(w.abs().max()) <= 0.5
    q = nn.init.orthogonal_(tl.empty(3, 5))
    np.testing.assert_allclose((q @ q.T).numpy(), np.eye(3), atol=1e-5)
    assert nn.init.eye_(tl.empty(2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    d = nn.init.dirac_(tl.empty(2, 2, 3))
    assert d[0, 0, 1].item() == 1.0 and d.sum().item() == 2.0
    p = nn.Linear(3, 2).bias
    nn.init.constant_(p, 0.5)
    assert p.requires_grad and p.is_leaf and p.tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        nn.init.xavier_uniform_(tl.empty(3))


def test_default_init_distributions():
    lin = nn.Linear(100, 50)
    b = 1 / math.sqrt(100)
    assert float(lin.weight.abs().max()) <= b and float(lin.bias.abs().max()) <= b
    conv = nn.Conv2d(4, 8, 3)
    b = 1 / math.sqrt(4 * 9)
    assert float(conv.weight.abs().max()) <= b
    tl.manual_seed(0)
    a = nn.Linear(3, 3).weight.detach().clone()
    tl.manual_seed(0)
    assert tl.equal(a, nn.Linear(3, 3).weight)


def test_clip_grad_and_vectors(torch):
    ws = [randn(3, 2), randn(4, seed=1)]
    gs = [randn(3, 2, seed=2) * 5, randn(4, seed=3) * 5]
    for norm_type in (2.0, 1.0, math.inf):
        pa = [nn.Parameter(tl.from_numpy(w.copy())) for w in ws]
        pb = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in ws]
        for p, g in zip(pa, gs):
            p.grad = tl.from_numpy(g.copy())
        for p, g in zip(pb, gs):
            p.grad = torch.from_numpy(g.copy())
        na = nn.utils.clip_grad_norm_(pa, 1.0, norm_type)
        nb = torch.nn.utils.clip_grad_norm_(pb, 1.0, norm_type)
        np.testing.assert_allclose(na.item(), nb.item(), rtol=1e-5)
        for p, q in zip(pa, pb):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)
    nn.utils.clip_grad_value_(pa, 0.1)
    torch.nn.utils.clip_grad_value_(pb, 0.1)
    for p, q in zip(pa, pb):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy())
    v = nn.utils.parameters_to_vector(pa)
    assert v.shape == (10,)
    nn.utils.vector_to_parameters(v * 2, pa)
    np.testing.assert_allclose(pa[1].detach().numpy(), ws[1] * 2)


def test_rnn_utils(torch):
    seqs = [randn(3, 2), randn(1, 2, seed=1), randn(2, 2, seed=2)]
    a = nn.utils.rnn.pad_sequence([tl.from_numpy(s) for s in seqs], batch_first=True)
    b = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(s) for s in seqs], batch_first=True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    pa = nn.utils.rnn.pack_padded_sequence(a, [3, 1, 2], batch_first=True,
                                           enforce_sorted=False)
    pb = torch.nn.utils.rnn.pack_padded_sequence(b, [3, 1, 2], batch_first=True,
                                                 enforce_sorted=False)
    np.testing.assert_array_equal(pa.data.numpy(), pb.data.numpy())
    np.testing.assert_array_equal(pa.batch_sizes.numpy(), pb.batch_sizes.numpy())
    ua, la = nn.utils.rnn.pad_packed_sequence(pa, batch_first=True)
    ub, lb = torch.nn.utils.rnn.pad_packed_sequence(pb, batch_first=True)
    np.testing.assert_array_equal(ua.numpy(), ub.numpy())
    assert la.tolist() == lb.tolist()


def test_prune(torch):
    m = nn.Linear(4, 3)
    w = m.weight.detach().clone()
    nn.utils.prune.l1_unstructured(m, "weight", amount=0.5)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    assert int(m.weight_mask.sum().item()) == 6
    kept = np.abs(w.numpy())[m.weight_mask.numpy() == 1]
    dropped = np.abs(w.numpy())[m.weight_mask.numpy() == 0]
    assert kept.min() >= dropped.max()
    np.testing.assert_allclose(m.weight.detach().numpy(), (w * m.weight_mask).numpy())
    m(tl.randn(2, 4)).sum().backward()
    assert m.weight_orig.grad is not None
    assert nn.utils.prune.is_pruned(m)
    nn.utils.prune.remove(m, "weight")
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight"]
    assert not nn.utils.prune.is_pruned(m)


def test_parametrize(torch):
    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

    m = nn.Linear(3, 3)
    nn.utils.parametrize.register_parametrization(m, "weight", Symmetric())
    w = m.weight
    np.testing.assert_allclose(w.detach().numpy(), w.detach().numpy().T)
    assert type(m).__name__ == "ParametrizedLinear"
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    m(tl.randn(2, 3)).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    nn.utils.parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and list(m.state_dict()) == ["bias", "weight"]
