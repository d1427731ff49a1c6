"""Step time of the compiled MNIST MLP (784-128-64-10, SGD with momentum) data-parallel over
1, 2 and 4 devices, and the gradient all-reduce's share of the step.

    python benchmarks/distributed.py                 # this machine: forced CPU devices, and
                                                     # 2 processes on 127.0.0.1 (a table)
    python benchmarks/distributed.py --devices 4     # one process over its 4 local devices
                                                     # (GPUs, or XLA_FLAGS-forced CPU devices)
    python -m torchlike.distributed.run --nproc-per-node 8 benchmarks/distributed.py --ddp
                                                     # one process per GPU / per host (DDP)

Single process (`--devices N`): `nn.DataParallel` over N local devices, the batch sharded,
parameters replicated; the compiled step is one SPMD program in which XLA inserts the gradient
all-reduce. Several processes (`--ddp`): DistributedDataParallel in a compiled step, which runs
as one program of the job with the all-reduce inside (torchlike/distributed/_spmd.py).
"The all-reduce alone" is a jitted psum of a gradient-sized float32 vector over the same
devices, timed the same way: what the step's collective costs by itself (for the eager DDP
row: `dist.all_reduce` of that vector, the call DDP's backward makes). The global batch
(--batch, default 512) is split over the devices or processes. Medians of --rounds rounds of
--steps steps, after a warm-up.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=0, help="one process over N local devices")
    ap.add_argument("--ddp", action="store_true", help="under torchlike.distributed.run")
    ap.add_argument("--batch", type=int, default=512, help="global batch")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--counts", default="1,2,4", help="device counts of the driver's runs")
    return ap.parse_args(argv)


def _median_ms(fn, sync, rounds, steps, warm=3):
    for _ in range(warm):
        fn()
    sync()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            out = fn()
        sync(out)
        times.append((time.perf_counter() - t0) / steps * 1e3)
    return statistics.median(times)


def _model():
    import torchlike as tl
    tl.manual_seed(0)
    nn = tl.nn
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def _step_fn(model, module):
    import torchlike as tl
    opt = tl.optim.SGD(module.parameters(), lr=0.01, momentum=0.9)
    loss_fn = tl.nn.CrossEntropyLoss()

    @tl.compile
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def _allreduce_ms(devices, axis, n_params, rounds, steps, global_rows):
    """A jitted psum of an n_params float32 vector per device over ``devices``."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    mesh = Mesh(np.array(devices), (axis,))
    rows = NamedSharding(mesh, P(axis))
    f = jax.jit(jax.shard_map(lambda g: jax.lax.psum(g, axis), mesh=mesh, in_specs=P(axis),
                              out_specs=P(axis), check_vma=False))
    if global_rows:  # one process: a global array over the local devices
        g = jax.device_put(jnp.ones((len(devices) * n_params,), jnp.float32), rows)
    else:            # several processes: this process's block of a global array
        local = [jax.device_put(jnp.ones((n_params,), jnp.float32), d) for d in devices
                 if d.process_index == jax.process_index()]
        g = jax.make_array_from_single_device_arrays((len(devices) * n_params,), rows, local)
    return _median_ms(lambda: f(g), lambda out=None: jax.block_until_ready(out), rounds, steps)


def run_devices(a):
    """One process, DataParallel over a.devices local devices."""
    import jax
    import numpy as np
    import torchlike as tl
    devs = jax.local_devices()[:a.devices]
    assert len(devs) == a.devices, f"{len(jax.local_devices())} local devices"
    model = _model()
    dp = tl.nn.DataParallel(model, device_ids=list(range(a.devices))) if a.devices > 1 \
        else model
    step = _step_fn(dp, model)
    rng = np.random.RandomState(0)
    x = tl.tensor(rng.randn(a.batch, 784).astype(np.float32))
    y = tl.tensor(rng.randint(0, 10, a.batch))
    n_params = sum(p.numel() for p in model.parameters())
    ms = _median_ms(lambda: step(x, y), lambda out=None: out is not None and out.item(),
                    a.rounds, a.steps)
    ar = _allreduce_ms(devs, "batch", n_params, a.rounds, a.steps, True) \
        if a.devices > 1 else None
    return dict(setup=f"{a.devices} device(s), 1 process", platform=devs[0].platform,
                step_ms=ms, allreduce_ms=ar, params=n_params, batch=a.batch)


def run_ddp(a):
    """Under the launcher: DDP in a compiled step, a.batch / world rows per rank."""
    import jax
    import numpy as np
    import torchlike as tl
    import torchlike.distributed as dist
    from torchlike.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("nccl" if jax.default_backend() == "gpu" else "gloo")
    r, n = dist.get_rank(), dist.get_world_size()
    model = _model()
    ddp = DDP(model)
    step = _step_fn(ddp, ddp)
    rng = np.random.RandomState(r)
    rows = a.batch // n
    x = tl.tensor(rng.randn(rows, 784).astype(np.float32))
    y = tl.tensor(rng.randint(0, 10, rows))
    n_params = sum(p.numel() for p in model.parameters())
    ms = _median_ms(lambda: step(x, y), lambda out=None: out is not None and out.item(),
                    a.rounds, a.steps)
    ar = _allreduce_ms(list(dist._W["mesh"].devices.flat), "rank", n_params, a.rounds,
                       a.steps, False) if n > 1 else None
    spmd = n > 1 and type(next(iter(step._cache.values()))[0]).__name__ == "_Program"
    res = dict(setup=f"{n} processes (DDP, {'in-program' if spmd else 'eager'} all-reduce)",
               platform=jax.default_backend(), step_ms=ms, allreduce_ms=ar, params=n_params,
               batch=a.batch)
    eager = _step_fn(ddp, ddp).fn  # the same step, not compiled: an eager collective
    res["eager_ms"] = _median_ms(lambda: eager(x, y),
                                 lambda out=None: out is not None and out.item(),
                                 max(1, a.rounds // 2), max(1, a.steps // 2), warm=8)
    flat = tl.zeros(n_params)
    res["eager_allreduce_ms"] = _median_ms(lambda: dist.all_reduce(flat) or flat,
                                           lambda out=None: out is not None
                                           and out._v.block_until_ready(),
                                           a.rounds, a.steps) if n > 1 else None
    got = [None] * n
    dist.all_gather_object(got, res)
    if r == 0:
        print("RESULT " + json.dumps(dict(res, step_ms=max(g["step_ms"] for g in got),
                                          eager_ms=max(g["eager_ms"] for g in got))),
              flush=True)


def _child(cmd, env):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, cwd=ROOT)
    for ln in out.stdout.splitlines():
        if ln.startswith("RESULT "):
            return json.loads(ln[7:])
    raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")


def main(argv=None):
    a = _args(argv)
    if a.ddp:
        return run_ddp(a)
    if a.devices:
        print("RESULT " + json.dumps(run_devices(a)), flush=True)
        return
    common = ["--batch", str(a.batch), "--rounds", str(a.rounds), "--steps", str(a.steps)]
    results = []
    for k in (int(c) for c in a.counts.split(",")):
        env = dict(os.environ, PYTHONPATH=ROOT,
                   XLA_FLAGS=f"--xla_force_host_platform_device_count={k}")
        results.append(_child([sys.executable, __file__, "--devices", str(k), *common], env))
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["PYTHONPATH"] = ROOT
    results.append(_child([sys.executable, "-m", "torchlike.distributed.run", "--standalone",
                           "--nproc-per-node", "2", __file__, "--ddp", *common], env))
    print(f"compiled MLP step, {results[0]['params']} parameters, global batch {a.batch}, "
          f"median of {a.rounds} rounds of {a.steps} steps; load average "
          f"{os.getloadavg()[0]:.1f}")
    print("| setup | step (ms) | the all-reduce alone (ms) | share of the step |")
    print("|---|---|---|---|")
    ddp = results[-1]
    results.append(dict(ddp, setup=ddp["setup"].split(" (")[0] + " (DDP eager step)",
                        step_ms=ddp["eager_ms"], allreduce_ms=ddp["eager_allreduce_ms"]))
    for r in results:
        ar = r["allreduce_ms"]
        share = f"{100 * ar / r['step_ms']:.0f}%" if ar is not None else "—"
        print(f"| {r['setup']} ({r['platform']}) | {r['step_ms']:.2f} | "
              f"{'—' if ar is None else f'{ar:.3f}'} | {share} |")


if __name__ == "__main__":
    main()
