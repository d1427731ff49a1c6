"""Tests for torchlike/_tensor_str.py: literal expectations plus byte-for-byte
comparison against real PyTorch's repr() when torch is importable."""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

# Load the module straight from its file so these tests do not depend on the rest
# of the torchlike package.
_NAME = "_torchlike_tensor_str_under_test"
_PATH = Path(__file__).resolve().parents[1] / "torchlike" / "_tensor_str.py"
_spec = importlib.util.spec_from_file_location(_NAME, _PATH)
ts = importlib.util.module_from_spec(_spec)
sys.modules[_NAME] = ts  # dataclasses needs the module registered
_spec.loader.exec_module(ts)


@pytest.fixture(autouse=True)
def _reset_options():
    yield
    ts.set_printoptions(profile="default")
    ts.DEFAULT_DTYPE_NAME = "float32"
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------- literal tests (no torch)

def test_literal_basic():
    assert ts.tensor_str(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), "float32") == \
        "tensor([[1., 2.],\n        [3., 4.]])"
    assert ts.tensor_str(np.array([1, 2, 3]), "int64") == "tensor([1, 2, 3])"
    assert ts.tensor_str(np.array([1, -20]), "int32") == "tensor([  1, -20], dtype=torch.int32)"
    assert ts.tensor_str(np.array([0.5, 1.25], np.float64), "float64") == \
        "tensor([0.5000, 1.2500], dtype=torch.float64)"
    assert ts.tensor_str(np.array([True, False]), "bool") == "tensor([ True, False])"


def test_literal_scalars_and_empty():
    assert ts.tensor_str(np.array(3.0, np.float32), "float32") == "tensor(3.)"
    assert ts.tensor_str(np.array(True), "bool") == "tensor(True)"
    assert ts.tensor_str(np.array(7), "int64") == "tensor(7)"
    assert ts.tensor_str(np.array(float("nan"), np.float32), "float32") == "tensor(nan)"
    assert ts.tensor_str(np.zeros(0, np.float32), "float32") == "tensor([])"
    assert ts.tensor_str(np.zeros((0, 3), np.float32), "float32") == "tensor([], size=(0, 3))"
    assert ts.tensor_str(np.zeros(0, np.int64), "int64") == "tensor([], dtype=torch.int64)"


def test_literal_float_modes():
    assert ts.tensor_str(np.array([1e-5, 1.0], np.float32), "float32") == \
        "tensor([1.0000e-05, 1.0000e+00])"
    assert ts.tensor_str(np.array([float("nan"), -float("inf"), 2.0], np.float32), "float32") == \
        "tensor([nan, -inf, 2.])"
    assert ts.tensor_str(np.array([-0.0, 1.0], np.float32), "float32") == "tensor([-0., 1.])"


def test_literal_summarize_and_suffixes():
    assert ts.tensor_str(np.arange(2000), "int64") == \
        "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"
    got = ts.tensor_str(np.array([1.0, 2.0]), "float64", suffixes=["requires_grad=True"],
                        device="cuda:0")
    assert got == "tensor([1., 2.], device='cuda:0', dtype=torch.float64, requires_grad=True)"
    assert ts.tensor_str(np.array([1.5]), "float32", is_default_dtype=False) == \
        "tensor([1.5000], dtype=torch.float32)"


def test_literal_printoptions():
    ts.set_printoptions(precision=2)
    assert ts.tensor_str(np.array([1.12345], np.float32), "float32") == "tensor([1.12])"
    ts.set_printoptions(threshold=5)
    assert ts.tensor_str(np.arange(10), "int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    ts.set_printoptions(profile="default")
    assert ts.get_printoptions() == dict(precision=4, threshold=1000, edgeitems=3,
                                         linewidth=80, sci_mode=None)
    with ts.printoptions(profile="full"):
        assert ts.get_printoptions()["threshold"] == math.inf
    assert ts.get_printoptions()["threshold"] == 1000


# ---------------------------------------------------------------- comparisons with torch

_rng = np.random.default_rng(1234)


def _randn(*shape, scale=1.0, dtype=np.float32):
    return (_rng.standard_normal(shape) * scale).astype(dtype)


_nan, _inf = float("nan"), float("inf")

# (id, array, dtype_name, printoptions or None)
CASES = [
    ("int64_small", np.array([1, -2, 3, 40]), "int64", None),
    ("int64_big", np.array([10**12, -5, 7]), "int64", None),
    ("int8", np.array([[-128, 0], [5, 127]], np.int8), "int8", None),
    ("int16", np.arange(-5, 5, dtype=np.int16).reshape(2, 5), "int16", None),
    ("int32", np.array([3, 1, 4, 1, 5], np.int32), "int32", None),
    ("uint8", np.array([0, 255, 17], np.uint8), "uint8", None),
    ("bool_1d", np.array([True, False, True]), "bool", None),
    ("bool_2d", _rng.random((3, 4)) > 0.5, "bool", None),
    ("f32_randn_2d", _randn(3, 4), "float32", None),
    ("f32_tiny", _randn(5, scale=1e-5), "float32", None),
    ("f32_huge", _randn(5, scale=1e9), "float32", None),
    ("f32_mixed_ratio", np.array([0.5, 2000.0, -3.25], np.float32), "float32", None),
    ("f32_below_1e-4", np.array([0.5, 5e-5], np.float32), "float32", None),
    ("f32_integral", np.array([[1.0, -2.0], [300.0, 0.0]], np.float32), "float32", None),
    ("f32_integral_big", np.array([1e9, 2.0, -3.0], np.float32), "float32", None),
    ("f32_nan_inf", np.array([_nan, _inf, -_inf, 1.5, -0.25], np.float32), "float32", None),
    ("f32_nan_inf_int", np.array([_nan, _inf, 3.0], np.float32), "float32", None),
    ("f32_all_nan", np.array([_nan, _nan], np.float32), "float32", None),
    ("f32_zeros", np.zeros((2, 3), np.float32), "float32", None),
    ("f32_negzero", np.array([-0.0, 0.0, -0.0], np.float32), "float32", None),
    ("f32_negzero_frac", np.array([-0.0, 0.5], np.float32), "float32", None),
    ("f32_rounding", np.array([9.99999, 0.00005, 1.23456789], np.float32), "float32", None),
    ("f32_0d", np.array(0.123456, np.float32), "float32", None),
    ("f32_0d_sci", np.array(1.5e-7, np.float32), "float32", None),
    ("f32_0d_inf", np.array(-_inf, np.float32), "float32", None),
    ("i64_0d", np.array(-42), "int64", None),
    ("bool_0d", np.array(False), "bool", None),
    ("empty_f32", np.zeros(0, np.float32), "float32", None),
    ("empty_0x3", np.zeros((0, 3), np.float32), "float32", None),
    ("empty_2x0x4_i32", np.zeros((2, 0, 4), np.int32), "int32", None),
    ("empty_bool", np.zeros(0, bool), "bool", None),
    ("empty_f64", np.zeros((3, 0)), "float64", None),
    ("f64", _randn(2, 3, dtype=np.float64), "float64", None),
    ("f64_precise", np.array([1 / 3, 2 / 3, 1e-3]), "float64", None),
    ("f16", _randn(4, 2, dtype=np.float16), "float16", None),
    ("f16_big", np.array([60000.0, 1.0, -0.001], np.float16), "float16", None),
    ("bf16", _randn(3, 3), "bfloat16", None),
    ("bf16_int", np.array([1.0, 257.0, 3.0], np.float32), "bfloat16", None),
    ("bf16_0d", np.array(0.3, np.float32), "bfloat16", None),
    ("c64", (_randn(4) + 1j * _randn(4)).astype(np.complex64), "complex64", None),
    ("c64_2d", (_randn(2, 3) + 1j * _randn(2, 3)).astype(np.complex64), "complex64", None),
    ("c64_int", np.array([1 + 2j, -3 - 0j, 0 + 0j], np.complex64), "complex64", None),
    ("c64_sci", np.array([1e-6 + 1j, 5 - 2e5j], np.complex64), "complex64", None),
    ("c64_0d", np.array(1.5 - 2.5j, np.complex64), "complex64", None),
    ("c128", (_randn(3) + 1j * _randn(3)).astype(np.complex128), "complex128", None),
    ("c64_empty", np.zeros(0, np.complex64), "complex64", None),
    ("f32_3d", _randn(2, 3, 4), "float32", None),
    ("i64_4d", np.arange(48).reshape(2, 2, 3, 4), "int64", None),
    ("f32_wide_row", _randn(30), "float32", None),
    ("f32_wide_2d", _randn(3, 25, scale=100), "float32", None),
    ("i64_wide", np.arange(100) * 37, "int64", None),
    ("f64_wide", _randn(2, 15, dtype=np.float64), "float64", None),
    ("c64_wide", (_randn(12) + 1j * _randn(12)).astype(np.complex64), "complex64", None),
    ("sum_arange", np.arange(2000), "int64", None),
    ("sum_2d", _randn(100, 100), "float32", None),
    ("sum_3d", _randn(10, 20, 30, scale=1e3), "float32", None),
    ("sum_bool", _rng.random(2000) > 0.3, "bool", None),
    ("sum_c64", (_randn(40, 40) + 1j * _randn(40, 40)).astype(np.complex64), "complex64", None),
    ("sum_narrow_dim", _randn(1001, 2), "float32", None),
    ("sum_hidden_tiny", np.concatenate([np.ones(500), [1e-9], np.ones(600)]).astype(np.float32),
     "float32", None),
    ("opt_precision2", _randn(3, 3), "float32", dict(precision=2)),
    ("opt_precision8", _randn(4, dtype=np.float64), "float64", dict(precision=8)),
    ("opt_precision0", np.array([1.5, 2.25, -0.5], np.float32), "float32", dict(precision=0)),
    ("opt_sci_true", _randn(2, 3), "float32", dict(sci_mode=True)),
    ("opt_sci_true_int", np.array([1.0, 2.0, 100.0], np.float32), "float32", dict(sci_mode=True)),
    ("opt_sci_false", np.array([1e-6, 1e9], np.float32), "float32", dict(sci_mode=False)),
    ("opt_threshold5", np.arange(10), "int64", dict(threshold=5)),
    ("opt_threshold5_2d", _randn(4, 7), "float32", dict(threshold=5)),
    ("opt_edgeitems1", _randn(5, 6, 7), "float32", dict(threshold=10, edgeitems=1)),
    ("opt_edgeitems0_1d", np.arange(20), "int64", dict(threshold=5, edgeitems=0)),
    ("opt_edgeitems0_2d", _randn(4, 5), "float32", dict(threshold=5, edgeitems=0)),
    ("opt_edgeitems0_small", _randn(2, 2), "float32", dict(edgeitems=0)),
    ("opt_linewidth40", _randn(3, 12), "float32", dict(linewidth=40)),
    ("opt_linewidth10", np.arange(12), "int64", dict(linewidth=10)),
    ("opt_short", _randn(10, 10), "float32", dict(profile="short", threshold=20)),
    ("opt_full", np.arange(1500), "int64", dict(profile="full")),
]


def _to_torch(torch, arr, dtype_name):
    if dtype_name == "bfloat16":
        return torch.from_numpy(np.array(arr, np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(arr))


@pytest.mark.parametrize("cid,arr,dtype_name,opts", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(cid, arr, dtype_name, opts):
    torch = pytest.importorskip("torch")
    t = _to_torch(torch, arr, dtype_name)
    assert str(t.dtype) == "torch." + dtype_name
    if opts:
        torch.set_printoptions(**opts)
        ts.set_printoptions(**opts)
    assert ts.tensor_str(arr, dtype_name) == repr(t)


_GRAD_CASES = [c for c in CASES if c[2] in ("float32", "float64", "complex64") and c[0] in (
    "f32_randn_2d", "f64", "f64_wide", "f32_0d", "c64", "sum_2d", "f32_integral", "empty_f32",
    "opt_linewidth40", "opt_edgeitems0_2d")]


@pytest.mark.parametrize("cid,arr,dtype_name,opts", _GRAD_CASES, ids=[c[0] for c in _GRAD_CASES])
def test_grad_suffixes_match_torch(cid, arr, dtype_name, opts):
    torch = pytest.importorskip("torch")
    if opts:
        torch.set_printoptions(**opts)
        ts.set_printoptions(**opts)
    leaf = _to_torch(torch, arr, dtype_name).requires_grad_()
    assert ts.tensor_str(arr, dtype_name, suffixes=["requires_grad=True"]) == repr(leaf)
    out = leaf * 1
    assert ts.tensor_str(arr, dtype_name, suffixes=["grad_fn=<MulBackward0>"]) == repr(out)


@pytest.mark.parametrize("cid", ["f32_randn_2d", "f64", "c64", "c128", "empty_f32",
                                 "empty_f64", "bf16", "i64_0d"])
def test_default_dtype_float64_matches_torch(cid):
    torch = pytest.importorskip("torch")
    _, arr, dtype_name, _ = next(c for c in CASES if c[0] == cid)
    torch.set_default_dtype(torch.float64)
    ts.DEFAULT_DTYPE_NAME = "float64"
    assert ts.tensor_str(arr, dtype_name) == repr(_to_torch(torch, arr, dtype_name))


def test_random_fuzz_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for i in range(150):
        shape = tuple(rng.integers(1, 6, size=rng.integers(0, 4)))
        dtype_name = ["float32", "float64", "float16", "int64", "int32", "complex64"][i % 6]
        mag = 10.0 ** rng.integers(-6, 10)
        vals = rng.standard_normal(shape) * mag
        if rng.random() < 0.3:
            vals = np.round(vals)
        with np.errstate(over="ignore"):  # float16 may overflow to inf: fine
            if dtype_name == "complex64":
                arr = (vals + 1j * rng.standard_normal(shape)).astype(np.complex64)
            elif dtype_name.startswith("int"):
                arr = np.clip(vals, -2**31, 2**31 - 1).astype(dtype_name)
            else:
                arr = vals.astype(dtype_name)
        t = _to_torch(torch, arr, dtype_name)
        assert ts.tensor_str(arr, dtype_name) == repr(t), (shape, dtype_name, mag)
