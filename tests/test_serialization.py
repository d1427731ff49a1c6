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
