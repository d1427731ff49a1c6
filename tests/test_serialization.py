"""save/load: PyTorch's zip checkpoint format both ways, safe loading, atomic writes."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import torchlike


def _sd():
    x = torchlike.arange(12.0).reshape(3, 4)
    return collections.OrderedDict(
        w=torchlike.randn(4, 3), b=torchlike.tensor([1, 2, 3]),
        h=torchlike.tensor([1.5, 2.0], dtype=torchlike.float16),
        m=torchlike.tensor([True, False]), s=torchlike.tensor(7.0), x=x, col=x[:, 1],
        nested={"lst": [torchlike.tensor([3.0]), 4, "s", (1.5, None)]})


def test_round_trip_here():
    sd = _sd()
    buf = io.BytesIO()
    torchlike.save(sd, buf)
    buf.seek(0)
    back = torchlike.load(buf)
    assert type(back) is collections.OrderedDict and list(back) == list(sd)
    for k in ("w", "b", "h", "m", "s", "x", "col"):
        assert back[k].dtype is sd[k].dtype and torchlike.equal(back[k], sd[k])
    assert back["nested"]["lst"][1:] == [4, "s", (1.5, None)]


def test_file_layout(tmp_path):
    p = tmp_path / "model.pth"
    torchlike.save({"a": torchlike.ones(3)}, str(p))
    with zipfile.ZipFile(p) as z:
        names = z.namelist()
        assert "model/data.pkl" in names and "model/data/0" in names
        assert z.read("model/byteorder") == b"little" and z.read("model/version") == b"3\n"
        info = z.getinfo("model/data/0")
        assert info.compress_type == zipfile.ZIP_STORED
        data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        assert data_start % 64 == 0
        assert np.frombuffer(z.read("model/data/0"), "<f4").tolist() == [1.0, 1.0, 1.0]
    assert not [f for f in os.listdir(tmp_path) if f != "model.pth"]   # no temp file left


def test_torchlike_to_torch(torch, tmp_path):
    sd = _sd()
    p = str(tmp_path / "a.pth")
    torchlike.save(sd, p)
    r = torch.load(p)                      # weights_only=True in torch >= 2.6
    for k in ("w", "b", "h", "m", "s", "x", "col"):
        assert str(r[k].dtype) == str(sd[k].dtype)
        np.testing.assert_array_equal(r[k].numpy(), np.asarray(sd[k]))
    assert r["col"].untyped_storage().data_ptr() == r["x"].untyped_storage().data_ptr()


def test_torch_to_torchlike(torch, tmp_path):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    opt = torch.optim.Adam(m.parameters())
    m(torch.randn(4, 3)).sum().backward()
    opt.step()
    torch.save(m.state_dict(), tmp_path / "m.pth")
    torch.save(opt.state_dict(), tmp_path / "o.pth")
    torch.save({"p": torch.nn.Parameter(torch.ones(2)), "bf": torch.ones(2, dtype=torch.bfloat16),
                "t": torch.arange(10).reshape(2, 5).t()}, tmp_path / "x.pth")
    sd = torchlike.load(str(tmp_path / "m.pth"))
    assert list(sd) == list(m.state_dict())
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(np.asarray(sd[k]), v.numpy())
        assert str(sd[k].dtype) == str(v.dtype)
    osd = torchlike.load(str(tmp_path / "o.pth"))
    assert osd["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_allclose(np.asarray(osd["state"][0]["exp_avg"]),
                               opt.state_dict()["state"][0]["exp_avg"].numpy())
    x = torchlike.load(str(tmp_path / "x.pth"))
    assert x["p"].requires_grad and x["bf"].dtype is torchlike.bfloat16
    assert x["t"].tolist() == torch.arange(10).reshape(2, 5).t().tolist()
    # and back: re-saved here, loaded by torch
    torchlike.save(osd, str(tmp_path / "o2.pth"))
    o2 = torch.load(tmp_path / "o2.pth")
    assert torch.equal(o2["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


class Plain:
    def __init__(self):
        self.w = torchlike.ones(2)


def test_weights_only_refuses_globals(tmp_path):
    p = str(tmp_path / "evil.pth")
    torchlike.save({"x": Payload()}, p)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed") as e:
        torchlike.load(p)
    assert "Trying to load unsupported GLOBAL posix.system whose module posix is blocked" in \
        str(e.value)                       # PyTorch's message
    q = str(tmp_path / "obj.pth")
    torchlike.save(Plain(), q)
    with pytest.raises(pickle.UnpicklingError) as e:
        torchlike.load(q)
    assert f"GLOBAL {__name__}.Plain was not an allowed global by default" in str(e.value)
    assert type(e.value).__name__ == "UnpicklingError"
    obj = torchlike.load(q, weights_only=False)
    assert isinstance(obj, Plain) and obj.w.tolist() == [1.0, 1.0]
    with torchlike.serialization.safe_globals([Plain]):
        assert isinstance(torchlike.load(q), Plain)


def test_malicious_pickle_written_by_hand_is_refused(tmp_path):
    p = tmp_path / "evil.pth"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("archive/data.pkl", b"cos\nsystem\n(S'echo pwned'\ntR.")
        z.writestr("archive/version", b"3\n")
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL os.system whose module os is blocked"):
        torchlike.load(str(p))


def test_truncated_and_corrupted_files(tmp_path):
    p = tmp_path / "a.pth"
    torchlike.save({"w": torchlike.randn(100)}, str(p))
    data = p.read_bytes()
    for cut in (len(data) // 2, 10, 0):
        (tmp_path / "t.pth").write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="PytorchStreamReader failed reading zip archive"):
            torchlike.load(str(tmp_path / "t.pth"))
    i = data.index(b"a/data/0") + 200       # flip bytes inside the storage record
    (tmp_path / "c.pth").write_bytes(data[:i] + bytes(8) + data[i + 8:])
    with pytest.raises(RuntimeError, match="corrupted"):
        torchlike.load(str(tmp_path / "c.pth"))


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "ck.pth"
    torchlike.save({"v": torchlike.tensor([1.0])}, str(p))
    before = p.read_bytes()

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        torchlike.save({"v": Unpicklable()}, str(p))
    assert p.read_bytes() == before and os.listdir(tmp_path) == ["ck.pth"]


def test_map_location(tmp_path):
    p = str(tmp_path / "a.pth")
    torchlike.save({"a": torchlike.ones(2)}, p)
    assert torchlike.load(p, map_location="cpu")["a"].device.type == "cpu"
    assert torchlike.load(p, map_location=torchlike.device("cpu"))["a"].tolist() == [1.0, 1.0]
    assert torchlike.load(p, map_location=lambda s, loc: s)["a"].tolist() == [1.0, 1.0]


def test_torch_views_keep_storage_and_strides(torch, tmp_path):
    x = torch.arange(12.0).reshape(3, 4)
    torch.save({"x": x, "v": x[1:, ::2], "t": x.t(), "e": x[:1].expand(5, 4),
                "other": torch.ones(2)}, tmp_path / "v.pth")
    ours, ref = torchlike.load(str(tmp_path / "v.pth")), torch.load(tmp_path / "v.pth")
    for k in ref:
        assert ours[k].stride() == ref[k].stride(), k
        assert ours[k].storage_offset() == ref[k].storage_offset(), k
        np.testing.assert_array_equal(ours[k].numpy(), ref[k].numpy())
    ours["v"].add_(100)                    # a write through one view is seen by the others
    ref["v"].add_(100)
    for k in ref:
        np.testing.assert_array_equal(ours[k].numpy(), ref[k].numpy())
    assert ours["x"].untyped_storage() is ours["t"].untyped_storage()
    assert ours["other"].untyped_storage() is not ours["x"].untyped_storage()


def test_torchlike_views_share_storage_in_torch(torch, tmp_path):
    x = torchlike.arange(12.0).reshape(3, 4)
    sd = {"x": x, "v": x[1:, ::2], "t": x.t(), "e": x[:1].expand(5, 4), "d": x.detach()}
    torchlike.save(sd, str(tmp_path / "v.pth"))
    with zipfile.ZipFile(tmp_path / "v.pth") as z:   # one storage record for all five
        assert [n for n in z.namelist() if "/data/" in n] == ["v/data/0"]
    r = torch.load(tmp_path / "v.pth")
    ptr = r["x"].untyped_storage().data_ptr()
    for k in sd:
        assert r[k].untyped_storage().data_ptr() == ptr, k
        assert r[k].stride() == sd[k].stride() and r[k].storage_offset() == sd[k].storage_offset()
        np.testing.assert_array_equal(r[k].numpy(), sd[k].numpy())
    r["t"][0, 0] = -1.0
    assert r["x"][0, 0].item() == -1.0
    back = torchlike.load(str(tmp_path / "v.pth"))       # and here, the same sharing
    back["t"][0, 0] = -1.0
    assert back["x"][0, 0].item() == back["d"][0, 0].item() == back["e"][3, 0].item() == -1.0


def test_loaded_views_require_grad_as_leaves(torch, tmp_path):
    x = torch.arange(6.0).reshape(2, 3)
    torch.save({"a": x[0].requires_grad_(), "b": x.t()}, tmp_path / "g.pth")
    r = torchlike.load(str(tmp_path / "g.pth"))
    assert r["a"].requires_grad and r["a"].is_leaf and not r["b"].requires_grad
    (r["a"] * 2).sum().backward()
    assert r["a"].grad.tolist() == [2.0, 2.0, 2.0]


def test_whole_torch_module_loads_inside_safe_globals(torch, tmp_path):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU())
    m(torch.randn(5, 3))                    # running stats move away from their defaults
    m.eval()
    torch.save(m, tmp_path / "m.pth")
    nn = torchlike.nn
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL torch\.nn\.modules\.container\."
                                                     r"Sequential was not an allowed global"):
        torchlike.load(str(tmp_path / "m.pth"))
    with pytest.raises(pickle.UnpicklingError):          # torch needs the same allow-list
        torch.load(tmp_path / "m.pth")
    # torch's BatchNorm1d lives in torch.nn.modules.batchnorm: matched by name under torch.nn
    with torchlike.serialization.safe_globals([nn.Sequential, nn.Linear, nn.BatchNorm1d, nn.ReLU]):
        r = torchlike.load(str(tmp_path / "m.pth"))
    assert [type(c) for c in r] == [nn.Linear, nn.BatchNorm1d, nn.ReLU]
    assert torchlike.serialization.get_safe_globals() == []
    x = torch.randn(2, 3)
    np.testing.assert_allclose(r(torchlike.tensor(x.numpy())).detach().numpy(),
                               m(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    r2 = torchlike.load(str(tmp_path / "m.pth"), weights_only=False)
    assert type(r2[1]) is nn.BatchNorm1d


def test_add_safe_globals_and_tuple_form(tmp_path):
    q = str(tmp_path / "obj.pth")
    torchlike.save(Plain(), q)
    try:
        torchlike.serialization.add_safe_globals([(Plain, f"{__name__}.Plain")])
        assert isinstance(torchlike.load(q), Plain)
    finally:
        torchlike.serialization.clear_safe_globals()
    with pytest.raises(ValueError, match="Expected tuple of length 2"):
        torchlike.serialization.add_safe_globals([(Plain,)])
    with pytest.raises(pickle.UnpicklingError):
        torchlike.load(q)
