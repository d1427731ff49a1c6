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

import functools
import sys
import warnings
import weakref

import jax
import numpy as np

from . import _checks, _trace
from ._interp import to_device
from .jit import _Traced
from .nn.modules.module import Module
from ._tensor import Tensor, _is_tracer, _new, _set_root
from .amp.autocast_mode import compile_key as _amp_key

RECOMPILE_LIMIT = 8
SPMD_HOOK = None  # set by torchlike.distributed in a multi-process world (distributed/_spmd.py)


def _own_refs():
    """sys.getrefcount of an array held only by its tensor and one local variable."""
    box = {"_data": object()}
    v = box["_data"]
    return sys.getrefcount(v)


_OWN_REFS = _own_refs()


_CONST = (int, float, bool, str, type(None), np.generic)


def _split_args(args, kwargs):
    """Tensor arguments (passed to the program), their signature, and the other arguments:
    constants (part of the key) and objects such as modules or optimizers, whose state is
    found by walking them like the function's globals (their identity is part of the key)."""
    tens, sig, objs = [], [], []
    items = enumerate(args) if not kwargs else [*enumerate(args), *sorted(kwargs.items())]
    for name, a in items:
        if isinstance(a, Tensor) and a._base is None:
            v = a._v
            if _is_tracer(v):
                raise RuntimeError("torchlike.compile: nested compiled calls are not supported")
            tens.append(a)
            sig.append((v.shape, v.dtype))
        elif isinstance(a, _CONST):
            sig.append((type(a), a))
        else:
            objs.append((name, a))
            sig.append(id(a))
    return tens, tuple(sig), objs


class _State:
    """What a call reaches besides its tensor arguments: state slots in a fixed order (through
    object arguments, the function's closure and globals, the default RNG), and a
    guard that says in a few microseconds whether a new walk would find the same slots."""

    def __init__(self, cf, objs):
        w = _trace.walk(objs=[(("arg", name), o) for name, o in objs], fns=[(("fn",), cf.fn)])
        self.objs = objs
        self.slots = w.slots
        self.views = w.views
        self.boxes = w.boxes
        self.nums = [(h, k) for (_, kind, h, k) in w.slots if kind == "num"]
        self._last = [(None, None)] * len(self.nums)
        self.check = _trace.guard_fn(w.guards)
        key = (tuple((p, kind) for p, kind, _, _ in w.slots), tuple(w.flags))
        self.kid = cf._kids.setdefault(key, len(cf._kids))  # a small int stands for the key

    def numbers(self):
        """The lifted numbers (learning rates...) as weakly typed device scalars: passing a
        Python number to the program would convert it on every call."""
        out, last = [], self._last
        for i, (h, k) in enumerate(self.nums):
            v = h[k]
            n, a = last[i]
            if v is not n:
                a = v if _is_tracer(v) else jax.numpy.asarray(v)
                last[i] = (v, a)
            out.append(a)
        return out

    def holds(self, objs):
        return (len(objs) == len(self.objs) and all(a[1] is b[1] for a, b in zip(objs, self.objs))
                and self.check())


class CompiledFunction:
    """The callable returned by `torchlike.compile(fn)`. `stats()` reports eager calls, traces,
    cache hits and `state_copies` (state arrays copied because something else referenced them,
    see `_donate`)."""

    def __init__(self, fn):
        self.fn = fn
        self._cache = {}
        self._seen = set()
        self._grad_fill = {}     # entry structure -> parameters whose .grad the step creates
        self._kids = {}
        self._state = None
        self._stats = {"calls": 0, "eager_calls": 0, "traces": 0, "cache_hits": 0,
                       "state_copies": 0}
        functools.update_wrapper(self, fn)

    def stats(self):
        return dict(self._stats, programs=len(self._cache))

    def _reach(self, objs):
        st = self._state
        if st is None or not st.holds(objs):
            st = self._state = _State(self, objs)
        return st

    def _fill_grads(self, fill, objs, sig, key):
        """A loop that sets `.grad` to None outside the step (`zero_grad()` before each call)
        enters every call with grads the step creates: give those parameters zero grads
        first (backward adds into them: the same values), so the step compiles once over
        the structure it leaves, instead of running eagerly on every call."""
        for r in fill:
            t = r()
            if t is not None and t._grad is None:
                t._grad = _new(to_device(np.zeros(t._v.shape, t._v.dtype), copy=False))
        st = self._reach(objs)
        return st, (st.kid, sig, key[2])

    def __call__(self, *args, **kwargs):
        self._stats["calls"] += 1
        tens, sig, objs = _split_args(args, kwargs)
        st = self._reach(objs)
        key = (st.kid, sig, _amp_key())    # autocast state: a program traced under it casts
        fill = self._grad_fill.get(key)
        if fill:
            st, key = self._fill_grads(fill, objs, sig, key)
        entry = self._cache.get(key)
        if entry is None:
            if key not in self._seen:
                # first sight of this structure: run eagerly to create lazy state
                self._stats["eager_calls"] += 1
                self._state = None
                bare = [t for t in st.boxes if t._rg and t.grad_fn is None and t._grad is None]
                out = self.fn(*args, **kwargs)
                self._seen.add((self._reach(objs).kid, sig, key[2]))
                made = [weakref.ref(t) for t in bare if t._grad is not None]
                if made:
                    self._grad_fill[key] = made
                return out
            entry = self._cache[key] = self._program(st, tens, args, kwargs)
            self._stats["traces"] += 1
            if len(self._cache) > RECOMPILE_LIMIT:
                warnings.warn(f"torchlike.compile: {self.fn.__name__} was recompiled "
                              f"{len(self._cache)} times (limit {RECOMPILE_LIMIT}); the state "
                              "structure, argument shapes or Python constants keep changing",
                              stacklevel=2)
        else:
            self._stats["cache_hits"] += 1
        jitted, info = entry
        don, donated = self._donate(st)
        keep = [t._v for t in tens]
        keep += st.numbers()
        if "tree" in info:
            new_state, new_args, leaves, checked = jitted(don, keep)
        else:
            with warnings.catch_warnings():  # state that changed shape cannot reuse its buffer
                warnings.filterwarnings("ignore", "Some donated buffers were not usable")
                new_state, new_args, leaves, checked = jitted(don, keep)
        if info.pop("fresh", False):  # a trace may have put new boxes into containers
            self._state = None
            st = self._reach(objs)
        if checked is not None:
            self._raise_failed(st, info, new_state, donated, checked)
        boxes = st.boxes
        for i in info["changed"]:
            _set_root(boxes[i], new_state[i])
        for i in info["unchanged"]:
            if donated[i]:  # the same values, in the buffer XLA handed back
                boxes[i]._data = new_state[i]
        for i, v in zip(info["changed_args"], new_args):
            _write(tens[i], v)
        return _trace.rebuild(info["tree"], leaves, _new)

    def _raise_failed(self, st, info, new_state, donated, checked):
        """After a step whose program checked indices: if a check failed, put back the state
        (the program returned the values it received) and raise PyTorch's error."""
        flags, values = checked
        flags = np.asarray(flags)  # the step's one read back
        if not flags.any():
            return
        boxes = st.boxes
        for i, box in enumerate(boxes):
            if donated[i]:  # the old value, in the buffer XLA handed back
                v = new_state[i]
                if v.shape == box._v.shape and v.dtype == box._v.dtype:
                    box._data = v
                else:  # state that changed shape cannot be put back
                    _set_root(box, v)
        info["checks"].raise_first(flags, values)

    def _donate(self, st):
        """The state arrays, to be donated to the program so that XLA updates them in place.
        An array that something else still references (another tensor, a NumPy alias, a value
        saved for autograd) is copied first instead. Returns the arrays and which were
        donated."""
        don, flags = [], []
        for box in st.boxes:
            v = box._v
            ok = box._np is None and sys.getrefcount(v) <= _OWN_REFS
            if not ok:
                v = jax.numpy.array(v, copy=True)
                self._stats["state_copies"] += 1
            don.append(v)
            flags.append(ok)
        return don, flags

    def _program(self, st, tens, args, kwargs):
        """The jitted program of one call structure: (state, [tensor args, lifted numbers]) ->
        (new state, changed tensor args, result leaves). State comes first to be donated."""
        boxes, nums, n_t, kid, objs = st.boxes, st.nums, len(tens), st.kid, st.objs
        info = {}

        def program(don, keep):
            saved_nums = [(h, k, h[k]) for h, k in nums]
            try:
                with _trace.Swap((*tens, *boxes), st.views) as sw:
                    sw.lift((*keep[:n_t], *don))
                    for (h, k), v in zip(nums, keep[n_t:]):
                        h[k] = v
                    with _checks.collecting() as col:
                        result = self.fn(*args, **kwargs)
                    after = _State(self, objs)
                    if after.kid != kid:
                        raise RuntimeError(
                            "torchlike.compile: the function changed the set of state it holds "
                            "(new tensors in a module or optimizer, or removed ones) on a call "
                            "with a structure seen before; this cannot be compiled")
                    out = [b._v for b in after.boxes]
                    info["changed"] = [i for i, (a, b) in enumerate(zip(don, out)) if a is not b]
                    info["unchanged"] = [i for i, (a, b) in enumerate(zip(don, out))
                                         if a is b]
                    targs = [t._v for t in tens]
                    ch = [i for i, (a, b) in enumerate(zip(keep, targs)) if a is not b]
                    info["changed_args"] = ch
                    leaves = []
                    info["tree"] = _trace.flatten(result, leaves, arrays=True)
                    info["fresh"] = True
                    leaves = [x._v if isinstance(x, Tensor) else x for x in leaves]
                    new_args = [targs[i] for i in ch]
                    flags, values = col.outputs()
                    if flags is None:
                        return out, new_args, leaves, None
                    # a failed check keeps the state (and tensor arguments) as they were
                    info["checks"] = col
                    ok = ~flags.any()
                    out = [jax.numpy.where(ok, b, a) if a is not b and a.shape == b.shape
                           and a.dtype == b.dtype else b for a, b in zip(don, out)]
                    new_args = [jax.numpy.where(ok, targs[i], keep[i]) for i in ch]
                    return out, new_args, leaves, (flags, values)
            finally:
                for h, k, v in saved_nums:
                    h[k] = v

        if SPMD_HOOK is not None:  # torchlike.distributed: a program of the whole job
            spmd = SPMD_HOOK(program, st)
            if spmd is not None:
                return spmd, info
        return jax.jit(program, donate_argnums=0, keep_unused=True), info


def _write(box, v):
    if box._base is None and box._data is not v:
        _set_root(box, v)


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None,
            options=None, disable=False):
    """Compile a step function (or a Module's forward) into one XLA program per structure.

    PyTorch's keyword arguments are accepted and ignored (there is one backend, XLA)."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if disable:
        return model
    if _trace.is_module(model):
        return OptimizedModule(model)
    return CompiledFunction(model)


class OptimizedModule(Module, _Traced):
    """`torchlike.compile(module)`: the module's call runs as one jitted program that is one
    entry on the autograd tape, so `loss.backward()` after it reaches the parameters (the
    backward is `jax.vjp` of that program). As in PyTorch, the original module is the submodule
    `_orig_mod` (state_dict keys carry that prefix) and shares its parameters."""

    _what = "torchlike.compile"
    _grad_name = "CompiledFunctionBackward"
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
