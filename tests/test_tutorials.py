"""The public acceptance set: every program listed in tutorials_passing.txt must keep passing.

Runs ../shared/tutorials/run.py --backend torchlike --quick on each listed program, one test
item per program (skipped when ../shared is absent).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import SHARED

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(SHARED, "tutorials", "run.py")


def _listed():
    with open(os.path.join(HERE, "tutorials_passing.txt")) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]


@pytest.mark.skipif(not os.path.exists(RUNNER), reason="../shared/tutorials is not present")
@pytest.mark.parametrize("name", _listed())
def test_listed_tutorial_program_passes(name):
    prog = os.path.join(SHARED, "tutorials", "programs", name + ".py")
    assert os.path.exists(prog), f"listed program not found: {prog}"
    r = subprocess.run([sys.executable, RUNNER, prog, "--backend", "torchlike", "--quick",
                        "--timeout", "600"], capture_output=True, text=True, timeout=900)
    tail = r.stdout[-4000:] + r.stderr[-2000:]
    assert r.returncode == 0, tail
    assert "1 passed, 0 failed" in r.stdout, tail
