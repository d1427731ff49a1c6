"""Eager vs compiled benchmarks on the seed workloads.

    python benchmarks/run.py                # all workloads, full repetitions, torch.compile,
                                            # memory table (about 5 minutes on 2 cores)
    python benchmarks/run.py --quick        # CI smoke run: few repetitions, no torch.compile,
                                            # no memory table (under a minute on 2 cores)
    python benchmarks/run.py --quick --torch-compile       # quick, but with torch.compile
    python benchmarks/run.py --torch-threads 1             # PyTorch pinned to one thread
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
cells show "-" and the reason is printed once to stderr.

Processes and threads. The torchlike and JAX columns are timed in this process, where XLA's CPU
runtime uses every core for its dots and convolutions. The PyTorch columns are timed in a fresh
subprocess (`run.py --_torch W1`) that imports torch but never jax or torchlike: PyTorch's
intra-op thread pool and XLA's in one process contend for the cores and PyTorch's step times
blow up, which is why an earlier version pinned PyTorch to one thread (unfair to it by up to
~1.5x on the conv and matmul workloads). PyTorch runs at its default thread count (one per core)
unless `--torch-threads N` is given; the table's title line and the JSON meta say which. The
subprocess rebuilds the workload from the same seeded NumPy data and weights (it checks
`workloads.spec_digest` against this process's) and returns its medians as one JSON line on
stdout. The torchlike eager, torchlike compiled and JAX variants of a workload are timed in
interleaved rounds, so that a slow spell of the shared machine falls on all three. Order within
one invocation: for each workload the torchlike and JAX variants, then its PyTorch subprocess;
with --quick one PyTorch subprocess times every workload after all of the torchlike/JAX rows
(each process start costs about 2 s of imports). Before its first timed torch.compile call a
subprocess compiles a tiny throwaway model, so that `tc_first_s` is this model's compile and not
dynamo's and inductor's one-time start-up in a fresh process (that start-up is reported as
`tc_init_s` in the JSON). Other processes on the machine distort every column, PyTorch's multi-
threaded one most: its OpenMP parallel regions wait for a descheduled thread (W4 measured 60 ms
per step instead of 0.5 ms while another process kept both cores busy); a warning goes to stderr
when the load average is high at the start, and the JSON records it. Compare with `--torch-
threads 1` when in doubt.

With --memory (the default outside --quick) every (workload, variant) pair also runs in a fresh
process (`run.py --_mem W1:compiled`) that builds the workload, records its resident set size,
does warm-up and a few steps, and reports the peak RSS above that baseline: XLA's CPU buffers are
invisible to Python allocators. A second table prints those MiB. Timings never come from those
processes. Speed is reported, never asserted.
"""
from __future__ import annotations

import argparse
import importlib.util
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
TORCH_VARIANTS = ("torch", "torch_compile")
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
    return time_interleaved({"step": step}, reps, warmup, rounds)["step"]


def time_interleaved(steps, reps, warmup, rounds):
    """`time_steps` for several variants at once ({name: step}), their rounds taken in turn, so
    that a slow spell of this shared machine falls on all of them rather than on one."""
    for step in steps.values():
        for _ in range(warmup):
            _sync(step())
    means = {k: [] for k in steps}
    for _ in range(rounds):
        for k, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(reps):
                out = step()
            _sync(out)
            means[k].append((time.perf_counter() - t0) / reps * 1e6)
    return {k: statistics.median(v) for k, v in means.items()}


def _import_torch(tc_cold=False, threads=None):
    """Import torch for a PyTorch variant; only ever called in a process without JAX."""
    try:
        import torch
    except ImportError as e:
        _once("torch", f"PyTorch not installed ({e}): no torch columns")
        return None
    if threads:
        torch.set_num_threads(threads)
    if tc_cold:
        torch.compiler.config.force_disable_caches = True
    return torch


def _have_torch():
    """Whether torch is installed, without importing it into this (JAX) process."""
    return importlib.util.find_spec("torch") is not None


def build_variant(variant, spec, tc_cold=False, torch_threads=None):
    """A zero-argument training step for one variant (no step run yet)."""
    if variant in ("eager", "compiled"):
        import torchlike
        step, _ = W.build_torchlike_like(torchlike, spec)
        return torchlike.compile(step) if variant == "compiled" else step
    if variant == "jax":
        return W.build_jax(spec)
    torch = _import_torch(tc_cold, torch_threads)
    if torch is None:
        raise ImportError("torch is not installed")
    if variant == "torch":
        return W.build_torchlike_like(torch, spec)[0]
    torch._dynamo.reset()                   # each workload starts from an empty dynamo cache
    return W.build_torchlike_like(torch, spec, wrap_model=torch.compile)[0]


def bench(name, reps, warmup, rounds):
    """The torchlike and JAX columns of one workload, timed in this process."""
    spec = W.WORKLOADS[name]()
    row = {"key": name, "workload": spec["name"], "digest": W.spec_digest(spec)}
    compiled = build_variant("compiled", spec)
    _sync(compiled())                       # eager call: creates grads and optimizer state
    t0 = time.perf_counter()
    _sync(compiled())                       # trace + XLA compile
    row["first_call_s"] = time.perf_counter() - t0
    steps = {"eager": build_variant("eager", spec), "compiled": compiled,
             "jax": build_variant("jax", spec)}
    row.update(time_interleaved(steps, reps, warmup, rounds))
    return row


# ----------------------------------------------------------- PyTorch, in its own process


def _tc_warmup(torch):
    """Compile a tiny model forward and backward: dynamo's and inductor's one-time start-up in
    a fresh process (lazy imports, compile workers), kept out of the workloads' tc_first_s."""
    m = torch.compile(torch.nn.Linear(3, 2))
    t0 = time.perf_counter()
    m(torch.ones(4, 3)).sum().backward()
    return time.perf_counter() - t0


def torch_child(names, reps, warmup, rounds, with_tc, tc_cold, threads):
    """Hidden entry `--_torch W1,W2`: time PyTorch eager (and torch.compile) on the workloads
    and print one JSON line. Runs without jax and torchlike in the process."""
    torch = _import_torch(tc_cold, threads)
    if torch is None:
        print(json.dumps({"error": "torch not installed"}))
        return
    out = {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
           "torch_interop_threads": torch.get_num_interop_threads(),
           "threads_set": bool(threads), "rows": {}}
    for name in names:
        spec = W.WORKLOADS[name]()
        row = {"digest": W.spec_digest(spec)}
        row["torch"] = time_steps(build_variant("torch", spec), reps, warmup, rounds)
        if with_tc:
            try:
                if "tc_init_s" not in out:
                    out["tc_init_s"] = _tc_warmup(torch)
                    row["tc_init_s"] = out["tc_init_s"]
                tstep = build_variant("torch_compile", spec, tc_cold, threads)
                t0 = time.perf_counter()
                _sync(tstep())              # dynamo trace + inductor compile, forward and backward
                row["tc_first_s"] = time.perf_counter() - t0
                row["torch_compile"] = time_steps(tstep, reps, warmup, rounds)
            except Exception as e:          # noqa: BLE001 - never let torch.compile abort the run
                row.pop("tc_first_s", None)
                row["tc_error"] = f"{type(e).__name__}: {str(e).strip()[:500]}"
        out["rows"][name] = row
    out["foreign_modules"] = sorted(m for m in ("jax", "jaxlib", "torchlike") if m in sys.modules)
    print(json.dumps(out), flush=True)


def measure_torch(names, reps, warmup, rounds, with_tc, tc_cold, threads, timeout=1800):
    """Run `torch_child` in a fresh process; its parsed JSON, or None (reason on stderr).
    The child's stderr (warnings, tracebacks) goes straight to ours."""
    cmd = [sys.executable, os.path.abspath(__file__), "--_torch", ",".join(names),
           "--_reps", f"{reps},{warmup},{rounds}",
           "--torch-compile" if with_tc else "--no-torch-compile"]
    if tc_cold:
        cmd.append("--tc-cold")
    if threads:
        cmd += ["--torch-threads", str(threads)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"torch {','.join(names)}: timed out after {timeout}s", file=sys.stderr)
        return None
    lines = [ln for ln in p.stdout.strip().splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        print(f"torch {','.join(names)} failed (rc {p.returncode}): no torch columns",
              file=sys.stderr)
        return None
    res = json.loads(lines[-1])
    if "error" in res:
        _once("torch", f"PyTorch: {res['error']}: no torch columns")
        return None
    if res.get("foreign_modules"):
        raise RuntimeError(f"the PyTorch process imported {res['foreign_modules']}")
    return res


def merge_torch(rows, res):
    """Copy a torch_child result into the rows, checking both processes built the same data."""
    for r in rows:
        t = res["rows"].get(r["key"])
        if t is None:
            continue
        if t["digest"] != r["digest"]:
            raise RuntimeError(f"{r['key']}: the PyTorch process built different data/weights")
        for k in ("torch", "torch_compile", "tc_first_s", "tc_init_s"):
            if k in t:
                r[k] = t[k]
        r["torch_threads"] = res["torch_threads"]
        if "tc_error" in t:
            _once("torch.compile", f"torch.compile unavailable on {r['key']} "
                                   f"({t['tc_error']}): shown as -")


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


def mem_child(arg, tc_cold=False, torch_threads=None):
    """Hidden entry `--_mem W1:compiled`: one JSON line with the peak RSS above the baseline."""
    name, variant = arg.split(":")
    step = build_variant(variant, W.WORKLOADS[name](), tc_cold, torch_threads)
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


def measure_memory(name, variant, tc_cold=False, torch_threads=None, timeout=600):
    cmd = [sys.executable, os.path.abspath(__file__), "--_mem", f"{name}:{variant}"]
    if tc_cold:
        cmd.append("--tc-cold")
    if torch_threads and variant in TORCH_VARIANTS:
        cmd += ["--torch-threads", str(torch_threads)]
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
    ap.add_argument("--torch-threads", type=int, metavar="N", default=None,
                    help="torch.set_num_threads(N) in the PyTorch process (default: PyTorch's "
                         "default: one per physical core)")
    ap.add_argument("--tc-cold", action="store_true",
                    help="disable inductor's on-disk caches (cold torch.compile first call)")
    ap.add_argument("--memory", action=argparse.BooleanOptionalAction, default=None,
                    help="peak RSS per (workload, variant) in fresh processes "
                         "(default: on, off with --quick)")
    ap.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")
    ap.add_argument("--png", metavar="PATH", help="also draw a bar chart to PATH")
    ap.add_argument("--_mem", help=argparse.SUPPRESS)
    ap.add_argument("--_torch", help=argparse.SUPPRESS)
    ap.add_argument("--_reps", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.torch_threads is not None and a.torch_threads < 1:
        ap.error("--torch-threads must be >= 1")
    if a._mem:
        return mem_child(a._mem, a.tc_cold, a.torch_threads)
    names = a.only.split(",")
    unknown = [n for n in names if n not in W.WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; choose from {list(W.WORKLOADS)}")
    with_tc = (not a.quick) if a.torch_compile is None else a.torch_compile
    with_tc = with_tc and not a.no_torch
    with_mem = (not a.quick) if a.memory is None else a.memory
    reps, warmup, rounds = (3, 2, 3) if a.quick else (25, 10, 11)
    if a._torch:
        reps, warmup, rounds = map(int, a._reps.split(","))
        return torch_child(a._torch.split(","), reps, warmup, rounds, bool(a.torch_compile),
                           a.tc_cold, a.torch_threads)
    with_torch = not a.no_torch and _have_torch()
    if not a.no_torch and not with_torch:
        _once("torch", "PyTorch not installed: no torch columns")
    with_tc = with_tc and with_torch

    t_start = time.perf_counter()
    load_start = os.getloadavg()
    if load_start[0] > 0.5 * (os.cpu_count() or 1):
        print(f"load average {load_start[0]:.2f} on {os.cpu_count()} cores before the run: other "
              "processes distort the timings, PyTorch's multi-threaded ones most",
              file=sys.stderr, flush=True)
    rows, torch_runs = [], []

    def run_torch(names_):
        t0 = time.perf_counter()
        res = measure_torch(names_, reps, warmup, rounds, with_tc, a.tc_cold, a.torch_threads)
        if res is not None:
            merge_torch(rows, res)
            torch_runs.append(res)
        print(f"done torch {','.join(names_)} ({time.perf_counter() - t0:.1f} s)",
              file=sys.stderr, flush=True)

    for name in names:
        t0 = time.perf_counter()
        rows.append(bench(name, reps, warmup, rounds))
        print(f"done {name} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
        if with_torch and not a.quick:
            run_torch([name])               # one fresh PyTorch process per workload
    if with_torch and a.quick:
        run_torch(names)                    # one PyTorch process for all workloads

    threads = sorted({res["torch_threads"] for res in torch_runs})
    if torch_runs:
        how = "--torch-threads" if a.torch_threads else "its default"
        per = "one for all workloads" if a.quick else "one per workload"
        torch_note = (f"PyTorch {torch_runs[0]['torch']}: {'/'.join(map(str, threads))} "
                      f"intra-op thread(s) ({how}), in fresh processes without JAX ({per})")
    else:
        torch_note = "PyTorch not timed"
    print(f"median µs per training step (lower is better); ratios from this run; "
          f"{torch_note}; torchlike and JAX in this process, XLA's CPU runtime uses all "
          f"{os.cpu_count()} cores\n")
    print(table(rows))
    print(f"\npeak RSS of this process (torchlike and JAX only) "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB", flush=True)

    mem_variants = [v for v in VARIANTS if any(v in r for r in rows)]
    if with_mem:
        for r in rows:
            r["mem"] = {}
            for v in mem_variants:
                if v in r:
                    m = measure_memory(r["key"], v, a.tc_cold, a.torch_threads)
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
                "cpus": os.cpu_count(), "wall_s": time.perf_counter() - t_start,
                "loadavg_start": load_start, "loadavg_end": os.getloadavg()}
        if "jax" in sys.modules:
            meta["jax"] = sys.modules["jax"].__version__
        if torch_runs:
            meta.update(torch=torch_runs[0]["torch"], torch_threads=threads[0] if len(threads) == 1
                        else threads, torch_interop_threads=torch_runs[0]["torch_interop_threads"],
                        torch_threads_source="--torch-threads" if a.torch_threads else "default",
                        torch_process="one for all workloads" if a.quick else "one per workload")
        meta["xla_cores"] = os.cpu_count()
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
