"""Forward and gradient parity of nn layers with real PyTorch (weights copied in)."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike as tl
import torchlike.nn as nn
from nn_helpers import check_module, randn


def both(torch, name, *args, **kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3), (3,)])
def test_linear(torch, shape):
    check_module(torch, *both(torch, "Linear", 3, 4), randn(*shape))
    check_module(torch, *both(torch, "Linear", 3, 4, bias=False), randn(*shape))


def test_linear_grad_fn_names(torch):
    m = nn.Linear(3, 4)
    assert type(m(tl.randn(2, 3)).grad_fn).__name__ == "AddmmBackward0"
    assert type(nn.Linear(3, 4, bias=False)(tl.randn(2, 3)).grad_fn).__name__ == "MmBackward0"


def test_bilinear(torch):
    check_module(torch, *both(torch, "Bilinear", 3, 2, 4), randn(5, 3), randn(5, 2, seed=1),
                 rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=2),
                                dict(padding="same", bias=False),
                                dict(padding=1, padding_mode="reflect"),
                                dict(padding=1, padding_mode="circular")])
def test_conv2d(torch, kw):
    check_module(torch, *both(torch, "Conv2d", 4, 6, 3, **kw), randn(2, 4, 7, 7), rtol=1e-4,
                 atol=1e-4)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2), dict(padding="same",
                                                                        dilation=2)])
def test_conv1d(torch, kw):
    check_module(torch, *both(torch, "Conv1d", 2, 3, 4, **kw), randn(2, 2, 11), rtol=1e-4,
                 atol=1e-4)


def test_conv3d(torch):
    check_module(torch, *both(torch, "Conv3d", 2, 3, 3, stride=2, padding=1),
                 randn(1, 2, 5, 5, 5), rtol=1e-4, atol=1e-4)


def test_conv_unbatched(torch):
    check_module(torch, *both(torch, "Conv2d", 2, 3, 3), randn(2, 6, 6), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(groups=2, dilation=2, stride=2)])
def test_conv_transpose2d(torch, kw):
    check_module(torch, *both(torch, "ConvTranspose2d", 4, 6, 3, **kw), randn(2, 4, 5, 5),
                 rtol=1e-4, atol=1e-4)


def test_conv_transpose1d(torch):
    check_module(torch, *both(torch, "ConvTranspose1d", 2, 3, 3, stride=3, padding=1),
                 randn(2, 2, 6), rtol=1e-4, atol=1e-4)


def test_conv_errors():
    m = nn.Conv2d(3, 4, 3)
    with pytest.raises(RuntimeError, match="expected input\\[1, 2, 8, 8\\] to have 3 channels"):
        m(tl.randn(1, 2, 8, 8))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\)"):
        m(tl.randn(8, 8))


@pytest.mark.parametrize("name,args,kw,shape", [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 9)),
    ("MaxPool2d", (2,), dict(dilation=2), (1, 2, 7, 7)),
    ("MaxPool1d", (3,), dict(stride=2), (2, 3, 10)),
    ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 9, 9)),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False), (1, 2, 8, 8)),
    ("AvgPool1d", (4,), {}, (1, 1, 16)),
    ("AvgPool3d", (2,), {}, (1, 2, 4, 4, 4)),
    ("AdaptiveAvgPool2d", ((3, 5),), {}, (2, 3, 8, 9)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 8, 9)),
    ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
])
def test_pooling(torch, name, args, kw, shape):
    check_module(torch, *both(torch, name, *args, **kw), randn(*shape), rtol=1e-5)


def test_maxpool_ties_and_indices(torch):
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, :2, :2] = 1.0
    check_module(torch, *both(torch, "MaxPool2d", 2), x)
    a, b = both(torch, "MaxPool2d", 2, return_indices=True)
    va, ia = a(tl.from_numpy(randn(1, 2, 6, 6)))
    vb, ib = b(torch.from_numpy(randn(1, 2, 6, 6)))
    np.testing.assert_array_equal(ia.numpy(), ib.numpy())
    assert type(nn.MaxPool2d(2)(tl.randn(1, 1, 4, 4, requires_grad=True)).grad_fn).__name__ \
        == "MaxPool2DWithIndicesBackward0"


@pytest.mark.parametrize("name", ["BatchNorm1d", "BatchNorm2d"])
def test_batchnorm_running_stats(torch, name):
    shape = (4, 3) if name == "BatchNorm1d" else (4, 3, 5, 5)
    a, b = both(torch, name, 3)
    for step in range(3):
        check_module(torch, a, b, randn(*shape, seed=step) * (step + 1) + step, rtol=1e-4,
                     atol=1e-4, seed=step)
        a.zero_grad()
        b.zero_grad()
        # sync copies running stats each call, so also compare after a plain forward:
    for step in range(3):
        a(tl.from_numpy(randn(*shape, seed=10 + step) * 2 + 1))
        b(torch.from_numpy(randn(*shape, seed=10 + step) * 2 + 1))
    np.testing.assert_allclose(a.running_mean.numpy(), b.running_mean.numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(a.running_var.numpy(), b.running_var.numpy(), rtol=1e-5,
                               atol=1e-6)
    assert a.num_batches_tracked.item() == b.num_batches_tracked.item()
    a.eval()
    b.eval()
    check_module(torch, a, b, randn(*shape, seed=5), rtol=1e-4, atol=1e-4)


def test_batchnorm_momentum_none_and_no_tracking(torch):
    a, b = both(torch, "BatchNorm1d", 3, momentum=None)
    for s in range(3):
        a(tl.from_numpy(randn(5, 3, seed=s) + s))
        b(torch.from_numpy(randn(5, 3, seed=s) + s))
    np.testing.assert_allclose(a.running_mean.numpy(), b.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(a.running_var.numpy(), b.running_var.numpy(), rtol=1e-5)
    a, b = both(torch, "BatchNorm2d", 2, affine=False, track_running_stats=False)
    assert list(a.state_dict()) == list(b.state_dict()) == []
    a.eval()
    b.eval()
    check_module(torch, a, b, randn(2, 2, 3, 3))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="expected 4D input \\(got 3D input\\)"):
        nn.BatchNorm2d(3)(tl.randn(2, 3, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(3)(tl.randn(1, 3))


@pytest.mark.parametrize("name,args,kw,shape", [
    ("LayerNorm", (5,), {}, (3, 4, 5)),
    ("LayerNorm", ((4, 5),), dict(elementwise_affine=False), (3, 4, 5)),
    ("GroupNorm", (2, 4), {}, (3, 4, 5, 5)),
    ("InstanceNorm2d", (3,), {}, (2, 3, 5, 5)),
    ("InstanceNorm2d", (3,), dict(affine=True), (2, 3, 5, 5)),
])
def test_norms(torch, name, args, kw, shape):
    a, b = both(torch, name, *args, **kw)
    for p in b.parameters():
        with torch.no_grad():
            p.copy_(torch.from_numpy(randn(*p.shape, seed=3)))
    check_module(torch, a, b, randn(*shape), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name,args", [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", (0.2,)), ("PReLU", ()), ("PReLU", (4,)),
    ("ELU", ()), ("SELU", ()), ("CELU", (0.7,)), ("GELU", ()), ("GELU", ("tanh",)),
    ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("LogSigmoid", ()), ("Tanh", ()),
    ("Hardtanh", ()), ("Hardsigmoid", ()), ("Hardswish", ()), ("Softmax", (1,)),
    ("LogSoftmax", (1,)), ("Softmin", (1,)), ("Softplus", ()), ("Softshrink", ()),
    ("Softsign", ()), ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)), ("Hardshrink", ()),
    ("GLU", ()),
])
def test_activations(torch, name, args):
    x = randn(3, 4) * 3
    x[0] = [-3.0, 0.0, 3.0, 6.0]   # kinks
    x[1, :2] = [-1.0, 1.0]
    check_module(torch, *both(torch, name, *args), x, rtol=1e-5, atol=1e-6)


def test_embedding(torch):
    idx = np.array([[0, 2, 4], [4, 3, 0]], np.int64)
    check_module(torch, *both(torch, "Embedding", 5, 3), idx)
    check_module(torch, *both(torch, "Embedding", 5, 3, padding_idx=0), idx)
    a, b = both(torch, "Embedding", 5, 3, max_norm=1.0)
    check_module(torch, a, b, idx)
    np.testing.assert_allclose(a.weight.detach().numpy(), b.weight.detach().numpy(), rtol=1e-5)
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(5, 3)(tl.tensor([5]))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(torch, mode):
    a, b = both(torch, "EmbeddingBag", 6, 3, mode=mode)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 0], np.int64)
    off = np.array([0, 2, 5], np.int64)
    check_module(torch, a, b, idx, off)
    check_module(torch, a, b, idx.reshape(2, 4))


def test_dropout_statistics_and_eval():
    tl.manual_seed(0)
    d = nn.Dropout(0.25)
    y = d(tl.ones(4000))
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.75) < 0.05
    vals = np.unique(y.numpy())
    assert np.all(np.isclose(vals, 0) | np.isclose(vals, 1 / 0.75))
    d.eval()
    x = tl.randn(5)
    assert d(x) is x
    d2 = nn.Dropout2d(0.5)
    y = d2(tl.ones(8, 16, 3, 3))
    per_channel = y.numpy().reshape(8, 16, 9)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))


def test_dropout_reproducible():
    tl.manual_seed(3)
    a = nn.functional.dropout(tl.ones(100), 0.5)
    tl.manual_seed(3)
    b = nn.functional.dropout(tl.ones(100), 0.5)
    assert tl.equal(a, b)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, batch_first=True),
                                dict(bidirectional=True, bias=False)])
def test_rnns(torch, name, kw):
    a, b = both(torch, name, 3, 4, **kw)
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    x = randn(5, 2, 3)
    check_module(torch, a, b, x, rtol=1e-4, atol=1e-5)
    # final hidden state and initial states
    nl = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h0 = randn(nl, 2 if not kw.get("batch_first") else 5, 4, seed=2)
    xa, xb = tl.from_numpy(x), torch.from_numpy(x)
    if name == "LSTM":
        c0 = randn(*h0.shape, seed=3)
        oa, (ha, ca) = a(xa, (tl.from_numpy(h0), tl.from_numpy(c0)))
        ob, (hb, cb) = b(xb, (torch.from_numpy(h0), torch.from_numpy(c0)))
        np.testing.assert_allclose(ca.detach().numpy(), cb.detach().numpy(), rtol=1e-4, atol=1e-5)
    else:
        oa, ha = a(xa, tl.from_numpy(h0))
        ob, hb = b(xb, torch.from_numpy(h0))
    np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ha.detach().numpy(), hb.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(torch, name):
    check_module(torch, *both(torch, name, 3, 4), randn(2, 3), rtol=1e-4, out_index=None)


def test_multihead_attention(torch):
    for kw in (dict(), dict(batch_first=True, kdim=3, vdim=5)):
        a, b = both(torch, "MultiheadAttention", 8, 2, **kw)
        bf = kw.get("batch_first", False)
        q = randn(*((2, 4, 8) if bf else (4, 2, 8)))
        k = randn(*((2, 3) if bf else (3, 2)), kw.get("kdim", 8), seed=1)
        v = randn(*((2, 3) if bf else (3, 2)), kw.get("vdim", 8), seed=2)
        check_module(torch, a, b, q, k, v, rtol=1e-4, atol=1e-5)
        mask = np.triu(np.ones((4, 3), bool), 1)
        oa, wa = a(tl.from_numpy(q), tl.from_numpy(k), tl.from_numpy(v),
                   attn_mask=tl.from_numpy(mask))
        ob, wb = b(torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v),
                   attn_mask=torch.from_numpy(mask))
        np.testing.assert_allclose(wa.detach().numpy(), wb.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)
        np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


def test_transformer_encoder_layer(torch):
    for kw in (dict(), dict(norm_first=True, batch_first=True, activation="gelu")):
        a, b = both(torch, "TransformerEncoderLayer", 8, 2, dim_feedforward=16, dropout=0.0,
                    **kw)
        a.eval()
        b.eval()
        check_module(torch, a, b, randn(3, 2, 8), rtol=1e-4, atol=1e-4)


def test_transformer(torch):
    a, b = both(torch, "Transformer", d_model=8, nhead=2, num_encoder_layers=1,
                num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
    assert list(a.state_dict()) == list(b.state_dict())
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert repr(mask) == repr(torch.nn.Transformer.generate_square_subsequent_mask(3))
    src, tgt = randn(4, 2, 8), randn(3, 2, 8, seed=1)
    from nn_helpers import sync
    sync(a, b)
    oa = a(tl.from_numpy(src), tl.from_numpy(tgt), tgt_mask=mask)
    ob = b(torch.from_numpy(src), torch.from_numpy(tgt),
           tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(3))
    np.testing.assert_allclose(oa.detach().numpy(), ob.detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name,args,kw,shape", [
    ("PixelShuffle", (2,), {}, (1, 8, 3, 3)),
    ("PixelUnshuffle", (2,), {}, (1, 2, 4, 6)),
    ("Upsample", (), dict(scale_factor=2), (1, 2, 3, 3)),
    ("Upsample", (), dict(size=(5, 7), mode="bilinear"), (1, 2, 3, 4)),
    ("Upsample", (), dict(scale_factor=1.5, mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    ("Upsample", (), dict(size=(5, 7)), (1, 2, 3, 4)),
    ("ZeroPad2d", ((1, 2, 0, 3),), {}, (1, 2, 3, 3)),
    ("ReflectionPad2d", (2,), {}, (1, 2, 4, 4)),
    ("ReplicationPad2d", (1,), {}, (1, 2, 3, 3)),
    ("ConstantPad1d", (2, 3.5), {}, (1, 2, 3)),
    ("Flatten", (), {}, (2, 3, 4)),
    ("Unflatten", (1, (2, 2)), {}, (3, 4)),
    ("Identity", (), {}, (2, 2)),
])
def test_shape_layers(torch, name, args, kw, shape):
    check_module(torch, *both(torch, name, *args, **kw), randn(*shape), rtol=1e-5)
