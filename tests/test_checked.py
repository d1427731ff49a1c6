"""PyTorch's guarantees, not JAX's defaults: out-of-range indices and integer division by zero
raise PyTorch's error (JAX clamps or returns a number), and NaN propagates through relu,
threshold and median as in PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import torchlike

NAN = float("nan")

CASES = {
    "index_select": lambda m, x: x.index_select(1, m.tensor([3])),
    "index_select_neg": lambda m, x: x.index_select(1, m.tensor([-1])),
    "gather_neg": lambda m, x: x.gather(1, m.tensor([[-1]])),
    "gather_high": lambda m, x: x.gather(0, m.tensor([[2, 0, 0]])),
    "scatter": lambda m, x: x.scatter(1, m.tensor([[3]]), 1.0),
    "scatter_add": lambda m, x: x.scatter_add(1, m.tensor([[3]]), m.ones(1, 1)),
    "index_add": lambda m, x: x.index_add(1, m.tensor([-4]), m.ones(2, 1)),
    "index_copy": lambda m, x: x.index_copy(1, m.tensor([7]), m.ones(2, 1)),
    "index_fill": lambda m, x: x.index_fill(1, m.tensor([-4]), 0.0),
    "index_fill_neg_ok": lambda m, x: x.index_fill(1, m.tensor([-1]), 0.0),
    "narrow": lambda m, x: x.narrow(1, -1, 2),
    "getitem": lambda m, x: x[m.tensor([2])],
    "embedding": lambda m, x: m.nn.functional.embedding(m.tensor([5]), m.ones(5, 2)),
    "embedding_neg": lambda m, x: m.nn.functional.embedding(m.tensor([-1]), m.ones(5, 2)),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(m.ones(2, 3), m.tensor([0, 3])),
    "floordiv_zero": lambda m, x: m.tensor([3]) // m.tensor([0]),
    "floordiv_scalar_zero": lambda m, x: m.tensor([3]) // 0,
    "remainder_zero": lambda m, x: m.tensor([3, 4]) % m.tensor([1, 0]),
    "fmod_zero": lambda m, x: m.fmod(m.tensor([3]), 0),
    "div_trunc_zero": lambda m, x: m.div(m.tensor([3]), 0, rounding_mode="trunc"),
    "float_floordiv_zero": lambda m, x: m.tensor([3.0]) // m.tensor([0.0]),
    "int_floordiv": lambda m, x: m.tensor([7, -7]) // m.tensor([2, 2]),
    "bool_floordiv_zero": lambda m, x: m.tensor(True) // 0,
    "int_remainder_false": lambda m, x: m.tensor([3]) % m.tensor(False),
    "int_floordiv_false": lambda m, x: m.tensor([3]) // False,
    "bool_floordiv_bool": lambda m, x: m.tensor(True) // m.tensor(False),
    "relu_nan": lambda m, x: m.relu(m.tensor([NAN, -1.0, 2.0])),
    "ReLU_nan": lambda m, x: m.nn.ReLU()(m.tensor([NAN, -1.0])),
    "threshold_nan": lambda m, x: m.nn.functional.threshold(m.tensor([NAN, -1.0, 2.0]), 0.5, 9.0),
    "maximum_nan": lambda m, x: m.maximum(m.tensor([NAN, 1.0]), m.tensor([0.0, 0.0])),
    "median_nan": lambda m, x: m.tensor([1.0, NAN, 2.0]).median(),
    "median_dim_nan": lambda m, x: m.tensor([[1.0, NAN, 2.0, NAN], [3, 1, 2, 0]]).median(1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_result_or_error_as_torch(torch, name):
    f = CASES[name]
    try:
        want = f(torch, torch.arange(6.0).view(2, 3))
    except Exception as e:  # noqa: BLE001 - torchlike must raise the same type and message
        with pytest.raises(type(e)) as info:
            f(torchlike, torchlike.arange(6.0).view(2, 3))
        assert str(info.value) == str(e)
        return
    got = f(torchlike, torchlike.arange(6.0).view(2, 3))
    want, got = (want if isinstance(want, tuple) else (want,)), \
        (got if isinstance(got, tuple) else (got,))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_relu_gradient_at_zero_is_zero():
    x = torchlike.tensor([0.0, 1.0, -1.0], requires_grad=True)
    torchlike.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


# ------------------------------------------------------------------ under torchlike.compile

COMPILED = {
    # name: (function of (module, x, index tensor), good index, bad index)
    "gather": (lambda m, x, i: x.gather(1, i), [[0], [2]], [[0], [3]]),
    "gather_neg": (lambda m, x, i: x.gather(1, i), [[0], [2]], [[0], [-1]]),
    "index_select": (lambda m, x, i: x.index_select(1, i), [0, 2], [0, 5]),
    "getitem": (lambda m, x, i: x[i] * 2, [1, 0], [1, 2]),
    "getitem_neg": (lambda m, x, i: x[i] * 2, [1, -2], [1, -3]),
    "embedding": (lambda m, x, i: m.nn.functional.embedding(i, x), [0, 1], [0, 2]),
    "cross_entropy": (lambda m, x, i: m.nn.functional.cross_entropy(x, i), [0, 2], [0, 3]),
    "take": (lambda m, x, i: m.take(x, i), [5, -6], [5, 6]),
    "scatter_add": (lambda m, x, i: x.scatter_add(1, i, m.ones(2, 1)), [[0], [2]], [[3], [0]]),
    "index_add": (lambda m, x, i: x.index_add(1, i, m.ones(2, 2)), [0, 2], [0, 9]),
    "floordiv_zero": (lambda m, x, i: i // i[:1], [1, 2], [0, 2]),
}


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_compiled_step_raises_torch_error(torch, name):
    """A compiled step raises PyTorch's eager error (type and text) after the step, for inputs
    that JAX would clamp; a good input is compiled first, so the bad one runs the program."""
    f, good, bad = COMPILED[name]
    with pytest.raises(Exception) as want:
        f(torch, torch.arange(6.0).view(2, 3), torch.tensor(bad))
    step = torchlike.compile(lambda x, i: f(torchlike, x, i))
    x = torchlike.arange(6.0).view(2, 3)
    for _ in range(2):
        np.testing.assert_allclose(step(x, torchlike.tensor(good)).numpy(),
                                   f(torch, torch.arange(6.0).view(2, 3),
                                     torch.tensor(good)).numpy(), rtol=1e-6)
    assert step.stats()["traces"] == 1
    with pytest.raises(type(want.value)) as got:
        step(x, torchlike.tensor(bad))
    assert str(got.value) == str(want.value)
    assert step.stats()["traces"] == 1  # the program that raised is the compiled one


def _train_step(model, opt):
    @torchlike.compile
    def step(ids, target):
        opt.zero_grad()
        loss = torchlike.nn.functional.cross_entropy(model(ids), target)
        loss.backward()
        opt.step()
        return loss
    return step


def test_compiled_training_step_keeps_state_on_error():
    """A training step with a bad id or target raises and leaves parameters and optimizer state
    as they were; later steps give the numbers eager training gives."""
    torchlike.manual_seed(0)
    model = torchlike.nn.Sequential(torchlike.nn.Embedding(5, 4), torchlike.nn.Linear(4, 3))
    ref = torchlike.nn.Sequential(torchlike.nn.Embedding(5, 4), torchlike.nn.Linear(4, 3))
    ref.load_state_dict(model.state_dict())
    opt = torchlike.optim.Adam(model.parameters(), lr=0.1)
    ref_opt = torchlike.optim.Adam(ref.parameters(), lr=0.1)
    step = _train_step(model, opt)
    ids, target = torchlike.tensor([0, 1, 4]), torchlike.tensor([0, 2, 1])
    for _ in range(3):
        step(ids, target)
        ref_opt.zero_grad()
        torchlike.nn.functional.cross_entropy(ref(ids), target).backward()
        ref_opt.step()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    moments = [s["exp_avg"].clone() for s in opt.state.values()]
    with pytest.raises(IndexError, match="index out of range in self"):
        step(torchlike.tensor([0, 5, 1]), target)
    with pytest.raises(IndexError, match="Target 3 is out of bounds."):
        step(ids, torchlike.tensor([0, 3, 1]))
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())
    for s, m in zip(opt.state.values(), moments):
        np.testing.assert_array_equal(s["exp_avg"].numpy(), m.numpy())
    loss = step(ids, target)
    ref_opt.zero_grad()
    want = torchlike.nn.functional.cross_entropy(ref(ids), target)
    want.backward()
    ref_opt.step()
    np.testing.assert_allclose(loss.item(), want.item(), rtol=1e-5)
    assert step.stats()["traces"] == 1


def test_compiled_module_checks_indices():
    """compile(module): an out-of-range id raises, buffers (BatchNorm statistics) are kept."""
    emb, bn = torchlike.nn.Embedding(5, 3), torchlike.nn.BatchNorm1d(3)
    model = torchlike.compile(torchlike.nn.Sequential(emb, bn))
    model(torchlike.tensor([0, 1, 2, 3])).sum().backward()
    assert emb.weight.grad is not None
    mean = bn.running_mean.clone()
    with pytest.raises(IndexError, match="index out of range in self"):
        model(torchlike.tensor([0, 9, 2, 3]))
    np.testing.assert_array_equal(bn.running_mean.numpy(), mean.numpy())
