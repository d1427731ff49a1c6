"""The tracing core shared by compile, jit.trace, export, func and autograd.functional.

- `StateWalker` finds the state a call can reach besides its arguments (parameters, buffers,
  plain tensor attributes of modules, grads, optimizer state and hyperparameters, the RNG key)
  through objects, modules, optimizers, schedulers, containers and functions' closures and
  globals, and records guards that say cheaply whether a new walk would find the same slots.
- `Swap` puts trace values into those Tensor boxes and takes everything back afterwards (data,
  NumPy alias fields, version; views reached by the walk; optionally modules' dicts).
  While lifted, each box has a fresh negative version that eager code never reaches, so every
  view of it (reached by the walk or not) re-derives its value from the lifted base inside the
  trace, and after the restore re-reads the concrete base again.
- `flatten` / `rebuild`: tensors in nested tuples, lists and dicts to leaves and back.
"""
from __future__ import annotations

import builtins
import contextlib
import functools
import itertools
import types

import jax
import numpy as np

from ._random import Generator, default_generator
from ._tensor import Tensor, _is_tracer, _set_root

_MISSING = object()
_NUM = (int, float)


def is_module(o):
    return hasattr(o, "_parameters") and hasattr(o, "_modules") and hasattr(o, "_buffers")


def is_optimizer(o):
    return hasattr(o, "param_groups") and hasattr(o, "state") and not is_module(o)


class StateWalker:
    """Collect state slots: (path, kind, holder, key). Kinds: 'box' (a Tensor box, written in
    place), 'num' (a Python number in an optimizer param group, lifted as a weak scalar).

    `views` lists the views met on the way (their bases are slots), `modules` the modules,
    `flags` the Python constants a program depends on (train/eval, zero hyperparameters...),
    and `guards` every container read, so that `guard_fn(guards)` can later check in a few
    microseconds that walking again would find the same slots.
    """

    def __init__(self):
        self.slots = []
        self.views = []
        self.modules = []
        self.seen = set()
        self.flags = []
        self.guards = []

    @property
    def boxes(self):
        return [h for (_, kind, h, _) in self.slots if kind == "box"]

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
            if id(t) not in self.seen:
                self.seen.add(id(t))
                self.views.append(t)
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
        elif is_module(o):
            self.module(path, o, depth)
        elif is_optimizer(o):
            self.optimizer(path, o)
        elif hasattr(o, "optimizer") and is_optimizer(getattr(o, "optimizer")):
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

    def module(self, path, o, depth):
        self.modules.append(o)
        self.flags.append((id(o), self._attr(o, "training")))
        for n, p in self._items(self._attr(o, "_parameters")):
            self.tensor(path + ("p", n), p)
        for n, b in self._items(self._attr(o, "_buffers")):
            self.tensor(path + ("b", n), b)
        # tensors kept as plain attributes (`self.row = self.w[0]`, a cached mask) are state
        # too; a new attribute changes the dict's length
        d = o.__dict__
        self.guards.append(("len", d, len(d)))
        for n, t in d.items():
            if isinstance(t, Tensor):
                self.guards.append(("d", d, n, t))
                self.tensor(path + (".", n), t)
        for n, m in self._items(self._attr(o, "_modules")):
            self.obj(path + ("m", n), m, depth + 1)

    def optimizer(self, path, o):
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
                    if not _is_tracer(v) and v == 0:
                        # a zero (weight_decay, momentum) stays a constant: the update it
                        # guards (`if weight_decay != 0`) then leaves the program
                        self.flags.append((k, v))
                    else:
                        self.slots.append((path + ("h", gi, k), "num", g, k))
                else:  # betas, nesterov, amsgrad...: Python constants of the program
                    self.flags.append((k, v if isinstance(v, (bool, str, tuple, type(None)))
                                       else id(v)))

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

    def target(self, path, f):
        """A function, bound method or partial, or a Module with its forward."""
        if is_module(f):
            self.obj(path, f)
            self.function(path + ("forward",), f.forward)
        elif isinstance(f, (types.FunctionType, types.MethodType, functools.partial)):
            self.function(path, f)
        else:
            self.obj(path, f)
            call = getattr(type(f), "__call__", None)
            if isinstance(call, types.FunctionType):
                self.function(path + ("call",), call)


def walk(*, objs=(), fns=(), rng=True):
    """A StateWalker over objects ((path, obj) pairs), callables ((path, fn) pairs) and the
    default RNG."""
    w = StateWalker()
    for path, o in objs:
        w.obj(path, o)
    for path, f in fns:
        w.target(path, f)
    if rng:
        w.obj(("rng",), default_generator)
    return w


def guard_fn(guards):
    """Compile a walker's guards into one boolean expression of subscripts and identity tests
    (a few µs for a small model)."""
    env = {"getattr": getattr, "len": len}
    terms = []
    for i, gd in enumerate(guards):
        kind, c = gd[0], gd[1]
        if kind == "a":  # an instance attribute is read from the instance dict
            d = getattr(c, "__dict__", None)
            if (isinstance(d, dict) and gd[2] in d and gd[3] is d[gd[2]]
                    and not hasattr(type(c), gd[2])):
                kind, c, gd = "d", d, ("d", d, gd[2], gd[3])
        env[f"c{i}"] = c
        if kind == "d":
            env[f"k{i}"], env[f"v{i}"] = gd[2], gd[3]
            terms.append(f"k{i} not in c{i}" if gd[3] is _MISSING else f"c{i}[k{i}] is v{i}")
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
    body = " and\n                ".join(terms or ["True"])
    src = (f"def check():\n    try:\n        return ({body})\n"
           "    except (KeyError, IndexError, ValueError):\n        return False\n")
    exec(builtins.compile(src, "<torchlike.compile guards>", "exec"), env)  # noqa: S102
    return env["check"]


@functools.lru_cache(maxsize=None)
def _names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= set(_names(c))
    return tuple(sorted(names))


# ----------------------------------------------------------------------- swap and restore

_BOX_FIELDS = ("_data", "_np", "_npcopy", "_npsnap", "_ver")
_VIEW_FIELDS = ("_data", "_vsync", "grad_fn", "_out", "_rg")
_EPOCH = itertools.count(1)


def _snap(t, fields):
    d = t.__dict__
    return tuple(d.get(f, _MISSING) for f in fields)


def _put(t, fields, values):
    d = t.__dict__
    for f, v in zip(fields, values):
        if v is _MISSING:
            d.pop(f, None)
        else:
            d[f] = v


class Swap:
    """Snapshot state boxes (and the views and modules given) so that `restore()` puts back
    exactly what was there: values, NumPy aliases, versions, views' cached values and graph
    nodes, modules' attribute, parameter, buffer and submodule dicts.

    `lift(values)` puts trace values (tracers) into the boxes. Each lifted box gets a fresh
    negative version: views of it re-derive their value from the lifted value, and after the
    restore (which puts the version back, so tape nodes saved before stay valid) they re-read
    the concrete one. Use as `with Swap(...) as sw:` to restore on exit, raising or not.
    """

    def __init__(self, boxes, views=(), modules=()):
        self.boxes = list(boxes)
        self._saved = [_snap(b, _BOX_FIELDS) for b in self.boxes]
        self._views = [(v, _snap(v, _VIEW_FIELDS)) for v in views]
        self._mods = [(m, dict(m.__dict__), dict(m._parameters), dict(m._buffers),
                       dict(m._modules)) for m in modules]
        self.start = [b.__dict__.get("_data") for b in self.boxes]

    def lift(self, values=None):
        """Put `values` (default: the boxes' own values) into the boxes under fresh versions."""
        if values is None:
            values = [b._v for b in self.boxes]
        ver = -(next(_EPOCH) << 32)   # in-place ops of one trace never count up to 0
        for b, v in zip(self.boxes, values):
            d = b.__dict__
            d["_data"], d["_np"], d["_npcopy"], d["_ver"] = v, None, False, ver
        self.start = list(values)
        lifted = {id(b) for b in self.boxes}
        for v, _ in self._views:
            if not v._rg and id(v._base) in lifted:
                # a view taken without grad (under no_grad, or detached) passes no gradient
                # to the lifted base through transforms that differentiate the whole program
                v._refresh()
                if _is_tracer(v._data):
                    v._data = jax.lax.stop_gradient(v._data)
        return self

    def changed(self):
        """Indices of the boxes whose value the traced code replaced."""
        return [i for i, (b, v) in enumerate(zip(self.boxes, self.start))
                if b.__dict__.get("_data") is not v]

    def modules_changed(self):
        """Modules whose parameter or buffer dicts the traced code changed."""
        return [m for m, _, p, b, _ in self._mods
                if not (_same(p, m._parameters) and _same(b, m._buffers))]

    def restore(self):
        for b, s in zip(self.boxes, self._saved):
            _put(b, _BOX_FIELDS, s)
        for v, s in self._views:
            _put(v, _VIEW_FIELDS, s)
        for m, d, p, bu, mo in self._mods:
            for cur, old in ((m._parameters, p), (m._buffers, bu), (m._modules, mo)):
                cur.clear()
                cur.update(old)
            m.__dict__.clear()
            m.__dict__.update(d)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False


@contextlib.contextmanager
def transformed(fn, error):
    """Run a JAX transform of `fn` (func, autograd.functional) inside this context. The state
    `fn` reaches is lifted with its own values, so views of it re-derive inside and re-read
    after. Concrete values the function wrote into that state are kept (an RNG key, a
    counter); a captured tensor left holding one of the transform's tracers is put back and
    `error(tensor)` is raised, as PyTorch refuses to mutate a captured tensor under a
    transform. Inside an outer trace (compile), every write is kept."""
    w = walk(fns=[(("fn",), fn)])
    sw = Swap(w.boxes, w.views).lift()
    try:
        yield
        writes = [(sw.boxes[i], sw.boxes[i]._data, sw.start[i]) for i in sw.changed()]
    finally:
        sw.restore()
    leaked = [b for b, v, old in writes if _is_tracer(v) and not _is_tracer(old)]
    if leaked:
        raise error(leaked[0])
    for b, v, _ in writes:
        _set_root(b, v)


def _same(d1, d2):
    return d1.keys() == d2.keys() and all(d1[k] is d2[k] for k in d1)


# ------------------------------------------------------------------- nested structures


def flatten(obj, leaves, arrays=False):
    """Tensors (and with `arrays`, bare jax tracers) in nested tuples, lists and dicts go to
    `leaves`; returns the spec that `rebuild` turns back into the structure."""
    if isinstance(obj, Tensor):
        leaves.append(obj)
        return ("T", len(leaves) - 1)
    if isinstance(obj, (list, tuple)):
        return (type(obj), tuple(flatten(x, leaves, arrays) for x in obj))
    if isinstance(obj, dict):
        return (dict, tuple((k, flatten(v, leaves, arrays)) for k, v in obj.items()))
    if arrays and _is_tracer(obj):
        leaves.append(obj)
        return ("A", len(leaves) - 1)
    return ("C", obj)


def rebuild(spec, leaves, box=None):
    """The structure `flatten` saw, with `leaves` in place of its leaves (`box` applied to
    those that were tensors)."""
    tag = spec[0]
    if tag == "T":
        x = leaves[spec[1]]
        return box(x) if box is not None else x
    if tag == "A":
        return leaves[spec[1]]
    if tag == "C":
        return spec[1]
    if tag is dict:
        return {k: rebuild(v, leaves, box) for k, v in spec[1]}
    return tag(rebuild(x, leaves, box) for x in spec[1])


def spec_key(spec):
    """A hashable key of a spec: constants by value when they are simple, else by identity."""
    tag = spec[0]
    if tag in ("T", "A"):
        return (tag,)
    if tag == "C":
        c = spec[1]
        if isinstance(c, (int, float, str, bool, type(None))):
            return ("C", type(c).__name__, c)
        return ("C", type(c).__name__, id(c))
    if tag is dict:
        return ("dict", tuple((k, spec_key(v)) for k, v in spec[1]))
    return (tag.__name__, tuple(spec_key(x) for x in spec[1]))
