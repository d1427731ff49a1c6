"""How torchlike lowers a 2-D convolution on XLA's CPU backend, and why (by measurement).

    python benchmarks/conv_lowering.py            # the tutorial nets' convolutions
    python benchmarks/conv_lowering.py 16x32x16x64x3,8x64x16x64x3   # NxCxHxOxK shapes

For each shape it times, under jax.jit and with all inputs as arguments (a constant input would
be folded by XLA), the forward pass, the input gradient, the weight gradient and both gradients
of three lowerings: XLA's own convolution (`lax`), one matmul over explicit patches
(`patches`), and torchlike's choice (`torchlike`): patches forward, differentiated so that the
input gradient goes through the patches and the weight gradient through XLA's convolution.
Minimum microseconds over repeated calls (the machine is shared: minima are the stable figure).
"""
from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from torchlike._ops import nn as ops  # noqa: E402

TUTORIAL = "64x3x32x6x5,64x6x14x16x5,64x1x28x6x5,64x6x12x16x5,4x3x32x6x5,4x6x14x16x5"
ONE = ((1, 1), ((0, 0), (0, 0)), (1, 1))


def lowerings():
    return {
        "lax": lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "VALID",
                                                     dimension_numbers=ops._DN[2]),
        "patches": lambda x, w: ops._conv2d_patches(x, w, *ONE),
        "torchlike": lambda x, w: ops._conv2d_cpu(x, w, *ONE),
    }


def best_us(f, *args, reps=30):
    jax.block_until_ready(f(*args))
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        best = min(best, time.perf_counter() - t0)
    return best * 1e6


def main(argv=None):
    shapes = (argv or sys.argv[1:] or [TUTORIAL])[0]
    rng = np.random.default_rng(0)
    print("| N x C x H x O x k | lowering | forward | grad x | grad w | grad x, w |")
    print("|---|---|---|---|---|---|")
    for s in shapes.split(","):
        n, c, h, o, k = map(int, s.split("x"))
        x = jnp.asarray(rng.standard_normal((n, c, h, h)), jnp.float32)
        w = jnp.asarray(rng.standard_normal((o, c, k, k)), jnp.float32)
        gy = jnp.ones((n, o, h - k + 1, h - k + 1), jnp.float32)
        for name, f in lowerings().items():
            row = [best_us(jax.jit(f), x, w)]
            for argnums in ((0,), (1,), (0, 1)):
                g = jax.jit(lambda x, w, gy, f=f, a=argnums:
                            jax.vjp(lambda *p: f(*p), x, w)[1](gy)[a[0]] if len(a) == 1
                            else jax.vjp(f, x, w)[1](gy))
                row.append(best_us(g, x, w, gy))
            print(f"| {s} | {name} | " + " | ".join(f"{v:.0f}" for v in row) + " |")


if __name__ == "__main__":
    main()
