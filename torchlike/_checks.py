"""PyTorch's value checks (indices in range, integer division by a non-zero number), one place
per check, for eager calls and for `torchlike.compile`'d programs.

`first_bad(v, mask, make_error)`: `mask(a)` marks the bad elements of the index array `a` (the
same expression works on NumPy and jax arrays). Eagerly the mask is evaluated on the host and
`make_error(first bad value)` is raised at once. While `torchlike.compile` traces a step (inside
`collecting()`), the mask is computed inside the program instead: a flag and the first bad
value become extra outputs of the step, and the compiled call raises the same exception after
the step, having kept the state it had before the step (see `_compile.py`).

A value traced by an inner transform of the step (a `vmap` or `scan` inside it) or by a program
that is not a compiled step (a user's own `jax.jit`, `jit.trace`) is not checked: JAX's
clamping applies there, as documented in docs/reliability.md.
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np
from jax import core as jax_core
from jax._src import core as _jcore

_local = threading.local()

# Under torchlike.compile: True (the default) checks inside the program as above; False leaves
# a compiled step unchecked (JAX clamps out-of-range indices: silent wrong numbers), for
# measuring the checks' cost (benchmarks/checked_compile.py). Read when a step is traced, so it
# applies to programs compiled after it is set.
COMPILED = True


class Collector:
    """The checks recorded while one compiled step is traced."""

    def __init__(self):
        # the traces open when the step began (the program's own and those around it, such as
        # the linearization of a backward replay); a tracer of a trace opened later, inside
        # the step (a vmap or scan), must not escape it
        self.traces, t = [], _jcore.trace_ctx.trace
        while t is not None:
            self.traces.append(t)
            t = getattr(t, "parent_trace", None)
        self.flags, self.values, self.errors = [], [], []

    def owns(self, v):
        t = getattr(v, "_trace", None)
        return any(t is u for u in self.traces)

    def add(self, flag, pos, value, make_error):
        self.flags.append(flag)
        self.values.append((pos, value))
        self.errors.append(make_error)

    def outputs(self):
        """(flags, values): stacked arrays, (n,) bool and (n, 2) int64 (position and value of
        the first bad element), or (None, None) when nothing was checked."""
        import jax.numpy as jnp
        if not self.flags:
            return None, None
        return (jnp.stack([f.reshape(()) for f in self.flags]),
                jnp.stack([jnp.stack([p.astype(jnp.int64), v.reshape(()).astype(jnp.int64)])
                           for p, v in self.values]))

    def raise_first(self, flags, values):
        """Raise the error of the first failed check (flags, values: host arrays)."""
        hit = np.flatnonzero(np.asarray(flags))
        if hit.size:
            # a program run as one shard per process returns every rank's flags, concatenated
            i = int(hit[0])
            pos, value = (int(x) for x in np.asarray(values).reshape(-1, 2)[i])
            raise _error(self.errors[i % len(self.errors)], pos, value)


def _error(make_error, pos, value):
    return make_error(pos, value) if getattr(make_error, "with_pos", False) else make_error(value)


def at(make_error):
    """Mark `make_error` as taking (position, value) of the first bad element."""
    make_error.with_pos = True
    return make_error


@contextlib.contextmanager
def collecting():
    stack = _local.__dict__.setdefault("stack", [])
    col = Collector()
    stack.append(col)
    try:
        yield col
    finally:
        stack.pop()


def _active():
    stack = getattr(_local, "stack", None)
    return stack[-1] if stack else None


def first_bad(v, mask, make_error):
    """Raise `make_error(x)` for the first element x of `v` (a jax array or tracer) where
    `mask` is true: now when `v` is concrete, after the step when it is traced by a compiled
    step. An empty `v` passes."""
    if isinstance(v, jax_core.Tracer):
        col = _active()
        if COMPILED and col is not None and col.owns(v) and v.size:
            import jax.numpy as jnp
            a = v.reshape(-1)
            m = mask(a)
            pos = jnp.argmax(m)
            col.add(m.any(), pos, a[pos], make_error)
        return
    if not v.size:
        return
    a = np.asarray(v).reshape(-1)
    bad = np.flatnonzero(mask(a))
    if bad.size:
        raise _error(make_error, int(bad[0]), a[bad[0]].item())


def outside(lo, hi):
    """The mask of elements outside [lo, hi)."""
    return lambda a: (a < lo) | (a >= hi)
