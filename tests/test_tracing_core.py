"""The tracing core (torchlike/_trace.py) shared by compile, jit.trace, export and func: views
kept as attributes see the lifted state, and everything a trace swapped is put back."""
import numpy as np
import pytest

import torchlike as tl
from torchlike import _trace, nn


class ViewAttr(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(tl.tensor([[1.0, 2.0], [3.0, 4.0]]))
        self.row = self.w[0]                  # a view kept as a plain attribute

    def forward(self, x):
        return (x * self.row).sum() + (x @ self.w).sum()


X = [0.5, -1.0]
# d/dw of sum(x * w[0]) + sum(x @ w): x added to row 0, and x[i] in every column of row i
EXPECTED = [[1.0, -0.5], [-1.0, -1.0]]


def _grad_through(path):
    m = ViewAttr()
    x = tl.tensor(X)
    if path == "step":
        def step(x):
            m.w.grad = None
            loss = m(x)
            loss.backward()
            return loss

        f = tl.compile(step)
        for _ in range(3):                    # eager, trace, cached program
            f(x)
        return m.w.grad.tolist(), f.stats()
    f = {"eager": m, "trace": lambda: tl.jit.trace(m, x), "module": lambda: tl.compile(m)}[path]
    f = f if path == "eager" else f()
    for _ in range(2):
        m.w.grad = None
        f(x).backward()
    return m.w.grad.tolist(), None


@pytest.mark.parametrize("path", ["eager", "trace", "module", "step"])
def test_view_attribute_gradient_in_every_path(path):
    g, stats = _grad_through(path)
    assert g == EXPECTED
    if stats is not None:
        assert stats["traces"] == 1 and stats["cache_hits"] == 1


@pytest.mark.parametrize("path", ["trace", "module"])
def test_view_taken_without_grad_passes_no_gradient(path):
    m = ViewAttr()
    with tl.no_grad():
        m.row = m.w[0]                        # as in eager: only the x @ w term reaches w
    x = tl.tensor(X)
    f = tl.jit.trace(m, x) if path == "trace" else tl.compile(m)
    f(x).backward()
    assert m.w.grad.tolist() == [[0.5, 0.5], [-1.0, -1.0]]


def test_view_attribute_matches_torch_where_torch_accepts():
    torch = pytest.importorskip("torch")

    class TM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
            self.row = self.w[0]

        def forward(self, x):
            return (x * self.row).sum() + (x @ self.w).sum()

    m = TM()
    m(torch.tensor(X)).backward()             # torch.compile(m) gives the same (eager) grad
    assert m.w.grad.tolist() == EXPECTED
    # torch.jit.trace(TM(), x) refuses the view ("Cannot insert a Tensor that requires grad as
    # a constant"); torchlike's trace lifts it like any closure tensor, with eager's gradient


def test_view_attribute_sees_updates_and_export_bakes_current_values():
    m = ViewAttr()
    x = tl.tensor(X)
    traced, compiled = tl.jit.trace(m, x), tl.compile(m)
    with tl.no_grad():
        m.w.mul_(2.0)                         # the view reads through the changed base
    want = m(x).item()
    assert traced(x).item() == want and compiled(x).item() == want
    assert tl.export(m, x)(x).item() == want
    # after the traces the view holds a concrete value again and still tracks its base
    assert m.row.tolist() == [2.0, 4.0] and not m.row.is_leaf
    m.row.sum().backward()
    assert m.w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_compiled_step_sees_in_place_updates_through_a_view():
    m = ViewAttr()
    opt = tl.optim.SGD(m.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = m(x)
        loss.backward()
        opt.step()
        return loss

    eager_m = ViewAttr()
    eager_opt = tl.optim.SGD(eager_m.parameters(), lr=0.1)
    f = tl.compile(step)
    x = tl.tensor(X)
    for _ in range(4):
        got = f(x).item()
        eager_opt.zero_grad()
        want = eager_m(x)
        want.backward()
        eager_opt.step()
        assert got == pytest.approx(want.item())
    assert np.allclose(m.w.detach().numpy(), eager_m.w.detach().numpy())
    assert m.row.tolist() == m.w[0].tolist()


def test_restore_after_a_trace_that_raises_halfway():
    w = tl.from_numpy(np.ones(3, np.float32))  # NumPy-aliased state
    n = w.numpy()
    v = w[1:]
    v.tolist()                                 # the view caches a concrete value
    ver, vsync = w._version, v.__dict__.get("_vsync")

    def bad(x):
        w.add_(x)                              # the lifted box now holds a new tracer
        if (w * v.sum()).sum() > 0:            # a concrete read: the trace fails here
            return x
        return -x

    with pytest.raises(RuntimeError, match="concrete value"):
        tl.jit.trace(bad, tl.ones(3))
    assert w._version == ver and v.__dict__.get("_vsync") == vsync
    assert w._np is n and w.tolist() == [1.0, 1.0, 1.0] and v.tolist() == [1.0, 1.0]
    n[0] = 5.0                                 # the NumPy alias still works both ways
    assert w[0].item() == 5.0
    w.add_(1.0)
    assert n.tolist() == [6.0, 2.0, 2.0] and v.tolist() == [2.0, 2.0]

    f = tl.compile(bad)
    with pytest.raises(RuntimeError, match="concrete value"):
        f(tl.zeros(3))                         # first call: eager (x = 0, so no change)
        f(tl.zeros(3))                         # second call traces and fails
    assert w._np is n and w.tolist() == [6.0, 2.0, 2.0] and v.tolist() == [2.0, 2.0]


def test_swap_restores_fields_exactly():
    a = tl.ones(2)
    b = a[0]
    b.item()
    before = dict(a.__dict__), dict(b.__dict__)
    with pytest.raises(ValueError):
        with _trace.Swap([a], [b]) as sw:
            sw.lift([a._v * 2])
            assert a._version < 0 and b.item() == 2.0   # the view re-derives from the base
            raise ValueError
    assert a.__dict__ == before[0] and b.__dict__ == before[1]


def test_walker_finds_plain_tensor_attributes_and_views():
    m = ViewAttr()
    m.scale = tl.tensor(3.0)                   # not registered: still state of the module
    w = _trace.walk(objs=[(("m",), m)], rng=False)
    assert {id(b) for b in w.boxes} == {id(m.w), id(m.scale)}
    assert [id(v) for v in w.views] == [id(m.row)]

    calls = []

    def step():
        calls.append(1)
        return m.scale * 2

    f = tl.compile(step)
    assert [f().item() for _ in range(3)] == [6.0] * 3
    m.scale.fill_(5.0)                         # an eager change reaches the program
    assert f().item() == 10.0 and f.stats()["traces"] == 1


def test_func_transforms_on_a_module_with_a_view_attribute():
    torch = pytest.importorskip("torch")
    m = ViewAttr()
    x = tl.tensor(X)
    g = tl.func.grad(m)(x)
    v = tl.func.vmap(m)(tl.stack([x, 2 * x]))
    j = tl.autograd.functional.jacobian(m, x)
    # real PyTorch on the same module
    tm = torch.nn.Module()
    tm.w = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tm.row = tm.w[0]

    def tf(x):
        return (x * tm.row).sum() + (x @ tm.w).sum()

    tx = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(tf(tx), tx)    # torch.func.grad gives the same; importing it
    assert g.tolist() == tg.tolist() == [4.0, 9.0]   # costs seconds
    assert v.tolist() == [tf(tx).item(), tf(2 * tx).item()]
    assert j.tolist() == torch.autograd.functional.jacobian(tf, tx.detach()).tolist()
    assert m.w.grad is None and m.row.tolist() == [1.0, 2.0]


def test_func_refuses_to_mutate_captured_state_and_puts_it_back():
    c = tl.zeros(2)
    n = c.numpy()

    def f(x):
        c.add_(x)
        return x.sum()

    for run in (lambda: tl.func.grad(f)(tl.ones(2)),
                lambda: tl.func.jvp(f, (tl.ones(2),), (tl.ones(2),)),
                lambda: tl.func.vmap(f)(tl.ones(3, 2)),
                lambda: tl.autograd.functional.jacobian(f, tl.ones(2))):
        with pytest.raises(RuntimeError, match="captured Tensor"):
            run()
        assert c.tolist() == [0.0, 0.0] and c._np is n and c._version == 0
    with pytest.raises(RuntimeError, match="During a grad .* would mutate a captured Tensor"):
        tl.func.grad(f)(tl.ones(2))           # PyTorch's message (it names the aten op too)

    k = tl.zeros(())

    def counted(x):
        k.add_(1.0)                            # a concrete write is kept, as in PyTorch
        return (x * x).sum()

    assert tl.func.grad(counted)(tl.ones(2)).tolist() == [2.0, 2.0]
    assert k.item() == 1.0 and k._version == 1


def test_export_puts_back_state_the_traced_call_updated():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("n", tl.zeros(2))
            self.head = self.n[:1]

        def forward(self, x):
            self.n.add_(x)                     # dropped by export, with a warning
            return x * self.head

    m = Counter()
    with pytest.warns(UserWarning, match="updates its state"):
        ep = tl.export(m, tl.ones(2))
    assert m.n._version == 0 and m.n.tolist() == [0.0, 0.0]
    m.n.add_(3.0)                              # the view read a tracer during export
    assert m.head.tolist() == [3.0]
    assert ep(tl.ones(2)).tolist() == [1.0, 1.0]   # traced after the add: head was 1


def test_detach_inside_a_transform_carries_no_gradient(torch):
    got = tl.func.grad(lambda x: (x.detach() * x).sum())(tl.tensor([1.0, 2.0]))
    want = torch.func.grad(lambda x: (x.detach() * x).sum())(torch.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
