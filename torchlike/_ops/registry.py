"""The op table: every tensor operation is one pure jax function registered here.

An entry knows how its result dtype is promoted, what its autograd node is called, which
values backward needs (for PyTorch's in-place version check), and whether it returns a view.
Eager dispatch, backward replay and `torchlike.compile` tracing all call the same function.
"""
from __future__ import annotations

import functools
import inspect

import jax

TABLE: dict[str, "Op"] = {}


class Kernel:
    """One op with its static arguments bound: `fn` is pure, `jit` its cached compiled form."""

    __slots__ = ("op", "static", "rt", "fn", "jit", "__weakref__")

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
        self.jit = jax.jit(f)

    def __repr__(self):
        return f"Kernel({self.op.name}, {self.static}, {self.rt})"


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
            k = self.kernels[key] = Kernel(self, static, rt)
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
