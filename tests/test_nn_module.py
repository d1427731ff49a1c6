"""nn.Module API: registration, iteration, state_dict/load_state_dict, repr parity, hooks,
containers, conversions; compared with real PyTorch where it matters."""
from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import torchlike as tl
import torchlike.nn as nn
import torchlike.nn.functional as F


def _layers(m):
    return [
        m.Conv1d(1, 2, 3), m.Conv2d(1, 2, 3), m.Conv3d(1, 2, 3, stride=2, padding=1),
        m.Conv2d(2, 4, 3, padding="same", bias=False, groups=2),
        m.Conv1d(2, 2, 3, padding=1, padding_mode="reflect", dilation=2),
        m.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1),
        m.MaxPool1d(2), m.MaxPool2d(2), m.MaxPool3d(2), m.MaxPool2d(3, stride=2, padding=1,
                                                                   ceil_mode=True),
        m.AvgPool1d(2), m.AvgPool2d(2), m.AvgPool3d(2), m.AvgPool2d((2, 3), stride=(1, 1),
                                                                   padding=1),
        m.AdaptiveAvgPool2d((5, 7)), m.AdaptiveAvgPool1d(3), m.AdaptiveMaxPool2d(2),
        m.ReLU(), m.ReLU(inplace=True), m.ReLU6(), m.LeakyReLU(), m.LeakyReLU(0.2, True),
        m.PReLU(), m.PReLU(3), m.ELU(), m.ELU(0.5, True), m.SELU(), m.CELU(), m.GELU(),
        m.GELU("tanh"), m.SiLU(), m.Mish(), m.Sigmoid(), m.LogSigmoid(), m.Tanh(), m.Hardtanh(),
        m.Hardtanh(-2, 2), m.Hardsigmoid(), m.Hardswish(), m.Softmax(), m.Softmax(dim=1),
        m.LogSoftmax(1), m.Softmin(0), m.Softplus(), m.Softshrink(), m.Softsign(),
        m.Tanhshrink(), m.Threshold(0.1, 20), m.Hardshrink(), m.GLU(), m.RReLU(), m.Softmax2d(),
        m.BatchNorm1d(4), m.BatchNorm2d(4, affine=False, momentum=None), m.BatchNorm3d(4),
        m.LayerNorm(4), m.LayerNorm((2, 3), elementwise_affine=False), m.GroupNorm(2, 4),
        m.InstanceNorm2d(3), m.InstanceNorm2d(3, affine=True), m.LocalResponseNorm(2),
        m.RMSNorm(4), m.Dropout(), m.Dropout(0.25), m.Dropout2d(0.3), m.AlphaDropout(),
        m.Embedding(10, 3), m.Embedding(10, 3, padding_idx=0, max_norm=1.0),
        m.EmbeddingBag(10, 3), m.EmbeddingBag(10, 3, mode="sum"),
        m.RNN(4, 8), m.RNN(4, 8, 2, batch_first=True, bidirectional=True, dropout=0.1,
                           nonlinearity="relu"),
        m.LSTM(4, 8), m.LSTM(4, 8, num_layers=2, bias=False), m.GRU(4, 8), m.RNNCell(4, 8),
        m.LSTMCell(4, 8), m.GRUCell(4, 8, bias=False), m.PixelShuffle(2), m.PixelUnshuffle(2),
        m.Upsample(scale_factor=2), m.Upsample(size=(4, 4), mode="bilinear",
                                               align_corners=True),
        m.UpsamplingNearest2d(scale_factor=2), m.ZeroPad2d(1), m.ZeroPad2d((1, 2, 3, 4)),
        m.ReflectionPad2d(2), m.ReplicationPad2d(1), m.ConstantPad1d(2, 3.5),
        m.ReflectionPad1d(1), m.CircularPad2d(1), m.MSELoss(), m.CrossEntropyLoss(),
        m.BCELoss(), m.L1Loss(reduction="sum"), m.NLLLoss(), m.BCEWithLogitsLoss(),
        m.KLDivLoss(), m.SmoothL1Loss(), m.HuberLoss(), m.CosineSimilarity(),
        m.PairwiseDistance(), m.Flatten(), m.Unflatten(1, (2, 2)), m.Identity(),
        m.Linear(4, 2), m.Bilinear(2, 3, 4), m.LPPool2d(2, 3),
        m.MultiheadAttention(8, 2), m.TransformerEncoderLayer(8, 2, dim_feedforward=16),
        m.TransformerDecoderLayer(8, 2, dim_feedforward=16), m.ChannelShuffle(2),
        m.Fold((4, 4), 2), m.Unfold(2),
        m.Sequential(m.Linear(2, 2), m.Linear(2, 2), m.ReLU()),
        m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.ReLU()]),
        m.ModuleDict({"a": m.ReLU(), "b": m.Sequential(m.Linear(1, 1))}),
    ]


def test_reprs_match_torch(torch):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = [repr(x) for x in _layers(nn)]
        theirs = [repr(x) for x in _layers(torch.nn)]
    for a, b in zip(ours, theirs):
        assert a == b


def test_state_dict_keys_match_torch(torch):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = _layers(nn), _layers(torch.nn)
    for a, b in zip(ours, theirs):
        assert list(a.state_dict().keys()) == list(b.state_dict().keys()), repr(b)
        assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
        assert [tuple(p.shape) for p in a.parameters()] == [tuple(p.shape) for p in
                                                            b.parameters()]
        assert [n for n, _ in a.named_modules()] == [n for n, _ in b.named_modules()]


def test_parameter_repr_and_default_dtype(torch):
    p = nn.Parameter(tl.tensor([1.0, 2.0]))
    q = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == repr(q) and str(p) == str(q)
    assert nn.Linear(2, 3).weight.dtype is tl.float32
    assert isinstance(nn.Linear(2, 3).weight, tl.Tensor)
    assert nn.Linear(2, 3).weight.is_leaf


class TwoLayerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(3, 4)
        self.register_buffer("steps", tl.zeros(1))
        self.register_buffer("tmp", tl.zeros(1), persistent=False)
        self.linear2 = nn.Linear(4, 2)
        self.scale = nn.Parameter(tl.ones(1))

    def forward(self, x):
        return self.linear2(self.linear1(x).clamp(min=0)) * self.scale


def test_registration_and_iteration():
    m = TwoLayerNet()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    assert list(m.state_dict()) == ["scale", "steps", "linear1.weight", "linear1.bias",
                                    "linear2.weight", "linear2.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "tmp"]
    assert [n for n, _ in m.named_children()] == ["linear1", "linear2"]
    assert len(list(m.modules())) == 3
    assert "linear1" in dir(m) and "scale" in dir(m)
    m.linear1 = None
    assert m.linear1 is None
    del m.linear2
    with pytest.raises(AttributeError, match="'TwoLayerNet' object has no attribute 'linear2'"):
        m.linear2
    with pytest.raises(TypeError, match="cannot assign 'torch.FloatTensor' as parameter "
                                        "'scale'"):
        m.scale = tl.ones(1)
    m.scale = None
    assert m.scale is None
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.x = 1
        m.register_buffer("x", tl.ones(1))


def test_assign_before_init():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(tl.ones(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Bad()


def test_shared_parameters_deduplicated():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_load_state_dict_errors_and_atomicity(torch):
    m = TwoLayerNet()
    sd = m.state_dict()
    before = m.linear1.weight.detach().clone()
    bad = OrderedDict(sd)
    bad["linear1.weight"] = tl.zeros(4, 3)
    del bad["scale"]
    bad["extra"] = tl.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(bad)
    assert str(e.value) == ('Error(s) in loading state_dict for TwoLayerNet:\n\tMissing key(s) '
                            'in state_dict: "scale". \n\tUnexpected key(s) in state_dict: '
                            '"extra". ')
    assert tl.equal(m.linear1.weight, before)      # nothing was half-loaded
    r = m.load_state_dict(bad, strict=False)
    assert r.missing_keys == ["scale"] and r.unexpected_keys == ["extra"]
    assert tl.equal(m.linear1.weight, tl.zeros(4, 3))
    assert repr(m.load_state_dict(sd)) == "<All keys matched successfully>"
    sd2 = OrderedDict(sd)
    sd2["linear2.bias"] = tl.zeros(3)
    with pytest.raises(RuntimeError, match="size mismatch for linear2.bias: copying a param "
                                           "with shape torch.Size\\(\\[3\\]\\) from checkpoint, "
                                           "the shape in current model is "
                                           "torch.Size\\(\\[2\\]\\)."):
        m.load_state_dict(sd2)


def test_state_dict_interchange_with_torch(torch):
    a = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.LSTM(2, 3))
    b = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                            torch.nn.Flatten(), torch.nn.LSTM(2, 3))
    sd = {k: torch.from_numpy(np.array(v.numpy())) for k, v in a.state_dict().items()}
    assert repr(b.load_state_dict(sd)) == "<All keys matched successfully>"
    assert sd["1.num_batches_tracked"].dtype == torch.int64


def test_state_dict_aliases_parameters():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    sd["bias"].zero_()
    assert tl.equal(m.bias, tl.zeros(2))
    assert not sd["weight"].requires_grad
    assert m.state_dict(keep_vars=True)["weight"] is m.weight


def test_train_eval_requires_grad_zero_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(), nn.Sequential(nn.BatchNorm1d(2)))
    assert m.training and m[2][0].training
    m.eval()
    assert not m.training and not m[1].training and not m[2][0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m.train()
    m(tl.randn(3, 2)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_double_float_apply():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    m.double()
    assert m[0].weight is w and w.dtype is tl.float64
    assert m[1].running_mean.dtype is tl.float64
    assert m[1].num_batches_tracked.dtype is tl.int64
    m.to(tl.float32)
    assert w.dtype is tl.float32
    m.to("cpu")
    m.cpu()
    assert m(tl.randn(3, 2)).dtype is tl.float32
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Sequential"]
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point"):
        m.to(tl.int64)


def test_hooks():
    m = nn.Linear(3, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    h2 = m.register_forward_hook(lambda mod, args, out: out + 1)
    x = tl.ones(1, 3)
    with tl.no_grad():
        expected = F.linear(x * 2, m.weight, m.bias) + 1
    assert tl.allclose(m(x), expected)
    h1.remove()
    h2.remove()
    assert tl.allclose(m(x), F.linear(x, m.weight, m.bias))
    m.register_full_backward_hook(lambda mod, gi, go: calls.append(
        (tuple(g.shape) if g is not None else None for g in gi),))
    xi = tl.ones(4, 3, requires_grad=True)
    m(xi).sum().backward()
    assert len(calls) == 1


def test_sequential_container_ops():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert s.fc is s[0] and s[-1] is s.act
    assert isinstance(s[:1], nn.Sequential) and len(s[:1]) == 1
    s.append(nn.Linear(3, 1))
    assert len(s) == 3 and s(tl.randn(4, 2)).shape == (4, 1)
    del s[0]
    assert list(s._modules) == ["0", "1"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        s[5]
    ml = nn.ModuleList([nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    ml.insert(0, nn.Identity())
    assert [type(x).__name__ for x in ml] == ["Identity", "ReLU", "Tanh", "Sigmoid"]
    md = nn.ModuleDict({"a": nn.ReLU()})
    md["b"] = nn.Tanh()
    assert list(md.keys()) == ["a", "b"] and "a" in md
    pl = nn.ParameterList([nn.Parameter(tl.ones(2)), tl.zeros(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    pd = nn.ParameterDict({"w": nn.Parameter(tl.ones(2))})
    assert list(pd.keys()) == ["w"]
    owner = nn.Module()
    owner.pl = pl
    owner.pd = pd
    assert [n for n, _ in owner.named_parameters()] == ["pl.0", "pl.1", "pd.w"]


def test_container_reprs(torch):
    a = nn.ParameterList([nn.Parameter(tl.zeros(2)), nn.Parameter(tl.zeros(2, 3))])
    b = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2)),
                                torch.nn.Parameter(torch.zeros(2, 3))])
    assert repr(a) == repr(b)
    a = nn.ParameterDict({"a": nn.Parameter(tl.zeros(2))})
    b = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.zeros(2))})
    assert repr(a) == repr(b)


def test_pickle_and_deepcopy():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m2 = pickle.loads(pickle.dumps(m))
    assert repr(m2) == repr(m)
    assert isinstance(m2[0].weight, nn.Parameter)
    assert tl.equal(m2[0].weight, m[0].weight)
    m3 = copy.deepcopy(m)
    assert m3[0].weight is not m[0].weight and tl.equal(m3[0].weight, m[0].weight)
    assert isinstance(m3[0].weight, nn.Parameter) and m3[0].weight.requires_grad


def test_custom_module_forward_backward_matches_torch(torch):
    class Net(torch.nn.Module if False else object):
        pass

    def build(m):
        class TinyCNN(m.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = m.Conv2d(1, 2, 3)
                self.pool = m.MaxPool2d(2, 2)
                self.fc = m.Linear(2 * 3 * 3, 3)

            def forward(self, x):
                x = self.pool(m.functional.relu(self.conv1(x)))
                return self.fc(x.flatten(1))
        return TinyCNN()

    from nn_helpers import check_module, randn
    check_module(torch, build(nn), build(torch.nn), randn(2, 1, 8, 8), rtol=1e-4, atol=1e-5)
