"""Cost of the index checks inside a torchlike.compile'd training step (docs/reliability.md).

The step: embedding (vocabulary V, width D) -> Linear -> cross_entropy over V classes -> Adam,
on B token ids a step; its program checks the ids (embedding) and the targets (cross_entropy).
Two steps are compiled from the same code, one with the checks (the default) and one with
`torchlike._checks.COMPILED = False` (unchecked, as JAX would run it), and timed interleaved
(so both see the same machine load), in two ways:
- `sync`: each step followed by `loss.item()` (a loop that logs its loss);
- `async`: N steps queued, then one wait (the checked step still reads its flag each step).
Run: python benchmarks/checked_compile.py [--V 1000 --D 64 --B 512 --steps 200]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torchlike  # noqa: E402
from torchlike import _checks  # noqa: E402


def make_step(V, D, checked):
    torchlike.manual_seed(0)
    model = torchlike.nn.Sequential(torchlike.nn.Embedding(V, D), torchlike.nn.Linear(D, V))
    opt = torchlike.optim.Adam(model.parameters(), lr=1e-3)

    def step(ids, target):
        opt.zero_grad()
        loss = torchlike.nn.functional.cross_entropy(model(ids), target)
        loss.backward()
        opt.step()
        return loss

    step.__name__ = "checked" if checked else "unchecked"
    f = torchlike.compile(step)
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--V", type=int, default=1000)
    ap.add_argument("--D", type=int, default=64)
    ap.add_argument("--B", type=int, default=512)
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args()
    g = torchlike.Generator().manual_seed(1)
    ids = torchlike.randint(0, a.V, (a.B,), generator=g)
    target = torchlike.randint(0, a.V, (a.B,), generator=g)
    steps = {}
    for checked in (True, False):
        _checks.COMPILED = checked
        f = make_step(a.V, a.D, checked)
        for _ in range(3):  # eager first call, trace, first compiled call
            f(ids, target).item()
        steps[checked] = f
    _checks.COMPILED = True
    times = {True: [], False: []}
    for _ in range(a.steps):
        for checked, f in steps.items():
            t0 = time.perf_counter()
            f(ids, target).item()
            times[checked].append(time.perf_counter() - t0)
    bulk = {True: [], False: []}
    for _ in range(5):
        for checked, f in steps.items():
            t0 = time.perf_counter()
            for _ in range(a.steps // 5):
                loss = f(ids, target)
            loss.item()
            bulk[checked].append((time.perf_counter() - t0) / (a.steps // 5))
    print(f"compiled Adam step, Embedding({a.V}, {a.D}) + Linear({a.D}, {a.V}) + cross_entropy, "
          f"{a.B} ids a step, {a.steps} steps each, interleaved")
    for checked in (True, False):
        name = "checked  " if checked else "unchecked"
        print(f"  {name}: sync median {statistics.median(times[checked]) * 1e3:.3f} ms/step, "
              f"async median {statistics.median(bulk[checked]) * 1e3:.3f} ms/step")
    r = statistics.median(times[True]) / statistics.median(times[False])
    rb = statistics.median(bulk[True]) / statistics.median(bulk[False])
    print(f"  checked/unchecked: sync {r:.3f}x, async {rb:.3f}x")


if __name__ == "__main__":
    main()
