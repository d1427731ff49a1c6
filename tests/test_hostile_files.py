"""Hostile and damaged checkpoint files: torchlike.load refuses what PyTorch refuses, never lets a
file change anything but the object it returns, checks what a file claims before allocating,
and fails with a documented error type on corrupted bytes. Files are crafted byte by byte."""
import collections
import io
import os
import pickle
import random
import struct
import zipfile

import numpy as np
import pytest

import torchlike
from torchlike import serialization as S

P = pickle


# ------------------------------------------------------------------- pickle bytes by hand
def g(module, name):
    return P.GLOBAL + f"{module}\n{name}\n".encode()


def s(x):
    b = x.encode()
    return P.BINUNICODE + struct.pack("<I", len(b)) + b


def i(x):
    return P.BININT + struct.pack("<i", x)


def tup(*items):
    return P.MARK + b"".join(items) + P.TUPLE


def storage(key="0", numel=4, stype="FloatStorage"):
    return tup(s("storage"), g("torch", stype), s(key), s("cpu"), i(numel)) + P.BINPERSID


def tensor(size, stride, offset=0, st=None):
    """_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())"""
    return (g("torch._utils", "_rebuild_tensor_v2") +
            tup(st or storage(), i(offset), tup(*map(i, size)), tup(*map(i, stride)),
                P.NEWFALSE, g("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE) +
            P.REDUCE)


def pkl(*body):
    return P.PROTO + b"\x02" + b"".join(body) + P.STOP


def archive(pickle_bytes, storages=None):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/byteorder", b"little")
        for k, v in (storages or {}).items():
            z.writestr(f"archive/data/{k}", v)
        z.writestr("archive/version", b"3\n")
    return b.getvalue()


FOUR = np.arange(1, 5, dtype="<f4").tobytes()


def _genuine():
    buf = io.BytesIO()
    torchlike.save({"w": torchlike.tensor([1.5, -2.25, 3.0])}, buf)
    return buf.getvalue()


GENUINE = _genuine()


def _snapshot():
    """Everything a hostile file might try to change."""
    f32 = torchlike.float32
    return (f32.name, f32.np, f32.itemsize, f32.is_floating_point,
            {n: (st.name, st.dtype_name) for n, st in S._STORAGE_TYPES.items()},
            dict(vars(torchlike.Tensor)), dict(vars(torchlike.nn.Parameter)),
            S._rebuild_tensor_v2.__defaults__, S._rebuild_tensor_v2.__code__,
            len(S.get_safe_globals()), str(torchlike.device("cpu")),
            dict(vars(collections.OrderedDict)))


def _genuine_loads_right():
    w = torchlike.load(io.BytesIO(GENUINE))["w"]
    assert w.dtype is torchlike.float32 and w.tolist() == [1.5, -2.25, 3.0]


# ------------------------------------------------------------------------- 1. BUILD & co
ATTACKS = {
    # BUILD on a storage class: every float32 checkpoint would load as int32 bit patterns
    "storage_type_dict": pkl(g("torch", "FloatStorage"), P.EMPTY_DICT, s("dtype_name"), s("int32"),
                             P.SETITEM, P.BUILD),
    "storage_type_slots": pkl(g("torch", "FloatStorage"), P.NONE, P.EMPTY_DICT, s("dtype_name"),
                              s("int32"), P.SETITEM, P.TUPLE2, P.BUILD),
    # BUILD on a dtype (slots): torchlike.float32 renamed / retyped
    "dtype_slots": pkl(g("torch", "float32"), P.NONE, P.EMPTY_DICT, s("name"), s("int32"),
                       P.SETITEM, P.TUPLE2, P.BUILD),
    # BUILD on the Tensor class: patch a method with an allowed function
    "tensor_class": pkl(g("torch", "Tensor"), P.NONE, P.EMPTY_DICT, s("__repr__"),
                        g("torch._utils", "_rebuild_tensor_v2"), P.SETITEM, P.TUPLE2, P.BUILD),
    "tensor_class_dict": pkl(g("torch", "Tensor"), P.EMPTY_DICT, s("tolist"), g("torch", "Size"),
                             P.SETITEM, P.BUILD),
    # BUILD on a function: replace its defaults
    "function_defaults": pkl(g("torch._utils", "_rebuild_tensor_v2"), P.NONE, P.EMPTY_DICT,
                             s("__defaults__"), tup(i(1)), P.SETITEM, P.TUPLE2, P.BUILD),
    # BUILD on OrderedDict the class (only instances may get a __dict__ update)
    "ordereddict_class": pkl(g("collections", "OrderedDict"), P.EMPTY_DICT, s("fromkeys"),
                             P.NONE, P.SETITEM, P.BUILD),
    # a tensor's internals through its state: _base pointing at a dtype
    "tensor_internals": pkl(g("torch._tensor", "_rebuild_from_type_v2"),
                            tup(g("torch._utils", "_rebuild_tensor_v2"), g("torch", "Tensor"),
                                tup(storage(), i(0), tup(i(4)), tup(i(1)), P.NEWFALSE,
                                    P.EMPTY_DICT),
                                P.EMPTY_DICT + s("_base") + g("torch", "float32") + P.SETITEM),
                            P.REDUCE),
    # the legacy constructor torch.Tensor(n, n) would allocate whatever the file asks
    "tensor_constructor": pkl(g("torch", "Tensor"), tup(i(1 << 30), i(1 << 30)), P.REDUCE),
    "bytearray_size": pkl(g("builtins", "bytearray"),
                          tup(P.LONG1 + bytes([6]) + (1 << 44).to_bytes(6, "little")), P.REDUCE),
    # SETITEM / APPEND on something this file did not create
    "setitem_on_global": pkl(g("torch", "float32"), s("k"), s("v"), P.SETITEM),
    "append_on_global": pkl(g("torch", "Size"), s("v"), P.APPEND),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_refused_and_changes_nothing(name, tmp_path):
    before = _snapshot()
    data = archive(ATTACKS[name], {"0": FOUR})
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torchlike.load(io.BytesIO(data))
    assert _snapshot() == before
    assert torchlike.float32.np == np.float32 and repr(torchlike.float32) == "torch.float32"
    _genuine_loads_right()


def test_attacks_are_refused_by_torch_too(torch):
    """The crafted files name torch's globals: real torch.load refuses each of them as well
    (the torchlike-only legacy-constructor and bytearray guards aside)."""
    for name, body in ATTACKS.items():
        if name in ("tensor_constructor", "bytearray_size"):
            continue
        # torch refuses _base on a tensor when setting it (a read-only attribute)
        err = AttributeError if name == "tensor_internals" else pickle.UnpicklingError
        with pytest.raises(err):
            torch.load(io.BytesIO(archive(body, {"0": FOUR})))


def test_attack_file_is_small_and_genuine_files_still_build():
    assert len(archive(ATTACKS["storage_type_dict"])) < 450
    # what may be built is still built: OrderedDict metadata, Parameter state, nested objects
    od = pkl(g("collections", "OrderedDict") + P.EMPTY_TUPLE + P.REDUCE, s("a"), tensor((2,), (2,)),
             P.SETITEM, P.EMPTY_DICT, s("_metadata"), P.EMPTY_DICT, P.SETITEM, P.BUILD)
    r = torchlike.load(io.BytesIO(archive(od, {"0": FOUR})))
    assert r._metadata == {} and r["a"].tolist() == [1.0, 3.0]


# ------------------------------------------------------- 2. claims checked against storage
BAD_GEOMETRY = [((10,), (1,), 0), ((2,), (1,), 3), ((4,), (-1,), 3), ((2,), (1,), -1),
                ((2, 3), (3,), 0)]


@pytest.mark.parametrize("size,stride,offset", BAD_GEOMETRY)
def test_geometry_beyond_storage_raises_torchs_error(size, stride, offset, torch):
    data = archive(pkl(tensor(size, stride, offset)), {"0": FOUR})
    with pytest.raises(RuntimeError) as ours:
        torchlike.load(io.BytesIO(data))
    if len(size) == len(stride):
        with pytest.raises(RuntimeError) as theirs:
            torch.load(io.BytesIO(data))
        assert str(ours.value) == str(theirs.value)


def test_record_size_must_match_claim(torch):
    data = archive(pkl(tensor((4,), (1,), st=storage(numel=40))), {"0": FOUR})
    with pytest.raises(RuntimeError, match=r"record size \(16 bytes\) does not match expected "
                                           r"size \(160 bytes"):
        torchlike.load(io.BytesIO(data))
    with pytest.raises(RuntimeError, match="record size"):
        torch.load(io.BytesIO(data))


def test_expanded_tensor_is_not_materialised(torch):
    huge = (1 << 20, 1 << 20, 4)                 # 2**42 elements: 16 TiB if materialised
    data = archive(pkl(tensor(huge, (0, 0, 1))), {"0": FOUR})
    assert len(data) < 700
    t = torchlike.load(io.BytesIO(data))
    ref = torch.load(io.BytesIO(data))
    assert t.stride() == ref.stride() == (0, 0, 1) and t.storage_offset() == 0
    assert t.untyped_storage().numel() == 4 == ref.untyped_storage().nbytes() // 4
    assert t._data is None                       # nothing of the view's size was allocated
    small = archive(pkl(tensor((30, 40, 4), (0, 0, 1))), {"0": FOUR})
    t, ref = torchlike.load(io.BytesIO(small)), torch.load(io.BytesIO(small))
    assert t.untyped_storage().numel() == 4 and t.stride() == ref.stride()
    np.testing.assert_array_equal(t.numpy(), ref.numpy())


# ------------------------------------------------------------ 5. where save writes
def test_save_through_symlink_writes_its_target(tmp_path):
    real = tmp_path / "real.pth"
    real.write_bytes(b"old")
    link = tmp_path / "link.pth"
    link.symlink_to(real)
    torchlike.save({"a": torchlike.ones(2)}, str(link))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert torchlike.load(str(real))["a"].tolist() == [1.0, 1.0]
    dangling = tmp_path / "dangling.pth"
    dangling.symlink_to(tmp_path / "new.pth")
    torchlike.save({"b": torchlike.zeros(1)}, str(dangling))
    assert dangling.is_symlink()
    assert torchlike.load(str(tmp_path / "new.pth"))["b"].tolist() == [0.0]


def test_save_refuses_fifo_device_and_directory(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(RuntimeError, match="is a FIFO"):
        torchlike.save({"a": torchlike.ones(1)}, str(fifo))
    assert fifo.is_fifo() and sorted(os.listdir(tmp_path)) == ["pipe"]
    link = tmp_path / "to_pipe"
    link.symlink_to(fifo)
    with pytest.raises(RuntimeError, match="is a FIFO"):
        torchlike.save({"a": torchlike.ones(1)}, str(link))
    if os.path.exists("/dev/null"):
        with pytest.raises(RuntimeError, match="is a device"):
            torchlike.save({"a": torchlike.ones(1)}, "/dev/null")
    with pytest.raises(RuntimeError, match="is a directory"):
        torchlike.save({}, str(tmp_path))
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        torchlike.save({}, str(tmp_path / "nope" / "x.pth"))


# ------------------------------------------------------------------------- 6. fuzzing
def _corpus():
    buf = io.BytesIO()
    x = torchlike.arange(12.0).reshape(3, 4)
    torchlike.save(collections.OrderedDict(
        w=x, v=x[:, 1], b=torchlike.tensor([1, 2]), e=x[:1].expand(3, 4),
        p=torchlike.nn.Parameter(torchlike.ones(2)), meta={"k": [1, 2.5, "s", (None, True)]}),
        buf)
    return buf.getvalue()


def _variants(data, n, seed):
    rnd = random.Random(seed)
    pkl_at = data.index(b"data.pkl")
    for k in range(n):
        kind = k % 4
        if kind == 0:                                   # truncation
            yield data[:rnd.randrange(len(data))]
        elif kind == 1:                                 # a byte flip anywhere
            j = rnd.randrange(len(data))
            yield data[:j] + bytes([data[j] ^ (1 << rnd.randrange(8))]) + data[j + 1:]
        else:                                           # flips inside the pickle (the parser)
            b = bytearray(data)
            for _ in range(kind):
                j = pkl_at + rnd.randrange(400)
                b[j] = rnd.randrange(256)
            yield bytes(b)


def test_fuzzed_files_fail_cleanly_and_touch_nothing():
    data = _corpus()
    before = _snapshot()
    outcomes = collections.Counter()
    for v in _variants(data, 400, seed=1234):
        try:
            torchlike.load(io.BytesIO(v))
            outcomes["ok"] += 1
        except (RuntimeError, pickle.UnpicklingError) as e:
            outcomes[type(e).__name__] += 1
    assert _snapshot() == before
    _genuine_loads_right()
    assert outcomes["RuntimeError"] > 200, outcomes     # the zip's CRC catches most flips


def test_fuzzed_files_with_zip_crc_recomputed():
    """Flips in data.pkl with a valid zip around them reach the unpickler every time."""
    zf = zipfile.ZipFile(io.BytesIO(_corpus()))
    pk = zf.read("archive/data.pkl")
    records = {n: zf.read(n) for n in zf.namelist()}
    rnd = random.Random(7)
    before = _snapshot()
    outcomes = collections.Counter()
    for _ in range(150):
        b = bytearray(pk)
        for _ in range(rnd.randrange(1, 4)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for n, v in records.items():
                z.writestr(n, bytes(b) if n == "archive/data.pkl" else v)
        try:
            torchlike.load(io.BytesIO(out.getvalue()))
            outcomes["ok"] += 1
        except (RuntimeError, pickle.UnpicklingError) as e:
            outcomes[type(e).__name__] += 1
    assert outcomes["UnpicklingError"] > 50, outcomes
    assert _snapshot() == before
    _genuine_loads_right()


# ------------------------------------------------------------------------------- 4. jit
class _System:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def test_jit_load_runs_nothing_from_the_file(tmp_path):
    marker = tmp_path / "pwned"
    cmd = f"touch {marker}"
    plain = tmp_path / "plain.pt"                  # what jit.save used to write: a bare pickle
    plain.write_bytes(pickle.dumps(("torchlike.jit", 1, _System(cmd))))
    with pytest.raises(RuntimeError, match="PytorchStreamReader failed"):
        torchlike.jit.load(str(plain))
    zipped = tmp_path / "zipped.pt"
    zipped.write_bytes(archive(pkl(g("os", "system"), tup(s(cmd)), P.REDUCE)))
    with pytest.raises(pickle.UnpicklingError, match="module os is blocked"):
        torchlike.jit.load(str(zipped))
    other = tmp_path / "other.pt"                  # any other callable: refused too
    other.write_bytes(archive(pkl(g("subprocess", "getoutput"), tup(s(cmd)), P.REDUCE)))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL subprocess.getoutput"):
        torchlike.jit.load(str(other))
    assert not marker.exists()


def test_jit_load_imports_nothing_and_calls_no_module_class():
    import sys
    assert "this" not in sys.modules               # importing `this` would print the Zen
    data = archive(pkl(g("this", "Thing"), P.EMPTY_TUPLE, P.NEWOBJ))
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL this.Thing"):
        torchlike.jit.load(io.BytesIO(data))
    assert "this" not in sys.modules
    big = archive(pkl(g("torch.nn.modules.linear", "Linear"), tup(i(1 << 20), i(1 << 20)),
                      P.REDUCE))                   # Linear(2**20, 2**20): 4 TiB of weights
    with pytest.raises(pickle.UnpicklingError, match="Trying to call reduce"):
        torchlike.jit.load(io.BytesIO(big))


def test_jit_save_load_traced_and_scripted_modules(tmp_path):
    nn = torchlike.nn
    torchlike.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = torchlike.randn(2, 3)
    traced = torchlike.jit.trace(m, x)
    torchlike.jit.save(traced, str(tmp_path / "t.pt"))
    back = torchlike.jit.load(str(tmp_path / "t.pt"))
    assert isinstance(back, torchlike.jit.TracedModule)
    np.testing.assert_allclose(back(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    torchlike.jit.save(torchlike.jit.script(m), str(tmp_path / "s.pt"))
    s2 = torchlike.jit.load(str(tmp_path / "s.pt"), map_location="cpu")
    assert type(s2) is nn.Sequential
    np.testing.assert_allclose(s2(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="saves modules"):
        torchlike.jit.save(torchlike.jit.trace(lambda a: a * 2, x), str(tmp_path / "f.pt"))


# ------------------------------------------------------------------------------- hub
def test_hub_loads_weights_only(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    good = src / "good.pth"
    torchlike.save({"w": torchlike.tensor([1.0, 2.0])}, str(good))
    sd = torchlike.hub.load_state_dict_from_url(good.as_uri(), model_dir=str(tmp_path / "c"))
    assert sd["w"].tolist() == [1.0, 2.0] and (tmp_path / "c" / "good.pth").exists()
    marker = tmp_path / "pwned"
    evil = src / "evil.pth"
    evil.write_bytes(archive(pkl(g("subprocess", "getoutput"), tup(s(f"touch {marker}")),
                                 P.REDUCE)))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torchlike.hub.load_state_dict_from_url(evil.as_uri(), model_dir=str(tmp_path / "c"))
    assert not marker.exists()
    import hashlib
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    named = src / f"m-{digest[:8]}.pth"
    named.write_bytes(good.read_bytes())
    assert torchlike.hub.load_state_dict_from_url(named.as_uri(), model_dir=str(tmp_path / "d"),
                                                  check_hash=True)["w"].tolist() == [1.0, 2.0]
    wrong = src / "m-0000.pth"
    wrong.write_bytes(good.read_bytes())
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "0000"'):
        torchlike.hub.load_state_dict_from_url(wrong.as_uri(), model_dir=str(tmp_path / "e"),
                                               check_hash=True)
    assert os.listdir(tmp_path / "e") == []
