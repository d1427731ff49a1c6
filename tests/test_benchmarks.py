"""Smoke tests of benchmarks/run.py: the table's shape and that its cells are numbers, without
PyTorch and with PyTorch timed in its own subprocess.

Speeds are never asserted: the machine running the tests is not a benchmark machine.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")

COLUMNS = ["workload", "eager", "compiled", "jax", "torch", "torch.compile", "compiled/jax",
           "compiled/torch", "compiled/torch.compile", "eager/torch", "compiled/eager",
           "first_call_s", "tc_first_s"]
NUMERIC = ["eager", "compiled", "jax", "compiled/jax", "compiled/eager", "first_call_s"]


needs_run = pytest.mark.skipif(not os.path.exists(RUN), reason="benchmarks/ not in this checkout")


def _run_quick_w4(tmp_path, *extra):
    out_json = tmp_path / "rows.json"
    p = subprocess.run([sys.executable, RUN, "--quick", "--only", "W4", *extra,
                        "--json", str(out_json)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("|")]
    assert len(lines) == 3, p.stdout                 # header, separator, one row
    cells = lambda ln: [c.strip() for c in ln.strip("|").split("|")]  # noqa: E731
    header, row = cells(lines[0]), dict(zip(cells(lines[0]), cells(lines[2])))
    assert header == COLUMNS
    return p, row, json.loads(out_json.read_text())


@needs_run
def test_quick_w4_table(tmp_path):
    p, row, data = _run_quick_w4(tmp_path, "--no-torch")
    assert row["workload"].startswith("W4")
    for col in NUMERIC:
        assert float(row[col]) > 0, (col, row[col])
    for col in ("torch", "torch.compile", "compiled/torch", "tc_first_s"):
        assert row[col] == "-", (col, row[col])       # --no-torch
    assert "peak memory" not in p.stdout             # --quick leaves the memory table off
    assert "PyTorch not timed" in p.stdout

    (r,) = data["rows"]
    assert r["key"] == "W4" and data["meta"]["quick"] is True
    for k in ("eager", "compiled", "jax", "first_call_s"):
        assert isinstance(r[k], float) and r[k] > 0
    assert "torch" not in r and "compiled/jax" in r["ratios"]
    assert "torch" not in data["meta"] and "torch_threads" not in data["meta"]


@needs_run
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch not installed")
def test_quick_w4_torch_subprocess(tmp_path):
    """PyTorch eager is timed in its own process (no JAX there) at its default thread count."""
    p, row, data = _run_quick_w4(tmp_path)
    assert float(row["torch"]) > 0, row["torch"]
    for col in ("compiled/torch", "eager/torch"):    # 2 decimals: a loaded machine can print 0.00
        assert float(row[col]) >= 0, (col, row[col])
    for col in ("torch.compile", "tc_first_s"):
        assert row[col] == "-", (col, row[col])       # --quick leaves torch.compile off
    meta = data["meta"]
    assert meta["torch_threads_source"] == "default"
    assert isinstance(meta["torch_threads"], int) and meta["torch_threads"] >= 1
    assert f"{meta['torch_threads']} intra-op thread(s) (its default)" in p.stdout
    assert "XLA's CPU runtime uses all" in p.stdout
    (r,) = data["rows"]
    assert r["torch"] > 0 and r["torch_threads"] == meta["torch_threads"]
    assert r["ratios"]["compiled/torch"] > 0 and r["ratios"]["eager/torch"] > 0
