"""torchlike.compile: a compiled training step gives the eager step's numbers, reuses its
program, and refuses concrete reads with a clear error."""
from __future__ import annotations

import functools

import numpy as np
import pytest

import torchlike as torch
from torchlike import nn, optim


def _model(kind):
    torch.manual_seed(0)
    if kind == "bn_dropout":
        # no bias before a BatchNorm: the norm cancels its gradient exactly, so Adam would
        # amplify rounding noise (about 1e-9) into full steps and the test would compare noise
        return nn.Sequential(nn.Conv2d(1, 3, 3, bias=False), nn.BatchNorm2d(3), nn.ReLU(),
                             nn.Flatten(), nn.Dropout(0.3), nn.Linear(3 * 4 * 4, 5, bias=False),
                             nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def _run(kind, opt_name, compiled, steps=50):
    """compiled: False (eager), "step" (compile the step) or "module" (compile the model only,
    backward and optimizer eager)."""
    model = _model(kind)
    net = torch.compile(model) if compiled == "module" else model
    if opt_name == "sgd":
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    else:
        opt = optim.Adam(model.parameters(), lr=1e-2)
    r = np.random.default_rng(1)
    shape = (8, 1, 6, 6) if kind == "bn_dropout" else (8, 6)
    x = torch.tensor(r.standard_normal(shape).astype(np.float32))
    y = torch.tensor(r.integers(0, 3, 8))
    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(123)  # the dropout masks: both runs draw the same keys

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return loss

    f = torch.compile(step) if compiled == "step" else step
    losses = [f(x, y).item() for _ in range(steps)]
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return losses, state, (f if compiled == "step" else net)


@pytest.mark.parametrize("kind,opt_name", [("mlp", "sgd"), ("mlp", "adam"),
                                           ("bn_dropout", "adam")])
def test_compiled_steps_equal_eager(kind, opt_name):
    le, se, _ = _run(kind, opt_name, False)
    lc, sc, f = _run(kind, opt_name, "step")
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-5)
    assert se.keys() == sc.keys()
    for k in se:  # parameters, BatchNorm running stats and num_batches_tracked
        np.testing.assert_allclose(sc[k], se[k], rtol=1e-5, atol=1e-5, err_msg=k)
    st = f.stats()
    assert st["traces"] == 1 and st["eager_calls"] == 1 and st["cache_hits"] == 48


def test_new_shapes_retrace_and_constants_are_not_frozen():
    w = torch.ones(3, requires_grad=True)
    calls = torch.compile(lambda x, k: (w * x).sum() * k)
    out = [calls(torch.ones(3), 2.0).item() for _ in range(3)]
    assert out == [6.0, 6.0, 6.0]
    assert calls(torch.ones(3), 3.0).item() == 9.0  # a Python constant is part of the key
    assert calls(torch.ones(2, 3), 2.0).item() == 12.0  # a new shape
    n = calls.stats()["traces"]
    assert [calls(torch.ones(3), np.float32(4.0)).item() for _ in range(3)] == [12.0] * 3
    assert calls.stats()["traces"] == n + 1  # NumPy scalars are constants, keyed by value
    with torch.no_grad():
        w.mul_(2)  # state changed eagerly between calls is read again
    assert calls(torch.ones(3), 2.0).item() == 12.0


@pytest.mark.parametrize("kind,opt_name", [("mlp", "adam"), ("bn_dropout", "sgd")])
def test_training_through_a_compiled_module(kind, opt_name):
    """compile(model): forward compiled, backward through it reaches the parameters."""
    le, se, _ = _run(kind, opt_name, False, steps=20)
    lc, sc, cm = _run(kind, opt_name, "module", steps=20)
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-5)
    for k in se:
        np.testing.assert_allclose(sc[k], se[k], rtol=1e-5, atol=1e-5, err_msg=k)
    assert cm.stats() == {"calls": 20, "traces": 1, "cache_hits": 19, "programs": 1}


def test_compiled_module_is_pytorchs_optimized_module():
    torch_ref = pytest.importorskip("torch")
    model = _model("mlp")
    cm = torch.compile(model)
    dist = torch_ref.distributions.Distribution
    validate = dist._validate_args
    try:
        tm = torch_ref.compile(torch_ref.nn.Sequential(torch_ref.nn.Linear(6, 8),
                                                       torch_ref.nn.Tanh(),
                                                       torch_ref.nn.Linear(8, 3)))
    finally:  # torch.compile switches distribution argument validation off process-wide
        dist.set_default_validate_args(validate)
    assert repr(cm) == repr(tm)
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in cm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert cm._orig_mod is model and cm.training
    with pytest.raises(AttributeError, match="'Sequential' object has no attribute 'nope'"):
        cm.nope
    # PyTorch's name for the node (running torch's compiled module here would cost seconds)
    assert type(cm(torch.randn(2, 6)).grad_fn).__name__ == "CompiledFunctionBackward"
    cm.eval()
    assert not model.training
    x = torch.randn(4, 6)
    cm(x)
    cm.train()
    cm(x)
    assert cm.stats()["traces"] == 3  # (2, 6) train; (4, 6) eval, then train: mode is keyed


def test_compiled_module_concrete_read_error():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            y = self.lin(x)
            return y if y.sum() > 0 else -y

    cm = torch.compile(Branchy())
    with pytest.raises(RuntimeError, match="torchlike.compile: Branchy reads a tensor's value"):
        cm(torch.ones(2, 3))


def test_compiled_module_forward():
    model = _model("mlp").eval()
    cm = torch.compile(model)
    x = torch.randn(4, 6)
    with torch.no_grad():
        expect = model(x)
        for _ in range(3):
            got = cm(x)
    np.testing.assert_allclose(got.numpy(), expect.numpy(), rtol=1e-5, atol=1e-6)
    assert cm.stats()["traces"] == 1


@pytest.mark.parametrize("body", ["item", "print", "bool", "numpy"])
def test_concrete_reads_raise_a_clear_error(body):
    def f(x):
        y = x * 2
        if body == "item":
            return y.sum().item()
        if body == "print":
            print(y)
        if body == "bool":
            if y.sum() > 0:
                return y
        if body == "numpy":
            y.numpy()
        return y

    cf = torch.compile(f)
    cf(torch.ones(2))  # the first call runs eagerly
    with pytest.raises(RuntimeError, match="torchlike.compile"):
        cf(torch.ones(2))


def _sgd_step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def _data():
    r = np.random.default_rng(2)
    return (torch.tensor(r.standard_normal((8, 6)).astype(np.float32)),
            torch.tensor(r.integers(0, 3, 8)))


def test_state_is_donated_and_aliases_are_copied_not_clobbered():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = _data()
    step = torch.compile(lambda: _sgd_step(model, opt, x, y))
    for _ in range(4):
        step()
    assert step.stats()["state_copies"] == 0  # a plain loop donates every state array
    w = model[0].weight
    before = w.detach().numpy().copy()
    alias = w.detach()  # shares the array: it is copied, not donated
    held = model[1].running_mean.numpy()  # shares memory with the buffer, as in PyTorch
    step()
    assert step.stats()["state_copies"] >= 2
    assert not np.array_equal(w.detach().numpy(), before)
    np.testing.assert_array_equal(alias.numpy(), w.detach().numpy())  # views follow the base
    np.testing.assert_array_equal(held, model[1].running_mean.numpy())  # updated in place
    del alias
    step()
    n = step.stats()["state_copies"]
    step()  # only the NumPy-shared buffer is still copied
    assert step.stats()["state_copies"] == n + 1


def test_objects_passed_as_arguments_are_walked_and_keyed_by_identity():
    x, y = _data()
    losses = {}
    for compiled in (False, True):
        model = _model("mlp")
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        f = torch.compile(_sgd_step) if compiled else _sgd_step
        losses[compiled] = [f(model, opt, x, y).item() for _ in range(6)]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-6)
    assert f.stats()["traces"] == 1 and f.stats()["cache_hits"] == 4
    other = _model("mlp")  # other objects: their own program
    other_opt = optim.SGD(other.parameters(), lr=0.1)
    for _ in range(3):
        f(other, other_opt, x, y)
    assert f.stats()["programs"] == 2


def test_optimizer_flags_and_learning_rates_reach_the_program():
    x, y = _data()
    results = {}
    for compiled in (False, True):
        model = _model("mlp")
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        step = functools.partial(_sgd_step, model, opt, x, y)
        f = torch.compile(step) if compiled else step
        out = []
        for i in range(8):
            if i == 4:
                opt.param_groups[0]["nesterov"] = True  # a Python flag: a new program
                opt.param_groups[0]["lr"] = 0.05  # a lifted number: the same program
            if i == 6:
                opt.param_groups[0]["weight_decay"] = 1e-2  # was a constant 0: a new program
            out.append(f().item())
        results[compiled] = out
    np.testing.assert_allclose(results[True], results[False], rtol=1e-6)


def test_zero_grad_outside_the_step_still_compiles():
    """`opt.zero_grad()` (set_to_none) before each call: the step enters with no grads and
    creates them. It compiles once (was: ran eagerly on every call) and matches eager."""
    def run(compiled):
        torch.manual_seed(0)
        net = torch.nn.Linear(4, 2)
        opt = torch.optim.Adam(net.parameters(), lr=0.1)
        x, y = torch.randn(8, 4), torch.randn(8, 2)

        def step(x, y):
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        s = torch.compile(step) if compiled else step
        losses = []
        for _ in range(6):
            opt.zero_grad()
            losses.append(float(s(x, y)))
        return losses, net.weight.detach().numpy(), s
    lc, wc, s = run(True)
    le, we, _ = run(False)
    st = s.stats()
    assert st["traces"] == 1 and st["eager_calls"] == 2 and st["cache_hits"] == 3, st
    np.testing.assert_allclose(lc, le, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wc, we, rtol=1e-5, atol=1e-6)
