"""Shared test helpers. Parity tests compare against real PyTorch and skip where it is absent."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
sys.path.insert(0, ROOT)

# JAX's persistent compilation cache, shared by every test process and the programs they start
# (tutorials, examples, benchmarks' smoke runs inherit the environment). Set before jax loads.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(ROOT, ".jax_cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.05")

import torchlike as torchlike_mod  # noqa: E402


@pytest.fixture(scope="session")
def torch():
    """Real PyTorch (skips the test when it is not installed)."""
    return pytest.importorskip("torch")


def to_torch(torch_mod, t):
    """A real torch tensor with the same values as a torchlike tensor."""
    return torch_mod.from_numpy(np.array(t.detach().numpy()))


def assert_close(actual, expected, rtol=1e-5, atol=1e-6):
    a = np.asarray(actual.detach().numpy() if hasattr(actual, "detach") else actual)
    e = np.asarray(expected.detach().numpy() if hasattr(expected, "detach") else expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def results_or_same_error(torch_mod, f):
    """Run `f(module)` on torch, then on torchlike. Where torch raises, torchlike must raise
    the same type with the same message (returns None); else (torchlike's, torch's) results."""
    try:
        want = f(torch_mod)
    except Exception as e:  # noqa: BLE001 - torchlike must raise the same type and message
        with pytest.raises(type(e)) as info:
            f(torchlike_mod)
        assert str(info.value) == str(e)
        return None
    return f(torchlike_mod), want


def pytest_terminal_summary(terminalreporter):
    """Say why tests were skipped when real PyTorch is missing, and how to run them."""
    skipped = terminalreporter.stats.get("skipped", [])
    n = sum(1 for r in skipped if "import 'torch'" in str(getattr(r, "longrepr", "")))
    if n:
        terminalreporter.write_line(
            f"{n} tests were skipped because real PyTorch is not installed; they compare "
            "torchlike with it. Run them with: pip install -e \".[dev,torch]\"")
