"""Eager vs compiled benchmarks on the seed workloads.

    python benchmarks/run.py                # all workloads, full repetitions, torch.compile,
                                            # memory table (about 5 minutes on 2 cores)
    python benchmarks/run.py --quick        # CI smoke run: few repetitions, no torch.compile,
                                            # no memory table (30-45 s on 2 cores)
    python benchmarks/run.py --quick --torch-compile       # quick, but with torch.compile
    python benchmarks/run.py --only W1,W4 --png benchmarks/results/steps.png
    python benchmarks/run.py --json benchmarks/results/steps.json   # rows for docs tooling
    python benchmarks/run.py --no-memory --no-torch-compile         # timing table only

Prints a Markdown table: median microseconds per training step for torchlike eager, torchlike
compiled (`torchlike.compile(step)`), hand-written JAX + optax under jax.jit, real PyTorch eager
and real PyTorch with `torch.compile(model)` (both when installed; the optimizer step stays
eager), the ratios between them taken in the same run, and first-call times: `first_call_s` is
torchlike's first compiled call (trace + XLA compile; an eager call that creates grads and
optimizer state precedes it), `tc_first_s` is the first training step through `torch.compile`
(dynamo + inductor forward and backward compile). Inductor caches compiled kernels on disk
(/tmp/torchinductor_$USER), so `tc_first_s` of a first-ever run is several times that of a later
one; `--tc-cold` disables inductor's caches to measure the cold figure. If torch.compile fails, its
cells show "-" and the reason is printed once to stderr. PyTorch runs with
`torch.set_num_threads(1)`, while XLA's CPU runtime uses every core for its dots and convolutions.

With --memory (the default outside --quick) every (workload, variant) pair also runs in a fresh
process (`run.py --_mem W1:compiled`) that builds the workload, records its resident set size,
does warm-up and a few steps, and reports the peak RSS above that baseline: XLA's CPU buffers are
invisible to Python allocators. A second table prints those MiB. Timings never come from those
processes. Speed is reported, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import workloads as W  # noqa: E402

VARIANTS = ("eager", "compiled", "jax", "torch", "torch_compile")
HEADERS = {"torch_compile": "torch.compile"}
MEM_STEPS = (3, 5)            # warm-up steps, then measured steps, in each memory process
_reported = set()


def _once(key, msg):
    """Print `msg` to stderr the first time `key` is seen."""
    if key not in _reported:
        _reported.add(key)
        print(msg, file=sys.stderr)


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


def _import_torch(tc_cold=False):
    try:
        import torch
    except ImportError as e:
        _once("torch", f"PyTorch not installed ({e}): no torch columns")
        return None
    torch.set_num_threads(1)
    if tc_cold:
        torch.compiler.config.force_disable_caches = True
    return torch


def build_variant(variant, spec, tc_cold=False):
    """A zero-argument training step for one variant (no step run yet)."""
    if variant in ("eager", "compiled"):
        import torchlike
        step, _ = W.build_torchlike_like(torchlike, spec)
        return torchlike.compile(step) if variant == "compiled" else step
    if variant == "jax":
        return W.build_jax(spec)
    torch = _import_torch(tc_cold)
    if torch is None:
        raise ImportError("torch is not installed")
    if variant == "torch":
        return W.build_torchlike_like(torch, spec)[0]
    torch._dynamo.reset()                   # each workload starts from an empty dynamo cache
    return W.build_torchlike_like(torch, spec, wrap_model=torch.compile)[0]


def bench(name, reps, warmup, rounds, with_torch, with_tc, tc_cold=False):
    spec = W.WORKLOADS[name]()
    row = {"key": name, "workload": spec["name"]}
    row["eager"] = time_steps(build_variant("eager", spec), reps, warmup, rounds)

    compiled = build_variant("compiled", spec)
    _sync(compiled())                       # eager call: creates grads and optimizer state
    t0 = time.perf_counter()
    _sync(compiled())                       # trace + XLA compile
    row["first_call_s"] = time.perf_counter() - t0
    row["compiled"] = time_steps(compiled, reps, warmup, rounds)

    row["jax"] = time_steps(build_variant("jax", spec), reps, warmup, rounds)
    if with_torch and _import_torch(tc_cold) is not None:
        row["torch"] = time_steps(build_variant("torch", spec), reps, warmup, rounds)
        if with_tc:
            try:
                tstep = build_variant("torch_compile", spec, tc_cold)
                t0 = time.perf_counter()
                _sync(tstep())              # dynamo trace + inductor compile, forward and backward
                row["tc_first_s"] = time.perf_counter() - t0
                row["torch_compile"] = time_steps(tstep, reps, warmup, rounds)
            except Exception as e:          # noqa: BLE001 - never let torch.compile abort the run
                row.pop("tc_first_s", None)
                _once("torch.compile", f"torch.compile unavailable on {name} "
                                       f"({type(e).__name__}: {str(e).strip()[:500]}): shown as -")
    return row


RATIOS = (("compiled", "jax"), ("compiled", "torch"), ("compiled", "torch_compile"),
          ("eager", "torch"), ("compiled", "eager"))


def _ratios(r):
    return {f"{a}/{b}": r[a] / r[b] for a, b in RATIOS if a in r and b in r}


def _h(k):
    for a, b in HEADERS.items():
        k = k.replace(a, b)
    return k


def _md(cols, lines):
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(v) + " |" for v in lines]
    return "\n".join(out)


def table(rows):
    ratio_keys = [f"{a}/{b}" for a, b in RATIOS]
    cols = ["workload", *VARIANTS, *ratio_keys, "first_call_s", "tc_first_s"]
    lines = []
    for r in rows:
        ratios = _ratios(r)
        lines.append([r["workload"],
                      *(f"{r[k]:.0f}" if k in r else "-" for k in VARIANTS),
                      *(f"{ratios[k]:.2f}" if k in ratios else "-" for k in ratio_keys),
                      *(f"{r[k]:.2f}" if k in r else "-" for k in ("first_call_s", "tc_first_s"))])
    return _md([_h(c) for c in cols], lines)


def memory_table(rows, variants):
    lines = [[r["workload"], *(f"{r['mem'][v]['delta_mib']:.0f}" if v in r.get("mem", {})
                               else "-" for v in variants)] for r in rows]
    return _md(["workload", *(_h(v) for v in variants)], lines)


# --------------------------------------------------------------------------- peak memory


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes():
    """The process's RSS high-water mark. VmHWM, not ru_maxrss: after fork + exec ru_maxrss
    starts from the parent's peak, and /proc/self/clear_refs does not lower it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024    # KiB on Linux


def mem_child(arg, tc_cold=False):
    """Hidden entry `--_mem W1:compiled`: one JSON line with the peak RSS above the baseline."""
    name, variant = arg.split(":")
    step = build_variant(variant, W.WORKLOADS[name](), tc_cold)
    baseline = _rss_bytes()
    try:                                    # Linux >= 4.0: restart the high-water mark here
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass                                # the peak may then be one from the imports
    for _ in range(sum(MEM_STEPS)):
        _sync(step())
    peak = _peak_rss_bytes()
    print(json.dumps({"baseline_mib": baseline / 2**20, "peak_mib": peak / 2**20,
                      "delta_mib": max(peak - baseline, 0) / 2**20}))


def measure_memory(name, variant, tc_cold=False, timeout=600):
    cmd = [sys.executable, os.path.abspath(__file__), "--_mem", f"{name}:{variant}"]
    if tc_cold:
        cmd.append("--tc-cold")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"memory {name}:{variant}: timed out after {timeout}s", file=sys.stderr)
        return None
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0 or not lines:
        err = (p.stderr.strip().splitlines() or ["no output"])[-1]
        _once(f"mem:{variant}", f"memory {name}:{variant} failed (rc {p.returncode}): {err}")
        return None
    return json.loads(lines[-1])


# --------------------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="few repetitions; no torch.compile and no memory table unless asked")
    ap.add_argument("--only", default=",".join(W.WORKLOADS),
                    help=f"comma-separated subset of {','.join(W.WORKLOADS)}")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch and torch.compile")
    ap.add_argument("--torch-compile", action=argparse.BooleanOptionalAction, default=None,
                    help="time torch.compile(model) (default: on, off with --quick)")
    ap.add_argument("--tc-cold", action="store_true",
                    help="disable inductor's on-disk caches (cold torch.compile first call)")
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=None,
                    help="peak RSS per (workload, variant) in fresh processes "
                         "(default: on, off with --quick)")
    ap.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")
    ap.add_argument("--png", metavar="PATH", help="also draw a bar chart to PATH")
    ap.add_argument("--_mem", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._mem:
        return mem_child(a._mem, a.tc_cold)
    names = a.only.split(",")
    unknown = [n for n in names if n not in W.WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; choose from {list(W.WORKLOADS)}")
    with_tc = (not a.quick) if a.torch_compile is None else a.torch_compile
    with_tc = with_tc and not a.no_torch
    with_mem = (not a.quick) if a.memory is None else a.memory
    reps, warmup, rounds = (3, 2, 3) if a.quick else (50, 10, 5)

    t_start = time.perf_counter()
    rows = []
    for name in names:
        t0 = time.perf_counter()
        rows.append(bench(name, reps, warmup, rounds, not a.no_torch, with_tc, a.tc_cold))
        print(f"done {name} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    print("median µs per training step (lower is better); ratios from this run\n")
    print(table(rows))
    print(f"\npeak RSS of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True)

    mem_variants = [v for v in VARIANTS if any(v in r for r in rows)]
    if with_mem:
        for r in rows:
            r["mem"] = {}
            for v in mem_variants:
                if v in r:
                    m = measure_memory(r["key"], v, a.tc_cold)
                    if m is not None:
                        r["mem"][v] = m
            print(f"memory done {r['key']}", file=sys.stderr, flush=True)
        print(f"\npeak memory (MiB) above the process baseline (fresh process per cell: "
              f"{MEM_STEPS[0]} warm-up + {MEM_STEPS[1]} steps, compilation included; "
              "RSS after imports and setup subtracted)\n")
        print(memory_table(rows, mem_variants), flush=True)

    if a.json:
        meta = {"argv": sys.argv[1:] if argv is None else list(argv), "quick": a.quick,
                "reps": reps, "warmup": warmup, "rounds": rounds, "units": "µs per step",
                "python": platform.python_version(), "machine": platform.machine(),
                "cpus": os.cpu_count(), "wall_s": time.perf_counter() - t_start}
        for mod in ("jax", "torch"):
            if mod in sys.modules:
                meta[mod] = sys.modules[mod].__version__
        if "torch" in sys.modules:
            meta["torch_threads"] = sys.modules["torch"].get_num_threads()
        out = [{**{k: v for k, v in r.items() if k != "mem"}, "ratios": _ratios(r),
                **({"memory_mib": r["mem"]} if "mem" in r else {})} for r in rows]
        os.makedirs(os.path.dirname(a.json) or ".", exist_ok=True)
        with open(a.json, "w") as f:
            json.dump({"meta": meta, "rows": out}, f, indent=1, ensure_ascii=False)

    if a.png:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not installed: no chart", file=sys.stderr)
            return
        import numpy as np
        keys = [k for k in VARIANTS if any(k in r for r in rows)]
        xs = np.arange(len(rows))
        width = 0.8 / len(keys)
        fig, ax = plt.subplots(figsize=(10, 4))
        for i, k in enumerate(keys):
            ax.bar(xs + i * width, [r.get(k, 0) for r in rows], width, label=_h(k))
        ax.set_xticks(xs + width * (len(keys) - 1) / 2, [r["workload"] for r in rows],
                      rotation=15)
        ax.set_ylabel("µs per step")
        ax.set_yscale("log")
        ax.legend()
        fig.tight_layout()
        os.makedirs(os.path.dirname(a.png) or ".", exist_ok=True)
        fig.savefig(a.png)


if __name__ == "__main__":
    main()
