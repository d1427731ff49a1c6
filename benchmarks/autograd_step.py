"""Seed 000's two-layer net with raw tensor ops and a manual SGD update (N=64, 1000-100-10,
squared error summed), per step: torchlike eager with the cached compiled backward, the same
with the cache off (each backward re-traces its program and runs it op by op), and real
PyTorch eager. Also the cost of one eager `a + b` on 8x8 float32.

    python benchmarks/autograd_step.py [--steps 200]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_step(torch, lr=1e-6):
    r = np.random.default_rng(0)
    x = torch.tensor(r.standard_normal((64, 1000)).astype(np.float32))
    y = torch.tensor(r.standard_normal((64, 10)).astype(np.float32))
    w1 = torch.tensor(r.standard_normal((1000, 100)).astype(np.float32)).requires_grad_()
    w2 = torch.tensor(r.standard_normal((100, 10)).astype(np.float32)).requires_grad_()

    def step():
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w1.sub_(lr * w1.grad)
            w2.sub_(lr * w2.grad)
            w1.grad.zero_()
            w2.grad.zero_()
        return loss
    return step


def per_step_us(step, steps, rounds=5):
    for _ in range(10):
        step()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            loss = step()
        float(loss.item())
        out.append((time.perf_counter() - t0) / steps * 1e6)
    return statistics.median(out)


def add_us(torch, n=20000):
    a, b = torch.ones(8, 8), torch.ones(8, 8)
    for _ in range(200):
        a + b
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            a + b
        ts.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(ts)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    a = ap.parse_args(argv)
    import torchlike
    from torchlike.autograd import engine
    rows = {}
    rows["torchlike eager, cached backward"] = per_step_us(make_step(torchlike), a.steps)
    engine.USE_CACHE[0] = False
    rows["torchlike eager, uncached backward"] = per_step_us(make_step(torchlike),
                                                             max(a.steps // 10, 5))
    engine.USE_CACHE[0] = True
    add = {"torchlike": add_us(torchlike)}
    try:
        import torch
        torch.set_num_threads(1)
        rows["PyTorch eager"] = per_step_us(make_step(torch), a.steps)
        add["PyTorch"] = add_us(torch)
    except ImportError:
        pass
    base = rows.get("PyTorch eager")
    print("| two-layer net step | µs (median) | / PyTorch |\n|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v:.0f} | {v / base:.2f} |" if base else f"| {k} | {v:.0f} | - |")
    print("\n| 8x8 float32 `a + b` | µs per call |\n|---|---|")
    for k, v in add.items():
        print(f"| {k} | {v:.1f} |")


if __name__ == "__main__":
    main()
