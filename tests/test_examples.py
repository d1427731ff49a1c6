"""The example programs under examples/ run to the end with tiny settings (offline, CPU)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLES = os.path.join(ROOT, "examples")


RUNS = {
    "two_layer_net": ("two_layer_net.py", "--steps", "20", "--compile"),
    "mnist_cnn": ("mnist_cnn.py", "--epochs", "1", "--batches", "5"),
    "binary_classifier": ("binary_classifier.py", "--epochs", "20"),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every example at once (most of each run is interpreter and XLA start-up)."""
    cwd = tmp_path_factory.mktemp("examples")
    procs = {k: subprocess.Popen([sys.executable, os.path.join(EXAMPLES, name), *args], cwd=cwd,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k, (name, *args) in RUNS.items()}
    yield cwd, procs
    for p in procs.values():
        if p.poll() is None:
            p.kill()


def _result(runs, key):
    cwd, procs = runs
    out, err = procs[key].communicate(timeout=300)
    tail = out[-3000:] + err[-3000:]
    assert procs[key].returncode == 0, tail
    return cwd, out.strip().splitlines(), tail


def _decreased(line):
    first, last = map(float, re.search(r"loss (\S+) -> (\S+)", line).groups())
    return last < first


def test_two_layer_net_compiled(runs):
    _, lines, tail = _result(runs, "two_layer_net")
    pattern = r"(tensors|nn\.Sequential \+ Adam|TwoLayerNet \+ SGD): loss "
    summaries = [ln for ln in lines if re.match(pattern, ln)]
    assert len(summaries) == 3, tail
    assert all(_decreased(ln) for ln in summaries), tail
    assert lines[-1].startswith("TwoLayerNet + SGD: loss "), tail


def test_mnist_cnn(runs):
    _, lines, tail = _result(runs, "mnist_cnn")
    pattern = r"test accuracy [0-9.]+ on \d+ images; training took .* \(eager\)$"
    assert re.match(pattern, lines[-1]), tail


def test_binary_classifier(runs):
    cwd, lines, tail = _result(runs, "binary_classifier")
    assert lines[-1].startswith("final accuracy "), tail
    assert _decreased(lines[-1]), tail
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    saved = [ln for ln in lines if ln.startswith("loss curve saved to ")]
    assert saved, tail
    png = saved[-1][len("loss curve saved to "):]
    assert os.path.dirname(os.path.abspath(png)) != str(cwd)   # not into the working folder
    assert os.path.getsize(png) > 0
