"""The op table: every tensor operation is one pure jax function registered here.

An entry knows how its result dtype is promoted, what its autograd node is called, which
values backward needs (for PyTorch's in-place version check), and whether it returns a view.
Eager dispatch, backward replay and `torchlike.compile` tracing all call the same function.
"""
from __future__ import annotations

import collections
import functools
import inspect
import threading
import time

import jax
from jax.core import Tracer

from .. import _interp

TABLE: dict[str, "Op"] = {}

# Tiering of eager kernels (see Tiered); the defaults are documented in docs/eager.md.
CONFIG = {
    "interpret": jax.default_backend() == "cpu",  # run cold shapes without compiling
    "compile_after": 4,          # sightings of one input signature before it is compiled
    "compile_after_s": 0.01,     # ... or seconds spent interpreting it, whichever comes first
    "max_signatures": 256,       # per kernel: signatures tracked (LRU) and compiled before reset
    "max_kernels": 512,          # per op: kernels (static arguments) kept, oldest dropped first
}
STATS = collections.Counter()    # interpreted, compiled, kernel_evictions, jit_resets
_SCALAR_TYPES = (bool, int, float, complex, type(None))
_LOCK = threading.Lock()


def _signature(vals):
    """Shapes, dtypes and weak types of the array arguments and the types of Python scalars;
    None (take the compiled tier, which keys on structure itself) for tracers and containers."""
    sig = []
    for v in vals:
        shape = getattr(v, "shape", None)
        if shape is None:
            if not isinstance(v, _SCALAR_TYPES):
                return None
            sig.append(type(v))
        elif isinstance(v, Tracer):
            return None
        else:
            sig.append((shape, v.dtype, getattr(v, "weak_type", False)))
    return tuple(sig)


class Tiered:
    """A pure function run eagerly in tiers: an input signature (shapes and dtypes) seen for
    the first few times is traced once and evaluated with NumPy (`_interp`, no XLA compile,
    CPU only); once it is hot (`CONFIG`) it runs through `jit`, compiled once for that
    signature. A dynamic program (new lengths every step) so never waits on XLA's compiler.
    Subclasses set `fn`, then call `_tiers()`."""

    __slots__ = ("fn", "jit", "hot", "cold")

    def _tiers(self):
        self.jit = jax.jit(self.fn)
        self.hot, self.cold = set(), collections.OrderedDict()

    def __call__(self, *vals):
        sig = _signature(vals)
        if sig in self.hot:
            return self.jit(*vals)
        if sig is None or not CONFIG["interpret"]:
            return self.jit(*vals)
        return self._cold(sig, vals)

    def _cold(self, sig, vals):
        with _LOCK:
            ent = self.cold.get(sig)
            if ent is None:
                ent = self.cold[sig] = [0, 0.0, None]
                if len(self.cold) > CONFIG["max_signatures"]:
                    self.cold.popitem(last=False)
            else:
                self.cold.move_to_end(sig)
            ent[0] += 1
            promote = ent[0] > CONFIG["compile_after"] or ent[1] >= CONFIG["compile_after_s"]
            if promote:
                del self.cold[sig]
                if len(self.hot) >= CONFIG["max_signatures"]:
                    # a new function object: jax keys its compiled programs by the function,
                    # so the old shapes' programs go with the old wrapper
                    self.jit = jax.jit(functools.wraps(self.fn)(lambda *a, _f=self.fn: _f(*a)))
                    self.hot.clear()
                    STATS["jit_resets"] += 1
                self.hot.add(sig)
                STATS["compiled"] += 1
        if promote or not _on_default_cpu(vals):
            return self.jit(*vals)
        if ent[2] is None:
            ent[2] = _interp.trace(self.fn, vals)
        t0 = time.perf_counter()
        out = _interp.run(*ent[2], vals)
        ent[1] += time.perf_counter() - t0
        STATS["interpreted"] += 1
        return out


class Kernel(Tiered):
    """One op with its static arguments bound: `fn` is pure, `jit` its compiled form; calling
    it runs the tiers of `Tiered`."""

    __slots__ = ("op", "static", "rt", "__weakref__")

    def __init__(self, op, static, rt):
        self.op, self.static, self.rt = op, static, rt
        kw = dict(zip(op.static_names, static))
        f = functools.partial(op.fn, **kw) if kw else op.fn
        if rt is not None:
            cast_to = rt.np

            def f(*xs, _f=f):  # noqa: F811  cast array inputs to the promoted dtype
                return _f(*[x.astype(cast_to) if hasattr(x, "astype") and x.dtype != cast_to
                            else x for x in xs])
        self.fn = f
        self._tiers()

    def __repr__(self):
        return f"Kernel({self.op.name}, {self.static}, {self.rt})"


_CPU = None


def _on_default_cpu(vals):
    """Whether every array argument lives on the one default CPU device (not sharded)."""
    global _CPU
    if _CPU is None:
        _CPU = jax.local_devices(backend="cpu")[0]
    for v in vals:
        s = getattr(v, "sharding", None)
        if s is not None and (len(s.device_set) != 1 or _CPU not in s.device_set):
            return False
    return True


class Op:
    __slots__ = ("name", "fn", "n_in", "seq", "static_names", "defaults", "promote", "saves",
                 "grad_name", "view", "kernels", "differentiable", "inplace_ok")

    def __init__(self, name, fn, n_in, seq, promote, saves, grad_name, view, differentiable):
        self.name, self.fn, self.n_in, self.seq = name, fn, n_in, seq
        params = list(inspect.signature(fn).parameters.values())
        start = 1 if seq else n_in
        stat = [p for p in params[start:] if p.kind != p.VAR_POSITIONAL]
        self.static_names = tuple(p.name for p in stat)
        self.defaults = tuple(p.default for p in stat)
        self.promote = promote
        self.saves = saves
        self.grad_name = grad_name
        self.view = view
        self.differentiable = differentiable
        self.kernels = {}

    def kernel(self, static, rt):
        key = (static, rt)
        k = self.kernels.get(key)
        if k is None:
            with _LOCK:
                k = self.kernels[key] = Kernel(self, static, rt)
                if len(self.kernels) > CONFIG["max_kernels"]:
                    del self.kernels[next(iter(self.kernels))]
                    STATS["kernel_evictions"] += 1
        return k

    def node_name(self, static):
        g = self.grad_name
        if callable(g):
            return g(**dict(zip(self.static_names, static)))
        return g

    def __repr__(self):
        return f"<op {self.name}>"


def _camel(name):
    return "".join(p.capitalize() for p in name.strip("_").split("_"))


def defop(name=None, *, n_in=1, seq=False, promote=None, saves="inputs", grad=None, view=None,
          differentiable=True):
    """Register a pure jax function as an op.

    The first `n_in` positional parameters are array inputs (or, with `seq=True`, the first
    parameter is a sequence of them); every later parameter is static (hashable, part of the
    kernel cache key). `promote` is "same", "float", "compare" or None (the function decides).
    `saves` is "none", "inputs" or "output": what backward needs, for the in-place check.
    `view` is a stride rule `(meta, **static) -> meta` for ops whose result aliases input 0.
    """
    def deco(fn):
        n = name or fn.__name__.rstrip("_")
        g = grad if grad is not None else _camel(n) + "Backward0"
        op = Op(n, fn, n_in, seq, promote, saves, g, view, differentiable)
        TABLE[n] = op
        return op
    return deco
