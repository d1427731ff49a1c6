"""The op table and its dispatch, in one file.

Every tensor operation is one pure jax function registered here (`defop`). An entry knows how
its result dtype is promoted, what its autograd node is called, which values backward needs
(for PyTorch's in-place version check), and whether it returns a view. Eager dispatch (`call`),
backward replay and `torchlike.compile` tracing all call the same function.

This file also holds the only writer of the autograd tape (`record`: table ops, custom
Functions and `create_graph` backward programs all go through it), in-place (`inplace`,
`commit`) and `out=` (`write_out`) handling, and the dispatch hook point (`HOOKS`) that anomaly
mode, the profiler and autocast use.
"""
from __future__ import annotations

import collections
import functools
import builtins
import inspect
import queue
import threading
import time
import weakref

import jax
import jax.numpy as jnp
from jax.core import Tracer

from .. import _dtype as D
from .. import _interp
from .._autograd_core import GRAD, INFERENCE, node_class
from .._tensor import Tensor, _new, _set_root

TABLE: dict[str, "Op"] = {}

# Tiering of eager kernels (see Tiered); the defaults are documented in docs/eager.md.
CONFIG = {
    "interpret": jax.default_backend() == "cpu",  # run cold shapes without compiling
    "compile_after": 4,          # sightings of one input signature before it is compiled
    "compile_after_s": 0.01,     # ... or seconds spent interpreting it, whichever comes first
    "background": True,          # compile hot signatures on a worker thread, interpret meanwhile
    "overlap": 8,                # ... for this many more sightings, then switch (waiting if
                                 # needed): a count, so results do not depend on timing
    "max_pending": 64,           # background compiles queued at most (others wait their turn)
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
    signature. The compile runs on a background thread (`CONFIG["background"]`) while the
    signature goes on being interpreted, so a dynamic program (new lengths every step) never
    waits on XLA's compiler. Subclasses set `fn`, then call `_tiers()`."""

    __slots__ = ("fn", "jit", "hot", "cold", "queued")

    def _tiers(self):
        self.jit = jax.jit(self.fn)
        self.hot, self.cold, self.queued = set(), collections.OrderedDict(), 0

    def __call__(self, *vals):
        sig = _signature(vals)
        if sig in self.hot:
            return self.jit(*vals)
        if sig is None or not CONFIG["interpret"]:
            return self.jit(*vals)
        return self._cold(sig, vals)

    def _cold(self, sig, vals):
        # ent: [sightings, seconds interpreted, traced jaxpr, background compile or None]
        local = _on_default_cpu(vals)
        with _LOCK:
            ent = self.cold.get(sig)
            if ent is None:
                ent = self.cold[sig] = [0, 0.0, None, None]
                if len(self.cold) > CONFIG["max_signatures"]:
                    self.cold.popitem(last=False)
            else:
                self.cold.move_to_end(sig)
            ent[0] += 1
            job = ent[3]
            hot = ent[0] > CONFIG["compile_after"] or ent[1] >= CONFIG["compile_after_s"]
            background = CONFIG["background"] and local
            if hot and job is None:
                if len(self.hot) + self.queued >= CONFIG["max_signatures"]:
                    # a new function object: jax keys its compiled programs by the function,
                    # so the old shapes' programs go with the old wrapper
                    self.jit = jax.jit(functools.wraps(self.fn)(lambda *a, _f=self.fn: _f(*a)))
                    self.hot.clear()
                    self.queued = 0
                    for e in self.cold.values():
                        e[3] = None          # compiled for the old wrapper: submit again
                    STATS["jit_resets"] += 1
                if background and _BACKGROUND.pending < CONFIG["max_pending"]:
                    job = ent[3] = _BACKGROUND.submit(self.jit, vals)
                    self.queued += 1
            # the switch to the compiled kernel happens at a fixed sighting, so that eager
            # results do not depend on how fast the compiler was
            promote = hot and (not background or
                               (job is not None and ent[0] > CONFIG["compile_after"]
                                + CONFIG["overlap"]))
            if promote:
                self.cold.pop(sig, None)
                self.hot.add(sig)
                if job is not None:
                    self.queued -= 1
                STATS["compiled"] += 1
        if promote:
            if job is not None:
                job.wait()
            return self.jit(*vals)
        if not local:
            return self.jit(*vals)
        if ent[2] is None:
            ent[2] = _interp.trace(self.fn, vals)
        t0 = time.perf_counter()
        out = _interp.run(*ent[2], vals)
        ent[1] += time.perf_counter() - t0
        STATS["interpreted"] += 1
        return out


class _Job:
    """A background compile: `wait()` returns when it is done (or failed, in which case the
    caller's own jit call compiles it, or raises the error where the user sees it)."""

    __slots__ = ("jit", "vals", "done")

    def __init__(self, jit, vals):
        self.jit, self.vals, self.done = jit, vals, threading.Event()

    def wait(self):
        if not self.done.is_set():
            STATS["compile_waits"] += 1
            self.done.wait()


class _Background:
    """One worker thread that compiles hot signatures (by calling the kernel's `jit` once on
    the values that made it hot); the caller keeps interpreting until the entry is ready.
    When the main thread ends, compiles still queued are dropped and the one running is
    waited for (a thread killed inside XLA's compiler would abort the process)."""

    def __init__(self):
        self.queue, self.pending, self.thread, self.stopped = None, 0, None, False
        self.hooked = False

    def submit(self, jit, vals):
        job = _Job(jit, vals)
        if self.stopped:
            job.done.set()
            return job
        if self.thread is None or not self.thread.is_alive():
            self.queue = queue.Queue()
            self.thread = threading.Thread(target=self._work, name="torchlike-compile")
            self.thread.start()
            if not self.hooked:
                threading._register_atexit(self._stop)   # as concurrent.futures does
                self.hooked = True
        self.pending += 1
        self.queue.put(job)
        return job

    def _stop(self):
        self.stopped = True
        if self.queue is not None:
            self.queue.put(None)

    def _work(self):
        q = self.queue
        while True:
            job = q.get()
            if job is None:
                q.task_done()
                return
            try:
                if not self.stopped:
                    jax.block_until_ready(job.jit(*job.vals))
                    STATS["background_compiles"] += 1
            except Exception:  # noqa: BLE001 - the caller's own call raises it, if it does
                STATS["background_failures"] += 1
            finally:
                job.vals = None
                with _LOCK:
                    self.pending -= 1
                job.done.set()
                q.task_done()

    def drain(self):
        """Wait until every queued compile is done (tests, benchmarks)."""
        if self.queue is not None:
            self.queue.join()


_BACKGROUND = _Background()
drain = _BACKGROUND.drain


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


# ------------------------------------------------------------------------------- dispatch

_BY_NP = D._BY_NP
_SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)


class _Hooks:
    """The dispatch hook point. `pre` hooks are called as `h(op, args, static)` before an op
    runs and may return replacement args (autocast); `post` hooks as `h(op, args, static,
    out)` after it (anomaly mode's NaN check, the profiler). Empty lists cost one test each."""

    def __init__(self):
        self.pre, self.post = [], []

    def add(self, kind, h):
        lst = getattr(self, kind)
        if h not in lst:
            lst.append(h)

    def remove(self, kind, h):
        lst = getattr(self, kind)
        if h in lst:
            lst.remove(h)


HOOKS = _Hooks()


def _promote(kind, args, vals):
    """Compute PyTorch's result dtype for the dynamic args of an op."""
    first = None
    same = True
    for v in vals:
        if isinstance(v, _SCALARS) or v is None:
            same = False
            break
        if first is None:
            first = v.dtype
        elif v.dtype != first:
            same = False
            break
    if same and first is not None:
        rt = _BY_NP[first]
    else:
        dims, zeros, scal = [], [], []
        for a, v in zip(args, vals):
            if isinstance(v, _SCALARS):
                scal.append(v)
            elif v is not None:
                (dims if v.ndim else zeros).append(_BY_NP[v.dtype])
        rt = D.result_type_of(dims, zeros, scal)
    if kind == "float" and rt.category < 2:
        rt = D.get_default_dtype()
    return rt


def call(op: Op, args, static):
    """Run one op eagerly (or under tracing) and record it on the tape when needed."""
    if HOOKS.pre:
        for h in HOOKS.pre:
            args = h(op, args, static) or args
    vals = [a._v if isinstance(a, Tensor) else a for a in args]
    rt = _promote(op.promote, args, vals) if op.promote is not None else None
    k = op.kernel(static, rt)
    try:
        out = k(*vals)
    except (TypeError, ValueError) as e:
        raise _shape_error(vals, e) from None
    multi = isinstance(out, (tuple, list))
    outs = out if multi else (out,)
    res = [_new(o) for o in outs]
    if op.view is not None:
        src = args[0]
        metas = op.view(src._meta_or_root(), **dict(zip(op.static_names, static)))
        if not multi:
            metas = (metas,)
        root = src._base if src._base is not None else src
        for r, m in zip(res, metas):
            r._base, r._meta, r._vsync = root, m, root._ver
            if not GRAD[0]:
                r._nograd_view = True
            if src._as is not None:
                r._as = src._as
    if GRAD[0] and op.differentiable:
        refs = [ref(a) for a in args]
        if builtins.any(r is not None for r in refs):
            saved = None
            if op.saves == "inputs":
                # (storage, version, argument index): the engine's check asks, only when a
                # version moved, whether backward really reads that argument (PyTorch's rule)
                saved = tuple((a._root(), a._root()._ver, i) for i, a in enumerate(args)
                              if isinstance(a, Tensor))
            elif op.saves == "output":
                saved = tuple((weakref.ref(r), 0) for r in res)
            node = record(op.node_name(static), k, refs, vals, res, multi, saved)
            if builtins.any(isinstance(a, Tensor) and a._root()._inference for a in args):
                _inference_saved(node, args)
    elif not GRAD[0] and INFERENCE[0]:
        for r in res:
            r._inference = True
    out = tuple(res) if multi else res[0]
    if HOOKS.post:
        for h in HOOKS.post:
            h(op, args, static, out)
    return out


def _inference_saved(node, args):
    """PyTorch's error for an inference tensor that backward would read (only those: an
    inference tensor added to one requiring grad is fine)."""
    from ..autograd.engine import _needed_args
    need = _needed_args(node)
    for i, a in enumerate(args):
        if isinstance(a, Tensor) and a._root()._inference and (need is None or i in need):
            raise RuntimeError("Inference tensors cannot be saved for backward. Please do not "
                               "use Tensors created in inference mode in computation tracked "
                               "by autograd. To work around this, you can make a clone to get "
                               "a normal tensor and use it in autograd, or use "
                               "`torch.no_grad()` instead of `torch.inference_mode()`.")


def ref(a):
    """How a tape node refers to one of its inputs: the (node, output index) that made a
    tensor requiring grad, the tensor itself for a leaf, None for anything else."""
    if isinstance(a, Tensor) and a._rg:
        return (a.grad_fn, a._out) if a.grad_fn is not None else a
    return None


def record(name, kernel, refs, vals, res, multi, saved=None, differentiable=None):
    """Put one node on the tape: the only writer of the tape. `kernel(*vals)` computed `res`
    (Tensors); `refs` says, per value, which input it came from (`ref`); `saved` is what the
    in-place version check watches. Outputs of a floating or complex dtype (and, when given,
    with `differentiable[i]` true) become the node's outputs."""
    node = node_class(name)(kernel, tuple(refs), tuple(vals),
                            tuple((r._data.shape, r._data.dtype) for r in res))
    node.multi = multi
    node.saved = saved
    for i, r in enumerate(res):
        if (differentiable is None or differentiable[i]) and \
                (r._data.dtype.kind in "fcV" or r._data.dtype == jnp.bfloat16):
            r.grad_fn, r._out, r._rg = node, i, True
    return node


def _shape_error(vals, e):
    """PyTorch's RuntimeError for operands that do not broadcast; otherwise `e` unchanged."""
    shapes = [v.shape for v in vals if hasattr(v, "shape")]
    if len(shapes) < 2 or "shape" not in str(e):
        return e
    nd = builtins.max(len(s) for s in shapes)
    for i in range(1, nd + 1):
        sizes = [s[-i] for s in shapes if len(s) >= i]
        big = [n for n in sizes if n != 1]
        if big and builtins.any(n != big[0] for n in big):
            a, b = big[0], next(n for n in big if n != big[0])
            return RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                                f"({b}) at non-singleton dimension {nd - i}")
    return e


def check_inplace(t):
    if t._root()._inference and not INFERENCE[0]:
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not "
                           "allowed.You can make a clone to get a normal tensor before doing "
                           "inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
                           "details.")
    if t._base is not None:
        size, stride, _ = t._meta
        if builtins.any(st == 0 and n > 1 for n, st in zip(size, stride)):
            raise RuntimeError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.")
    if GRAD[0]:
        if t._base is None:
            if t._rg and t.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
        else:
            b = t._base
            if b._rg and b.grad_fn is None and t._rg:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                                   "in an in-place operation.")


def commit(t, r):
    """Make tensor t hold r's value (same shape) in place: the in-place half of `x.op_()`."""
    own = r.grad_fn
    root = t._base if t._base is not None else t
    old = root._ver
    out = _commit(t, r)
    if own is not None and own.saved and root._ver != old:
        # PyTorch's in-place node saves a clone of the original self (never invalidated:
        # jax values are immutable, drop the entry) or, for ops that save their result
        # (relu_, exp_), t itself at the version after the write
        new = root._ver
        own.saved = tuple((root, new) if isinstance(s[0], weakref.ref) and s[0]() is r else s
                          for s in own.saved if not (s[0] is root and s[1] == old))
    return out


def _commit(t, r):
    if r.dtype is not t.dtype:
        if r.dtype.category > t.dtype.category:
            raise RuntimeError(f"result type {D.scalar_name(r.dtype)} can't "
                               f"be cast to the desired output type "
                               f"{D.scalar_name(t.dtype)}")
        r = call(TABLE["to_dtype"], (r,), (t.dtype,))
    rv = r._v
    tshape = t._v.shape
    if rv.shape != tshape:
        try:
            r = call(TABLE["expand"], (r,), (tshape,))
        except Exception:  # noqa: BLE001
            raise RuntimeError(f"output with shape {list(tshape)} doesn't match the broadcast "
                               f"shape {list(rv.shape)}") from None
        rv = r._v
    b = t._base
    if b is None:
        _set_root(t, rv)
        if r._rg and GRAD[0]:
            t.grad_fn, t._out, t._rg = r.grad_fn, r._out, True
        return t
    size, stride, off = t._meta
    if t._as is None:
        wop, wst = TABLE["copy_slices"], (size, stride)
    else:   # a reinterpreting view (.real, .imag, view(dtype))
        wop, wst = TABLE["reinterp_write"], (size, stride, t._as)
    if not t._rg and not (r._rg and GRAD[0]):
        # a write through a detached view (`p.data.sub_(...)`) is not recorded on the base
        _set_root(b, wop.kernel(wst, None)(b._v, rv, off))
        t._data, t._vsync = rv, b._ver
        return t
    nb = call(wop, (b, r, off), wst)
    _set_root(b, nb._data)
    if nb._rg:
        b.grad_fn, b._out, b._rg = nb.grad_fn, 0, True
    t._data, t._vsync = rv, b._ver
    if r._rg and GRAD[0]:
        t.grad_fn, t._out, t._rg = r.grad_fn, r._out, True
    return t


def inplace(op, t, args, static):
    check_inplace(t)
    r = call(op, (t, *args), static)
    return commit(t, r)


def write_out(out, r):
    """Implement `out=`: out takes r's value (resized like PyTorch if its shape differs)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if out._v.shape != r._v.shape and out._base is None:
        out._data = jnp.zeros(r._v.shape, out._v.dtype)
        out._np = None
    if GRAD[0] and r._rg:
        raise RuntimeError("out=... arguments don't support automatic differentiation, but one "
                           "of the arguments requires grad.")
    return commit(out, r)
