"""Loss parity (values and gradients) with real PyTorch, and PyTorch's errors and warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlike as tl
import torchlike.nn as nn
import torchlike.nn.functional as F
from nn_helpers import randn


def _run(torch, name, inputs, kwargs, grads=(0,), rtol=1e-5, atol=1e-6):
    a_in, b_in = [], []
    for i, x in enumerate(inputs):
        a = tl.from_numpy(x.copy())
        b = torch.from_numpy(x.copy())
        if i in grads:
            a.requires_grad_(True)
            b.requires_grad_(True)
        a_in.append(a)
        b_in.append(b)
    la = getattr(nn, name)(**_kw(kwargs))(*a_in)
    lb = getattr(torch.nn, name)(**{k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v)
                                    for k, v in kwargs.items()})(*b_in)
    np.testing.assert_allclose(la.detach().numpy(), lb.detach().numpy(), rtol=rtol, atol=atol)
    w = randn(*lb.shape, seed=9) if lb.dim() else np.float32(1.0)
    (la * tl.tensor(w)).sum().backward()
    (lb * torch.tensor(w)).sum().backward()
    for i in grads:
        np.testing.assert_allclose(a_in[i].grad.numpy(), b_in[i].grad.numpy(), rtol=rtol,
                                   atol=atol)
    return la, lb


def _kw(kwargs):
    return {k: (tl.from_numpy(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}


RED = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", RED)
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
                                  "SoftMarginLoss"])
def test_regression_losses(torch, name, reduction):
    x, y = randn(4, 3) * 2, randn(4, 3, seed=1) * 2
    if name == "SoftMarginLoss":
        y = np.sign(y)
    x[0, 0] = y[0, 0]          # kink at zero difference
    _run(torch, name, [x, y], dict(reduction=reduction),
         grads=(0,) if name == "SoftMarginLoss" else (0, 1))


def test_mse_loss_grad_fn_and_broadcast_warning(torch):
    a = tl.randn(5, 1, requires_grad=True)
    assert type(F.mse_loss(a, tl.randn(5, 1)).grad_fn).__name__ == "MseLossBackward0"
    with pytest.warns(UserWarning) as rec:
        F.mse_loss(tl.randn(200, 1), tl.randn(200))
    with warnings.catch_warnings(record=True) as rt:
        warnings.simplefilter("always")
        torch.nn.functional.mse_loss(torch.randn(200, 1), torch.randn(200))
    assert str(rec[0].message) == str(rt[0].message)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"),
                                dict(ignore_index=2), dict(label_smoothing=0.1),
                                dict(label_smoothing=0.2, ignore_index=1, reduction="sum"),
                                dict(weight=np.array([0.2, 1.0, 2.0, 0.5], np.float32)),
                                dict(weight=np.array([0.2, 1.0, 2.0, 0.5], np.float32),
                                     label_smoothing=0.3, ignore_index=0)])
def test_cross_entropy_indices(torch, kw):
    x = randn(5, 4)
    t = np.array([0, 1, 2, 3, 2], np.int64)
    _run(torch, "CrossEntropyLoss", [x, t], kw, rtol=1e-5)
    if "weight" in kw:
        return
    _run(torch, "CrossEntropyLoss", [randn(2, 4, 3, 3), np.random.default_rng(0).integers(
        0, 4, (2, 3, 3))], kw, rtol=1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.1, reduction="sum"),
                                dict(weight=np.array([1.0, 2.0, 0.5], np.float32),
                                     reduction="none")])
def test_cross_entropy_probabilities(torch, kw):
    p = np.random.default_rng(0).dirichlet(np.ones(3), 4).astype(np.float32)
    _run(torch, "CrossEntropyLoss", [randn(4, 3), p], kw, rtol=1e-5)


def test_cross_entropy_grad_fn_names():
    x = tl.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, tl.tensor([0, 1, 3]))
    assert type(loss.grad_fn).__name__ == "NllLossBackward0"
    assert type(loss.grad_fn.next_functions[0][0]).__name__ == "LogSoftmaxBackward0"


@pytest.mark.parametrize("kw", [dict(), dict(reduction="none"), dict(ignore_index=1)])
def test_nll_loss(torch, kw):
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(3), 4)).astype(np.float32)
    _run(torch, "NLLLoss", [x, np.array([0, 1, 2, 1], np.int64)], kw)


def test_nll_errors():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)\."):
        F.nll_loss(tl.randn(3, 4), tl.tensor([0, 1]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(tl.randn(2, 4), tl.tensor([0, 7]))


@pytest.mark.parametrize("reduction", RED)
def test_bce(torch, reduction):
    x = 1 / (1 + np.exp(-randn(6, 2) * 3))
    x[0, 0] = 1.0   # saturated
    y = (randn(6, 2, seed=1) > 0).astype(np.float32)
    _run(torch, "BCELoss", [x.astype(np.float32), y], dict(reduction=reduction))
    _run(torch, "BCELoss", [x.astype(np.float32), y],
         dict(weight=np.float32([0.5, 2.0]), reduction=reduction))


def test_bce_size_error(torch):
    with pytest.raises(ValueError) as ea:
        nn.BCELoss()(tl.rand(200, 1), tl.rand(200))
    with pytest.raises(ValueError) as eb:
        torch.nn.BCELoss()(torch.rand(200, 1), torch.rand(200))
    assert str(ea.value) == str(eb.value)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"),
                                dict(pos_weight=np.float32([2.0, 0.5])),
                                dict(weight=np.float32([1.0, 3.0]), reduction="none")])
def test_bce_with_logits(torch, kw):
    y = (randn(5, 2, seed=1) > 0).astype(np.float32)
    _run(torch, "BCEWithLogitsLoss", [randn(5, 2) * 4, y], kw)


@pytest.mark.parametrize("kw", [dict(reduction="batchmean"), dict(reduction="sum"),
                                dict(reduction="batchmean", log_target=True),
                                dict(reduction="none")])
def test_kl_div(torch, kw):
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(3), 4)).astype(np.float32)
    t = np.random.default_rng(1).dirichlet(np.ones(3), 4).astype(np.float32)
    t[0, 0] = 0.0
    if kw.get("log_target"):
        t = np.log(t + 1e-3).astype(np.float32)
    _run(torch, "KLDivLoss", [x, t], kw)


@pytest.mark.parametrize("reduction", RED)
def test_pair_losses(torch, reduction):
    y = np.array([1, -1, 1, -1], np.float32)
    _run(torch, "CosineEmbeddingLoss", [randn(4, 3), randn(4, 3, seed=1), y],
         dict(reduction=reduction, margin=0.1), grads=(0, 1))
    _run(torch, "MarginRankingLoss", [randn(4), randn(4, seed=1), y],
         dict(reduction=reduction, margin=0.2), grads=(0, 1))
    _run(torch, "HingeEmbeddingLoss", [randn(4, 3), np.sign(randn(4, 3, seed=3))],
         dict(reduction=reduction))


def test_more_losses(torch):
    _run(torch, "PoissonNLLLoss", [randn(4, 3), np.abs(randn(4, 3, seed=1)) * 3], {})
    _run(torch, "MultiLabelSoftMarginLoss", [randn(4, 3), (randn(4, 3, seed=1) > 0).astype(
        np.float32)], {})
    _run(torch, "MultiMarginLoss", [randn(4, 3), np.array([0, 2, 1, 1], np.int64)], {})
    _run(torch, "TripletMarginLoss", [randn(4, 3), randn(4, 3, seed=1), randn(4, 3, seed=2)],
         {}, grads=(0, 1, 2))
    _run(torch, "GaussianNLLLoss", [randn(4, 3), randn(4, 3, seed=1),
                                    np.abs(randn(4, 3, seed=2)) + 0.1], {}, grads=(0, 2))


def test_legacy_reduction_args(torch):
    with pytest.warns(UserWarning):
        m = nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
