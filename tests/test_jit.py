"""torchlike.jit: trace runs a jax.jit-compiled program (with autograd); script runs Python."""
import io

import numpy as np
import pytest

import torchlike as tl
from conftest import assert_close


class TinyModule:
    """Just enough of nn.Module's layout for jit (works before/without torchlike.nn)."""

    def __init__(self):
        self._parameters = {"w": tl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)}
        self._buffers = {"count": tl.tensor(0.0)}
        self._modules = {}
        self.training = True

    def __getattr__(self, name):
        d = self.__dict__
        for k in ("_parameters", "_buffers"):
            if name in d.get(k, {}):
                return d[k][name]
        raise AttributeError(name)

    def forward(self, x):
        self._buffers["count"].add_(1.0)
        return tl.tanh(x @ self.w)

    def __call__(self, x):
        return self.forward(x)


def f(x):
    return x * 2 + 1


def test_trace_function_matches_eager(torch):
    traced = tl.jit.trace(f, tl.ones(3))
    x = tl.arange(3.0)
    assert tl.equal(traced(x), f(x))
    tt = torch.jit.trace(f, torch.ones(3))
    assert traced(x).tolist() == tt(torch.arange(3.0)).tolist()
    # other shapes retrace transparently
    assert traced(tl.ones(2, 2)).tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_trace_gradients_and_closure_state():
    w = tl.tensor([1.0, -2.0, 0.5], requires_grad=True)

    def g(x):
        return (x * w).sin().sum()

    traced = tl.jit.trace(g, tl.ones(3))
    x = tl.tensor([0.3, 0.1, -0.4], requires_grad=True)
    traced(x).backward()
    gw, gx = w.grad.numpy().copy(), x.grad.numpy().copy()
    w.grad = None
    x.grad = None
    g(x).backward()
    assert_close(gw, w.grad)
    assert_close(gx, x.grad)
    with tl.no_grad():
        w.mul_(2.0)             # updated state is seen by the compiled call
    assert_close(traced(x.detach()), g(x.detach()))


def test_trace_module_params_buffers():
    m = TinyModule()
    traced = tl.jit.trace(m, tl.ones(1, 2))
    assert m.count.item() == 1.0       # the example inputs ran once
    x = tl.tensor([[0.5, -1.0]])
    out = traced(x)
    assert m.count.item() == 2.0       # buffer mutation written back
    out.sum().backward()
    ref_w = tl.tensor(m.w.detach().numpy(), requires_grad=True)
    tl.tanh(x @ ref_w).sum().backward()
    assert_close(m.w.grad, ref_w.grad)
    assert traced.training is True     # attribute access reaches the module


def test_trace_randomness_advances():
    def noisy(x):
        return x + tl.randn(3)

    traced = tl.jit.trace(noisy, tl.zeros(3))
    a, b = traced(tl.zeros(3)), traced(tl.zeros(3))
    assert not tl.equal(a, b)
    tl.manual_seed(3)
    c = traced(tl.zeros(3))
    tl.manual_seed(3)
    assert tl.equal(c, noisy(tl.zeros(3)))


def test_trace_control_flow_on_values_is_a_clear_error():
    def gate(x):
        if x.sum() > 0:
            return x * 2
        return -x

    with pytest.raises(RuntimeError, match="jit.script"):
        tl.jit.trace(gate, tl.ones(2))
    scripted = tl.jit.script(gate)
    assert scripted(tl.ones(2)).tolist() == [2.0, 2.0]
    assert scripted(-tl.ones(2)).tolist() == [1.0, 1.0]


def test_trace_tuple_outputs_and_kwargs():
    def h(x, y, scale=1.0):
        return {"sum": x + y, "pair": (x * scale, y.argmax())}

    traced = tl.jit.trace(h, (tl.ones(2), tl.zeros(2)))
    r = traced(tl.tensor([1.0, 2.0]), tl.tensor([3.0, 5.0]))
    assert r["sum"].tolist() == [4.0, 7.0]
    assert r["pair"][0].tolist() == [1.0, 2.0] and r["pair"][1].item() == 1
    assert r["pair"][1].dtype is tl.int64


def test_script_module_and_save_load(tmp_path):
    m = TinyModule()
    assert tl.jit.script(m) is m
    path = tmp_path / "m.pt"
    tl.jit.save(m, str(path))
    m2 = tl.jit.load(str(path))
    assert_close(m2.w, m.w)
    buf = io.BytesIO()
    tl.jit.save(m, buf)
    buf.seek(0)
    assert_close(tl.jit.load(buf).forward(tl.ones(1, 2)), m.forward(tl.ones(1, 2)))
    assert not tl.jit.is_scripting() and not tl.jit.is_tracing()


def test_trace_real_nn_module_if_available():
    nn = pytest.importorskip("torchlike.nn")
    if not hasattr(nn, "Linear"):
        pytest.skip("torchlike.nn.Linear not available yet")
    tl.manual_seed(0)
    lin = nn.Linear(3, 2)
    traced = tl.jit.trace(lin, tl.ones(4, 3))
    x = tl.tensor(np.random.RandomState(0).randn(4, 3).astype(np.float32))
    assert_close(traced(x), lin(x))
    traced(x).sum().backward()
    assert lin.weight.grad is not None


def test_distributed_and_multiprocessing_queries():
    d = tl.distributed
    assert d.is_available() is True and d.is_initialized() is False
    for q in (d.get_rank, d.get_world_size):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            q()
    d.init_process_group("gloo", rank=0, world_size=1)
    try:
        assert (d.get_rank(), d.get_world_size(), d.is_initialized()) == (0, 1, True)
        d.all_reduce(tl.ones(2))
    finally:
        d.destroy_process_group()
    assert tl.multiprocessing.get_start_method(allow_none=True) in (None, "fork", "spawn",
                                                                     "forkserver")
    with pytest.raises(NotImplementedError, match="hub"):
        tl.hub.load("pytorch/vision", "resnet18")
    with pytest.raises(NotImplementedError, match="onnx"):
        tl.onnx.export(None, None, "m.onnx")
