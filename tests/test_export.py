"""torchlike.export: StableHLO artifacts that run without the model's Python code."""
import copy
import io
import os
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import torchlike as tl
import torchlike.nn as nn
from torchlike.export import Dim, ExportedProgram


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(tl.relu(self.fc1(x)))


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 5))


def two_inputs(a, b, scale=2.0):
    return {"sum": a + b, "rest": (a * b * scale, None, 7)}


def close(a, b):
    return np.allclose(np.asarray(a.detach().numpy()), np.asarray(b.detach().numpy()),
                       rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def mlp_ep():
    tl.manual_seed(0)
    m = MLP().eval()
    x = tl.randn(4, 8)
    return m, x, tl.export(m, x)


def test_mlp_matches_eager_and_round_trips(mlp_ep, tmp_path):
    m, x, ep = mlp_ep
    assert isinstance(ep, ExportedProgram)
    with tl.no_grad():
        want = m(x)
    assert close(ep(x), want)
    assert close(ep.module()(x), want)
    assert ep.in_shapes == [(4, 8)] and ep.out_shapes == [(4, 3)]
    assert ep.in_dtypes == [tl.float32] and ep.in_names == ["x"]
    assert "x: float32[4, 8]" in repr(ep) and "MLP" in repr(ep)
    assert "stablehlo" in ep.mlir_text() and ep.state_dict == {}
    # in memory, through a path (both save spellings), through a file object
    assert close(tl.export.deserialize(ep.serialize())(x), want)
    p = tmp_path / "mlp.tlexport"
    ep.save(p)
    assert close(tl.export.load(p)(x), want)
    tl.export.save(ep, str(p))
    assert close(tl.export.load(str(p))(x), want)
    assert [f for f in os.listdir(tmp_path) if f != "mlp.tlexport"] == []  # no temp left
    buf = io.BytesIO()
    tl.export.save(ep, buf, extra_files={"note": "hello"})
    buf.seek(0)
    extra = {"note": ""}
    assert close(tl.export.load(buf, extra_files=extra)(x), want)
    assert extra == {"note": "hello"}
    assert close(pickle.loads(pickle.dumps(ep.module()))(x), want)


def test_torch_spelling_and_argument_checks(mlp_ep):
    m, x, _ = mlp_ep
    ep = tl.export.export(m, (x,))
    assert close(ep(x), m(x))
    with pytest.raises(ValueError, match="tuple"):
        tl.export.export(m, x)


def test_wrong_shapes_and_dtypes(mlp_ep):
    _, x, ep = mlp_ep
    with pytest.raises(ValueError, match=r"expected float32\[4, 8\], got float32\[5, 8\]"):
        ep(tl.randn(5, 8))
    with pytest.raises(ValueError, match=r"expected float32\[4, 8\], got float64\[4, 8\]"):
        ep(x.double())
    with pytest.raises(TypeError, match="positional"):
        ep(x, x)
    with pytest.raises(TypeError, match="expected a Tensor"):
        ep([x])


def test_cnn_with_batchnorm_eval_uses_running_stats(tmp_path):
    tl.manual_seed(1)
    cnn = small_cnn()
    x = tl.randn(2, 1, 8, 8)
    cnn.train()
    for _ in range(3):  # move the running statistics away from their initial values
        cnn(tl.randn(2, 1, 8, 8) * 3 + 1)
    cnn.eval()
    with tl.no_grad():
        want = cnn(x)
        batch_stats = copy.deepcopy(cnn).train()(x)
    assert not close(want, batch_stats)
    rm = cnn[1].running_mean.clone()
    p = tmp_path / "cnn.tlexport"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # eval mode: nothing to warn about
        tl.export(cnn, x).save(p)
    ep = tl.export.load(p)
    assert close(ep(x), want)
    assert tl.equal(cnn[1].running_mean, rm)
    assert ep.training is False and ep.module().eval().training is False
    with pytest.raises(NotImplementedError, match="eval mode"):
        ep.module().train()


def test_train_mode_warns_and_leaves_state_alone():
    tl.manual_seed(2)
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5)).train()
    x = tl.randn(6, 4)
    bn = model[1]
    before = (bn.running_mean.clone(), bn.num_batches_tracked.clone())
    with pytest.warns(UserWarning) as rec:
        ep = tl.export(model, x)
    msgs = " ".join(str(w.message) for w in rec)
    assert "random" in msgs and "state" in msgs
    assert tl.equal(bn.running_mean, before[0]) and tl.equal(bn.num_batches_tracked, before[1])
    assert not isinstance(bn.running_mean._v, __import__("jax").core.Tracer)
    assert ep(x).shape == (6, 4) and ep.training is True
    model(x)  # the eager model still runs and updates its statistics
    assert not tl.equal(bn.running_mean, before[0])


def test_two_inputs_dict_output_and_constants():
    a, b = tl.randn(3), tl.randn(3)
    ep = tl.export(two_inputs, a, b, kwargs={"scale": 3.0})
    out = ep(a, b, scale=3.0)
    want = two_inputs(a, b, scale=3.0)
    assert set(out) == {"sum", "rest"} and out["rest"][1:] == (None, 7)
    assert close(out["sum"], want["sum"]) and close(out["rest"][0], want["rest"][0])
    back = tl.export.deserialize(ep.serialize())
    out2 = back.module()(a, b, scale=3.0)
    assert isinstance(out2["rest"], tuple) and close(out2["rest"][0], want["rest"][0])
    assert back.in_names == ["a", "b"]
    with pytest.raises(TypeError, match="fixed to 3.0"):
        back(a, b, scale=2.0)
    with pytest.raises(TypeError, match="keyword"):
        back(a, b)
    with pytest.raises(ValueError, match=r"b: expected float32\[3\], got float32\[4\]"):
        back(a, tl.randn(4), scale=3.0)


def test_nested_inputs():
    def f(pair, d):
        return pair[0] @ d["w"] + pair[1]
    x, y, w = tl.randn(2, 3), tl.randn(2, 2), tl.randn(3, 2)
    ep = tl.export.deserialize(tl.export(f, [x, y], {"w": w}).serialize())
    assert close(ep([x, y], {"w": w}), f([x, y], {"w": w}))
    assert ep.in_names == ["pair[0]", "pair[1]", "d['w']"]


def test_value_reads_are_rejected():
    def branch(x):
        return x if x.sum() > 0 else -x

    def item(x):
        return x * x.max().item()

    for fn, what in ((branch, r"bool\(tensor\)"), (item, r"\.item\(\)")):
        with pytest.raises(RuntimeError, match=what + ".*not allowed when exporting"):
            tl.export(fn, tl.randn(3))


def test_dynamic_batch(tmp_path):
    tl.manual_seed(3)
    m = MLP().eval()
    batch = Dim("batch", max=32)
    ep = tl.export.export(m, (tl.randn(4, 8),), dynamic_shapes={"x": {0: batch}})
    assert ep.in_shapes == [("batch", 8)] and ep.out_shapes == [("batch", 3)]
    back = tl.export.deserialize(ep.serialize())
    for n in (1, 7):
        x = tl.randn(n, 8)
        assert close(back(x), m(x))
    with pytest.raises(ValueError, match=r"batch in \[1, 32\]"):
        back(tl.randn(33, 8))
    with pytest.raises(ValueError, match="not among"):
        tl.export.export(m, (tl.randn(4, 8),), dynamic_shapes={"y": {0: batch}})


def test_bad_files(tmp_path):
    p = tmp_path / "junk"
    p.write_bytes(b"not a zip")
    with pytest.raises(RuntimeError, match="not a file written by torchlike.export.save"):
        tl.export.load(p)


def test_jit_export_is_still_the_decorator():
    def f(x):
        return x
    assert tl.jit.export(f) is f


def test_load_in_fresh_process_without_model_code(tmp_path):
    tl.manual_seed(4)
    cnn = small_cnn().eval()
    x = tl.randn(2, 1, 8, 8)
    path = tmp_path / "cnn.tlexport"
    tl.export(cnn, x).save(path)
    np.save(tmp_path / "x.npy", x.numpy())
    with tl.no_grad():
        np.save(tmp_path / "want.npy", cnn(x).numpy())
    script = textwrap.dedent(f"""
        import numpy as np, torchlike
        ep = torchlike.export.load({str(path)!r})
        x = torchlike.from_numpy(np.load({str(tmp_path / 'x.npy')!r}))
        got = ep.module()(x).numpy()
        want = np.load({str(tmp_path / 'want.npy')!r})
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (got, want)
        print("OK", ep.in_shapes, ep.out_shapes)
    """)
    # run from the temporary folder: this test module and its model classes are not importable
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(
                           os.path.abspath(tl.__file__)))))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "OK [(2, 1, 8, 8)] [(2, 5)]" in r.stdout
