"""torchlike.compile: run a whole step (forward, backward, optimizer) as one XLA program.

State the function reads or mutates without receiving it as an argument (parameters, buffers,
gradients, optimizer state and hyperparameters, the RNG key) is found by walking what the
function can reach: its arguments, closure cells and the globals it names, through Modules,
Optimizers, schedulers, Generators and containers. Each state tensor becomes an input of the
jitted program and its final value an output that is written back into the same box, so eager
and compiled runs produce the same numbers.

A call whose state structure was not seen on the previous call runs eagerly (this creates lazy
state such as `.grad` and optimizer moments exactly as PyTorch would); the next call with that
structure is traced and compiled, and later calls reuse the program.

`compile(module)` returns an `OptimizedModule` whose forward is one compiled entry on the
autograd tape (the `jit.trace` machinery), so training through it works as in eager mode.
"""
from __future__ import annotations

import builtins
import functools
import sys
import types
import warnings

import jax
import numpy as np

from ._random import Generator, default_generator
from .jit import _Traced
from .nn.modules.module import Module
from ._tensor import Tensor, _is_tracer, _new, _set_root

RECOMPILE_LIMIT = 8
_ARGS = ("arg", "kw")


def _refs(lst, i):
    return sys.getrefcount(lst[i])


def _own_refs():
    """What `_refs` reports for an array held only by its tensor and the list passed in."""
    o = object()
    box = {"_data": o}  # noqa: F841 - the tensor's reference
    lst = [o]
    del o
    return _refs(lst, 0)


_OWN_REFS = _own_refs()
_NUM = (int, float)


def _is_module(o):
    return hasattr(o, "_parameters") and hasattr(o, "_modules") and hasattr(o, "_buffers")


def _is_optimizer(o):
    return hasattr(o, "param_groups") and hasattr(o, "state") and not _is_module(o)


_MISSING = object()


class _Walk:
    """Collect state slots: (path, kind, holder, key). Kinds: 'box' (a Tensor box, written in
    place), 'num' (a Python number in an optimizer param group, lifted as a weak scalar).

    `guards` records every container read on the way, so that a later call can check in a few
    microseconds that walking again would find the same slots (see `_guards_hold`).
    """

    def __init__(self):
        self.slots = []
        self.seen = set()
        self.flags = []
        self.guards = []

    def _items(self, d):
        g = self.guards
        g.append(("len", d, len(d)))
        items = list(d.items())
        for k, v in items:
            g.append(("d", d, k, v))
        return items

    def _list(self, lst):
        g = self.guards
        g.append(("len", lst, len(lst)))
        for i, v in enumerate(lst):
            g.append(("i", lst, i, v))
        return lst

    def _attr(self, o, name):
        v = getattr(o, name, None)
        self.guards.append(("a", o, name, v))
        return v

    def tensor(self, path, t):
        if t is None:
            return
        if t._base is not None:
            self.tensor(path + ("base",), t._base)
            return
        if id(t) in self.seen:
            return
        self.seen.add(id(t))
        self.slots.append((path, "box", t, None))
        g = t.__dict__.get("_grad", _MISSING)
        self.guards.append(("d", t.__dict__, "_grad", g))
        if g is not None and g is not _MISSING:
            self.tensor(path + ("grad",), g)

    def obj(self, path, o, depth=0):
        if depth > 6 or o is None or isinstance(o, (str, bytes, bool, int, float, complex, type,
                                                    types.ModuleType, np.ndarray)):
            return
        if isinstance(o, Tensor):
            self.tensor(path, o)
            return
        if id(o) in self.seen:
            return
        self.seen.add(id(o))
        if isinstance(o, Generator):
            self.tensor(path + ("key",), self._attr(o, "_key"))
        elif _is_module(o):
            self.flags.append(self._attr(o, "training"))
            for n, p in self._items(self._attr(o, "_parameters")):
                self.tensor(path + ("p", n), p)
            for n, b in self._items(self._attr(o, "_buffers")):
                self.tensor(path + ("b", n), b)
            for n, m in self._items(self._attr(o, "_modules")):
                self.obj(path + ("m", n), m, depth + 1)
        elif _is_optimizer(o):
            state = self._attr(o, "state")
            for gi, g in enumerate(self._list(self._attr(o, "param_groups"))):
                items = self._items(g)
                for pi, p in enumerate(self._list(g["params"])):
                    self.tensor(path + ("g", gi, pi), p)
                    st = state.get(p, _MISSING)
                    self.guards.append(("d", state, p, st))
                    st = None if st is _MISSING else st
                    for k, v in self._items(st) if st else ():
                        if isinstance(v, Tensor):
                            self.tensor(path + ("s", gi, pi, k), v)
                for k, v in items:
                    if k == "params":
                        continue
                    if isinstance(v, Tensor):
                        self.tensor(path + ("h", gi, k), v)
                    elif (isinstance(v, _NUM) and not isinstance(v, bool)) or _is_tracer(v):
                        self.slots.append((path + ("h", gi, k), "num", g, k))
                    elif isinstance(v, tuple) and all(isinstance(x, float) for x in v):
                        self.flags.append(v)  # betas etc.: part of the key
        elif hasattr(o, "optimizer") and _is_optimizer(getattr(o, "optimizer")):
            self.obj(path + ("opt",), self._attr(o, "optimizer"), depth + 1)
        elif isinstance(o, tuple):
            for i, x in enumerate(o):
                self.obj(path + (i,), x, depth + 1)
        elif isinstance(o, list):
            for i, x in enumerate(self._list(o)):
                self.obj(path + (i,), x, depth + 1)
        elif isinstance(o, dict):
            for k, x in self._items(o):
                if isinstance(k, (str, int)):
                    self.obj(path + (k,), x, depth + 1)
        elif isinstance(o, (types.FunctionType, types.MethodType, functools.partial)):
            self.function(path, o, depth + 1)
        elif hasattr(o, "__dict__") and not callable(o):
            for k, x in self._items(o.__dict__):
                self.obj(path + (".", k), x, depth + 1)

    def function(self, path, f, depth=0):
        if isinstance(f, functools.partial):
            self.obj(path + ("args",), f.args, depth)
            self.obj(path + ("kw",), f.keywords, depth)
            f = f.func
        if isinstance(f, types.MethodType):
            self.obj(path + ("self",), f.__self__, depth)
            f = f.__func__
        code = getattr(f, "__code__", None)
        if code is None:
            return
        for i, cell in enumerate(f.__closure__ or ()):
            try:
                v = cell.cell_contents
            except ValueError:
                continue
            self.guards.append(("cell", cell, v))
            self.obj(path + ("c", code.co_freevars[i]), v, depth)
        g = f.__globals__
        for name in _names(code):
            v = g.get(name, _MISSING)
            self.guards.append(("d", g, name, v))
            if v is not _MISSING:
                self.obj(path + ("G", name), v, depth)


def _guard_fn(guards):
    """Compile the guard list into one boolean expression (a few µs for a small model)."""
    env = {"M": _MISSING, "getattr": getattr, "len": len}
    terms = []
    for i, gd in enumerate(guards):
        kind, env[f"c{i}"] = gd[0], gd[1]
        if kind == "d":
            env[f"k{i}"], env[f"v{i}"] = gd[2], gd[3]
            terms.append(f"c{i}.get(k{i}, M) is v{i}")
        elif kind == "len":
            terms.append(f"len(c{i}) == {gd[2]}")
        elif kind == "i":
            env[f"v{i}"] = gd[3]
            terms.append(f"c{i}[{gd[2]}] is v{i}")
        elif kind == "a":
            env[f"v{i}"] = gd[3]
            terms.append(f"getattr(c{i}, {gd[2]!r}, None) is v{i}")
        else:
            env[f"v{i}"] = gd[2]
            terms.append(f"c{i}.cell_contents is v{i}")
    src = "def check():\n    return (" + " and\n            ".join(terms or ["True"]) + ")\n"
    exec(builtins.compile(src, "<torchlike.compile guards>", "exec"), env)  # noqa: S102
    return env["check"]


@functools.lru_cache(maxsize=None)
def _names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= set(_names(c))
    return tuple(sorted(names))


class CompiledFunction:
    """The callable returned by `torchlike.compile(fn)`. `stats()` reports traces and hits."""

    def __init__(self, fn, module=None):
        self.fn = fn
        self.module = module
        self._cache = {}
        self._seen = set()
        self._static = None
        self._stats = {"calls": 0, "eager_calls": 0, "traces": 0, "cache_hits": 0,
                       "state_copies": 0}
        functools.update_wrapper(self, fn)

    def stats(self):
        return dict(self._stats, programs=len(self._cache))

    def _walk(self, args, kwargs, static=None):
        """All state slots: the arguments' own, then those reachable from the function."""
        w = _Walk()
        w.obj(("arg",), list(args))
        w.obj(("kw",), dict(kwargs))
        sw = static if static is not None else self._walk_static()
        w.slots += sw.slots
        w.flags += sw.flags
        return w

    def _walk_static(self):
        w = _Walk()
        if self.module is not None:
            w.obj(("self",), self.module)
        w.function(("fn",), self.fn)
        w.obj(("rng",), default_generator)
        return w

    def __call__(self, *args, **kwargs):
        self._stats["calls"] += 1
        sw = self._static
        if sw is None or not sw.check():
            sw = self._static = self._walk_static()
            sw.check = _guard_fn(sw.guards)
        w = self._walk(args, kwargs, sw)
        key, don, keep = self._key(w, args, kwargs)
        entry = self._cache.get(key)
        traced = entry is None
        if traced:
            self._static = None  # the call below may create or replace state
            if key not in self._seen:
                # first sight of this structure: run eagerly to create lazy state
                self._stats["eager_calls"] += 1
                out = self.fn(*args, **kwargs)
                self._seen.add(self._key(self._walk(args, kwargs), args, kwargs)[0])
                return out
            entry = self._cache[key] = self._program(w, args, kwargs)
            self._stats["traces"] += 1
            if len(self._cache) > RECOMPILE_LIMIT:
                warnings.warn(f"torchlike.compile: {self.fn.__name__} was recompiled "
                              f"{len(self._cache)} times (limit {RECOMPILE_LIMIT}); the state "
                              "structure, argument shapes or Python constants keep changing",
                              stacklevel=2)
        else:
            self._stats["cache_hits"] += 1
        jitted, info = entry
        donated = self._donatable(w, don)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Some donated buffers were not usable")
            new_state, new_args, out_leaves = jitted(don, keep)
        if traced:  # the trace may have put new boxes in containers: write into those
            w = self._walk(args, kwargs)
        boxes = [h for (path, kind, h, _) in w.slots if kind == "box" and path[0] not in _ARGS]
        changed = info["changed"]
        for i, (box, v) in enumerate(zip(boxes, new_state)):
            if i in changed:
                _write(box, v)
            elif donated[i]:  # same values in the buffer XLA handed back
                box._data = v
        args_boxes = [h for (path, kind, h, _) in w.slots if kind == "box" and path[0] in _ARGS]
        for i, v in zip(info["changed_args"], new_args):
            _write(args_boxes[i], v)
        return _unflatten_result(info["tree"], out_leaves)

    def _donatable(self, w, don):
        """State arrays are donated to the program, so XLA updates them in place. An array that
        something else still references (another tensor, a NumPy alias, a saved autograd
        value) is copied first instead; returns which ones were donated."""
        flags = []
        i = 0
        for path, kind, holder, _ in w.slots:
            if kind != "box" or path[0] in _ARGS:
                continue
            ok = holder._np is None and _refs(don, i) <= _OWN_REFS
            if not ok:
                don[i] = jax.numpy.array(don[i], copy=True)
                self._stats["state_copies"] += 1
            flags.append(ok)
            i += 1
        return flags

    def _key(self, w, args, kwargs):
        """Cache key: state paths and kinds, flags, argument shapes and Python constants;
        and the values: state tensors (to donate), then arguments and lifted numbers.
        (Shapes of state tensors are left to jax.jit's own cache.)"""
        don, keep, sig = [], [], []
        for path, kind, holder, key in w.slots:
            if kind == "box":
                v = holder._v
                if _is_tracer(v):
                    raise RuntimeError("torchlike.compile: nested compiled calls are not "
                                       "supported")
                if path[0] in _ARGS:
                    sig.append((path, v.shape, v.dtype))
                    keep.append(v)
                else:
                    sig.append(path)
                    don.append(v)
            else:
                v = holder[key]
                sig.append((path, type(v)))
                keep.append(v)
        return (tuple(sig), tuple(w.flags), _static_signature(args, kwargs)), don, keep

    def _program(self, w, args, kwargs):
        """The jitted program of one state structure: (state, kept) -> (new state, changed
        arguments, result leaves). State comes first so it can be donated."""
        slots = w.slots
        order = [kind == "box" and path[0] not in _ARGS for path, kind, _, _ in slots]
        info = {}

        def program(don, keep):
            saved = []
            di, ki = iter(don), iter(keep)
            vals = [next(di) if d else next(ki) for d in order]
            try:
                for (path, kind, holder, k), v in zip(slots, vals):
                    if kind == "box":
                        saved.append((holder, holder._data, holder._np, holder._npcopy))
                        holder._data, holder._np, holder._npcopy = v, None, False
                    else:
                        saved.append((holder, k, holder[k]))
                        holder[k] = v
                result = self.fn(*args, **kwargs)
                after = self._walk(args, kwargs)
                if [s[0] for s in after.slots] != [s[0] for s in slots]:
                    raise RuntimeError(
                        "torchlike.compile: the function changed the set of state it holds "
                        "(new tensors in a module or optimizer, or removed ones) on a call "
                        "with a structure seen before; this cannot be compiled")
                out = [h._v for (path, kind, h, _) in after.slots
                       if kind == "box" and path[0] not in _ARGS]
                info["changed"] = {i for i, (a, b) in enumerate(zip(don, out)) if a is not b}
                args_in = [v for (path, kind, _, _), v in zip(slots, vals)
                           if kind == "box" and path[0] in _ARGS]
                args_out = [h._v for (path, kind, h, _) in after.slots
                            if kind == "box" and path[0] in _ARGS]
                ch = [i for i, (a, b) in enumerate(zip(args_in, args_out)) if a is not b]
                info["changed_args"] = ch
                info["tree"], leaves = _flatten_result(result)
                return out, [args_out[i] for i in ch], leaves
            finally:
                for s in saved:
                    if len(s) == 4:
                        holder, data, npa, npc = s
                        holder._data, holder._np, holder._npcopy = data, npa, npc
                    else:
                        holder, k, v = s
                        holder[k] = v

        return jax.jit(program, donate_argnums=0), info


def _write(box, v):
    if box._base is None and box._data is not v:
        _set_root(box, v)


def _static_signature(args, kwargs):
    def s(a):
        if isinstance(a, Tensor):
            return ("T",)
        if isinstance(a, (int, float, str, bool, type(None))):
            return (type(a).__name__, a)
        if isinstance(a, (list, tuple)):
            return tuple(s(x) for x in a)
        return (type(a).__name__, id(a))
    return (tuple(s(a) for a in args), tuple((k, s(v)) for k, v in sorted(kwargs.items())))


def _flatten_result(r):
    leaves = []

    def f(x):
        if isinstance(x, Tensor):
            leaves.append(x._v)
            return ("T", len(leaves) - 1)
        if isinstance(x, (list, tuple)):
            return (type(x), tuple(f(y) for y in x))
        if isinstance(x, dict):
            return (dict, tuple((k, f(v)) for k, v in x.items()))
        if _is_tracer(x):
            leaves.append(x)
            return ("A", len(leaves) - 1)
        return ("C", x)
    return f(r), leaves


def _unflatten_result(tree, leaves):
    def g(t):
        tag = t[0]
        if tag == "T":
            return _new(leaves[t[1]])
        if tag == "A":
            return leaves[t[1]]
        if tag == "C":
            return t[1]
        if tag is dict:
            return {k: g(v) for k, v in t[1]}
        return tag(g(x) for x in t[1])
    return g(tree)


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,
            options=None, disable=False):
    """Compile a step function (or a Module's forward) into one XLA program per structure.

    PyTorch's keyword arguments are accepted and ignored (there is one backend, XLA)."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if disable:
        return model
    if _is_module(model):
        return OptimizedModule(model)
    return CompiledFunction(model)


class OptimizedModule(Module, _Traced):
    """`torchlike.compile(module)`: the module's call runs as one jitted program that is one
    entry on the autograd tape, so `loss.backward()` after it reaches the parameters (the
    backward is `jax.vjp` of that program). As in PyTorch, the original module is the submodule
    `_orig_mod` (state_dict keys carry that prefix) and shares its parameters."""

    _what = "torchlike.compile"
    _advice = ("Return the tensor from the model and inspect it outside, or use tensor ops such "
               "as torchlike.where instead of Python control flow.")

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod
        # plain attributes (Module.__setattr__ would register `mod` a second time)
        self.__dict__.update(_fn=mod, _module=mod, _name=type(mod).__name__, _ops={}, _calls=0)

    def forward(self, *args, **kwargs):
        self.__dict__["_calls"] += 1
        n = len(self._ops)
        out = self._call(args, kwargs)
        if len(self._ops) > max(n, RECOMPILE_LIMIT):
            warnings.warn(f"torchlike.compile: {self._name} was recompiled {len(self._ops)} "
                          f"times (limit {RECOMPILE_LIMIT}); input shapes, train/eval mode or "
                          "Python constants keep changing", stacklevel=3)
        return out

    def __getattr__(self, name):  # as in PyTorch: what the wrapper lacks comes from _orig_mod
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)

    def stats(self):
        n = len(self._ops)
        return {"calls": self._calls, "traces": n, "cache_hits": self._calls - n, "programs": n}
