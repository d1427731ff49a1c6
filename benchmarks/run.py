"""Eager vs compiled benchmarks on the seed workloads.

    python benchmarks/run.py            # all workloads, full repetitions
    python benchmarks/run.py --quick    # few repetitions (CI smoke run, well under a minute)
    python benchmarks/run.py --only W1,W4 --png benchmarks/results/steps.png

Prints a Markdown table: median microseconds per training step for torchlike eager, torchlike
compiled, hand-written JAX + optax under jax.jit, and real PyTorch eager (when installed), the
ratios between them taken in the same run, and the first compiled call's time (trace + XLA
compile). Speed is reported, never asserted.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import workloads as W  # noqa: E402


def _sync(x):
    v = getattr(x, "_v", x)
    if hasattr(v, "block_until_ready"):
        v.block_until_ready()
    elif hasattr(x, "item"):
        x.item()


def time_steps(step, reps, warmup, rounds=5):
    """Median over `rounds` of the mean step time of `reps` steps, in microseconds."""
    for _ in range(warmup):
        _sync(step())
    means = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            out = step()
        _sync(out)
        means.append((time.perf_counter() - t0) / reps * 1e6)
    return statistics.median(means)


def bench(name, reps, warmup, with_torch):
    import torchlike
    spec = W.WORKLOADS[name]()
    row = {"workload": spec["name"]}
    eager, _ = W.build_torchlike_like(torchlike, spec)
    row["eager"] = time_steps(eager, reps, warmup)

    step, _ = W.build_torchlike_like(torchlike, spec)
    compiled = torchlike.compile(step)
    _sync(compiled())                       # eager call: creates grads and optimizer state
    t0 = time.perf_counter()
    _sync(compiled())                       # trace + XLA compile
    row["first_call_s"] = time.perf_counter() - t0
    row["compiled"] = time_steps(compiled, reps, warmup)

    jstep = W.build_jax(spec)
    row["jax"] = time_steps(jstep, reps, warmup)
    if with_torch:
        try:
            import torch
            torch.set_num_threads(1)
            tstep, _ = W.build_torchlike_like(torch, spec)
            row["torch"] = time_steps(tstep, reps, warmup)
        except ImportError:
            pass
    return row


def table(rows):
    cols = ["workload", "eager", "compiled", "jax", "torch", "compiled/jax", "compiled/torch",
            "eager/torch", "compiled/eager", "first_call_s"]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        def ratio(a, b):
            return f"{r[a] / r[b]:.2f}" if a in r and b in r else "-"
        vals = [r["workload"], *(f"{r[k]:.0f}" if k in r else "-"
                                 for k in ("eager", "compiled", "jax", "torch")),
                ratio("compiled", "jax"), ratio("compiled", "torch"), ratio("eager", "torch"),
                ratio("compiled", "eager"), f"{r['first_call_s']:.2f}"]
        out.append("| " + " | ".join(vals) + " |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=",".join(W.WORKLOADS))
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--png")
    a = ap.parse_args(argv)
    reps, warmup = (5, 2) if a.quick else (50, 10)
    rows = []
    for name in a.only.split(","):
        rows.append(bench(name, reps, warmup, not a.no_torch))
        print(f"done {name}", file=sys.stderr)
    print("median µs per training step (lower is better); ratios from this run\n")
    print(table(rows))
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if a.png:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not installed: no chart", file=sys.stderr)
            return
        import numpy as np
        keys = [k for k in ("eager", "compiled", "jax", "torch") if any(k in r for r in rows)]
        xs = np.arange(len(rows))
        fig, ax = plt.subplots(figsize=(10, 4))
        for i, k in enumerate(keys):
            ax.bar(xs + i * 0.2, [r.get(k, 0) for r in rows], 0.2, label=k)
        ax.set_xticks(xs + 0.3, [r["workload"] for r in rows], rotation=15)
        ax.set_ylabel("µs per step")
        ax.set_yscale("log")
        ax.legend()
        fig.tight_layout()
        os.makedirs(os.path.dirname(a.png) or ".", exist_ok=True)
        fig.savefig(a.png)


if __name__ == "__main__":
    main()
