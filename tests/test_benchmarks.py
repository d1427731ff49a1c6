"""Smoke test of benchmarks/run.py: the table's shape and that its cells are numbers.

Speeds are never asserted: the machine running the tests is not a benchmark machine.
"""
from __future__ import annotations

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


@pytest.mark.skipif(not os.path.exists(RUN), reason="benchmarks/ not in this checkout")
def test_quick_w4_table(tmp_path):
    out_json = tmp_path / "rows.json"
    p = subprocess.run([sys.executable, RUN, "--quick", "--only", "W4", "--no-torch",
                        "--json", str(out_json)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("|")]
    assert len(lines) == 3, p.stdout                 # header, separator, one row
    cells = lambda ln: [c.strip() for c in ln.strip("|").split("|")]  # noqa: E731
    header, row = cells(lines[0]), dict(zip(cells(lines[0]), cells(lines[2])))
    assert header == COLUMNS
    assert row["workload"].startswith("W4")
    for col in NUMERIC:
        assert float(row[col]) > 0, (col, row[col])
    for col in ("torch", "torch.compile", "compiled/torch", "tc_first_s"):
        assert row[col] == "-", (col, row[col])       # --no-torch
    assert "peak memory" not in p.stdout             # --quick leaves the memory table off

    data = json.loads(out_json.read_text())
    (r,) = data["rows"]
    assert r["key"] == "W4" and data["meta"]["quick"] is True
    for k in ("eager", "compiled", "jax", "first_call_s"):
        assert isinstance(r[k], float) and r[k] > 0
    assert "torch" not in r and "compiled/jax" in r["ratios"]
