"""Time optimizer.step() on the two-layer net's parameter shapes (1000x100, 100, 100x10, 10).

Compares torchlike's one-jitted-call-per-group step with an eager per-parameter optax Adam
update (the naive port) and, when installed, real PyTorch's Adam.step().

`--against REV` also times torchlike/optim as it was at git revision REV (loaded beside the
current one, the rest of torchlike shared), interleaving the two so that both see the same
load on the machine: before/after figures from one run.
Run: python benchmarks/optim_step.py [--against REV]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import torchlike  # noqa: E402

SHAPES = [(1000, 100), (100,), (100, 10), (10,)]
N = 2000
CASES = [("Adam", {}), ("SGD", dict(lr=0.1, momentum=0.9)), ("AdamW", {}),
         ("RMSprop", dict(momentum=0.9)), ("NAdam", {})]


def bench(fn, n=N, repeats=10, sync=None):
    """Best of `repeats` runs of n calls, in ms per call (the best run is the least disturbed
    by other load on the machine)."""
    for _ in range(50):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n // repeats):
            fn()
        if sync is not None:
            sync()
        best = min(best, (time.perf_counter() - t0) / (n // repeats) * 1e3)
    return best


def block(ts):
    for t in ts:
        t._v.block_until_ready()


def make_step(optim, cls, **kw):
    rng = np.random.default_rng(0)
    ps = [torchlike.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
          for s in SHAPES]
    for p in ps:
        p.grad = torchlike.tensor(rng.standard_normal(p.shape).astype(np.float32))
    opt = getattr(optim, cls)(ps, **kw)
    return opt.step, lambda: block(ps)


def torchlike_step(cls, **kw):
    step, sync = make_step(torchlike.optim, cls, **kw)
    return bench(step, sync=sync)


def optim_at(rev):
    """torchlike/optim as of git revision `rev`, imported as torchlike._optim_<rev>."""
    d = tempfile.mkdtemp()
    tar = subprocess.run(["git", "-C", ROOT, "archive", rev, "torchlike/optim"],
                         check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", d], input=tar, check=True)
    pkg = os.path.join(d, "torchlike", "optim")
    name = "torchlike._optim_" + "".join(c if c.isalnum() else "_" for c in rev)
    spec = importlib.util.spec_from_file_location(name, os.path.join(pkg, "__init__.py"),
                                                  submodule_search_locations=[pkg])
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def interleaved(ref, rounds=10, n=200):
    """(ref ms, current ms) per case: the best of `rounds` alternating runs of n steps each."""
    out = []
    for cls, kw in CASES:
        runs = {"ref": make_step(ref, cls, **kw), "cur": make_step(torchlike.optim, cls, **kw)}
        best = {k: float("inf") for k in runs}
        for _ in range(rounds):
            for k, (step, sync) in runs.items():
                best[k] = min(best[k], bench(step, n, repeats=1, sync=sync))
        out.append((cls, best["ref"], best["cur"]))
    return out


def optax_eager():
    rng = np.random.default_rng(0)
    ps = [jnp.asarray(rng.standard_normal(s).astype(np.float32)) for s in SHAPES]
    gs = [jnp.asarray(rng.standard_normal(s).astype(np.float32)) for s in SHAPES]
    tx = optax.adam(1e-3)
    states = [tx.init(p) for p in ps]

    def f():
        for i in range(len(ps)):
            upd, states[i] = tx.update(gs[i], states[i], ps[i])
            ps[i] = optax.apply_updates(ps[i], upd)
    return bench(f, 500, sync=lambda: jax.block_until_ready(ps))


def torch_step():
    try:
        import torch
    except ImportError:
        return None
    ps = [torch.randn(*s, requires_grad=True) for s in SHAPES]
    for p in ps:
        p.grad = torch.randn_like(p)
    opt = torch.optim.Adam(ps, lr=1e-3)
    return bench(opt.step)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--against", metavar="REV", help="also time torchlike/optim at git REV")
    args = ap.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    if args.against:
        for cls, ref, cur in interleaved(optim_at(args.against)):
            print(f"torchlike {cls}.step(): {cur:.3f} ms (at {args.against}: {ref:.3f} ms)")
    else:
        for cls, kw in CASES:
            print(f"torchlike {cls}.step(): {torchlike_step(cls, **kw):.3f} ms")
    print(f"eager per-parameter optax adam: {optax_eager():.3f} ms")
    t = torch_step()
    if t is not None:
        print(f"torch Adam.step(): {t:.3f} ms")
