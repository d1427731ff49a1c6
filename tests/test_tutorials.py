"""The public acceptance set: every program listed in tutorials_passing.txt must keep passing.

Runs ../shared/tutorials/run.py --backend torchlike --quick on the listed programs in one
runner invocation (skipped when ../shared is absent).
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
def test_listed_tutorial_programs_pass(tmp_path):
    names = _listed()
    progs = [os.path.join(SHARED, "tutorials", "programs", n + ".py") for n in names]
    missing = [p for p in progs if not os.path.exists(p)]
    assert not missing, f"listed programs not found: {missing}"
    r = subprocess.run([sys.executable, RUNNER, *progs, "--backend", "torchlike", "--quick",
                        "--timeout", "600"], capture_output=True, text=True, timeout=1800)
    tail = r.stdout[-4000:] + r.stderr[-2000:]
    assert r.returncode == 0, tail
    assert f"{len(names)} passed, 0 failed" in r.stdout, tail
