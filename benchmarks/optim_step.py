"""Time optimizer.step() on the two-layer net's parameter shapes (1000x100, 100, 100x10, 10).

Compares torchlike's one-jitted-call-per-group step with an eager per-parameter optax Adam
update (the naive port) and, when installed, real PyTorch's Adam.step().
Run: python benchmarks/optim_step.py
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import torchlike  # noqa: E402

SHAPES = [(1000, 100), (100,), (100, 10), (10,)]
N = 2000


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


def torchlike_step(cls, **kw):
    rng = np.random.default_rng(0)
    ps = [torchlike.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
          for s in SHAPES]
    for p in ps:
        p.grad = torchlike.tensor(rng.standard_normal(p.shape).astype(np.float32))
    opt = getattr(torchlike.optim, cls)(ps, **kw)

    return bench(opt.step, sync=lambda: block(ps))


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
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    for cls, kw in [("Adam", {}), ("SGD", dict(lr=0.1, momentum=0.9)), ("AdamW", {})]:
        print(f"torchlike {cls}.step(): {torchlike_step(cls, **kw):.3f} ms")
    print(f"eager per-parameter optax adam: {optax_eager():.3f} ms")
    t = torch_step()
    if t is not None:
        print(f"torch Adam.step(): {t:.3f} ms")
