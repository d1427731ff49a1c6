"""The profiler's side of dispatch: wall-clock events per table op and per `record_function`.

`on_op_start(op, args, static)` / `on_op_end(op, args, static, out)` are installed as the
dispatch hook point's `pre` / `post` hooks only while a profiler records, so programs that are
not profiled pay nothing. An op's time runs from dispatch to its result being ready
(`block_until_ready`: JAX dispatch is asynchronous, so without it an op would show only its
dispatch cost and the next blocking op would carry the rest). Ops traced under
`torchlike.compile` are not timed (they run inside one XLA program; the compiled call is).
"""
from __future__ import annotations

import threading
import time

import jax

_ACTIVE = []                 # recorders (`_Recorder`) currently recording, any thread
_LOCK = threading.Lock()
_TLS = threading.local()     # per-thread stack of open events


def _stack():
    s = getattr(_TLS, "stack", None)
    if s is None:
        s = _TLS.stack = []
    return s


def _now_us():
    return time.perf_counter_ns() / 1000.0


class _Event:
    __slots__ = ("name", "start", "end", "tid", "shapes", "children", "parent", "mem", "kind",
                 "token", "recorders")

    def __init__(self, name, kind, shapes=None, token=None):
        self.name, self.kind, self.shapes, self.token = name, kind, shapes, token
        self.start = _now_us()
        self.end = None
        self.tid = threading.get_ident()
        self.children = []
        self.parent = None
        self.mem = 0
        self.recorders = tuple(_ACTIVE)


def _dispatch_hooks():
    try:
        from .. import _dispatch
        return _dispatch.HOOKS
    except (ImportError, AttributeError):
        from .._ops import registry
        return getattr(registry, "HOOKS", None)


def _install(rec):
    with _LOCK:
        first = not _ACTIVE
        _ACTIVE.append(rec)
        if first:
            h = _dispatch_hooks()
            if h is not None:
                h.add("pre", on_op_start)
                h.add("post", on_op_end)
            _patch_backward(True)


def _uninstall(rec):
    with _LOCK:
        if rec in _ACTIVE:
            _ACTIVE.remove(rec)
        if not _ACTIVE:
            h = _dispatch_hooks()
            if h is not None:
                h.remove("pre", on_op_start)
                h.remove("post", on_op_end)
            _patch_backward(False)


def _drop_stale(st):
    """An op event still open when the next op or range starts belongs to an op that raised
    (its post-hook never ran): no op runs inside another (autocast's casts run before the
    profiler's pre-hook). Close it with no duration."""
    while st and st[-1].kind in ("op", "traced"):
        ev = st.pop()
        ev.end = ev.start


def _open(name, kind, shapes=None, token=None):
    st = _stack()
    _drop_stale(st)
    ev = _Event(name, kind, shapes, token)
    if st:
        ev.parent = st[-1]
        st[-1].children.append(ev)
    else:
        for r in ev.recorders:
            r.roots.append(ev)
    st.append(ev)
    return ev


def _close(ev):
    ev.end = _now_us()
    st = _stack()
    if ev.kind == "range":
        _drop_stale(st)
    while st:                  # events left open by an op that raised are closed here too
        top = st.pop()
        if top is ev:
            break
        top.end = ev.end


_ATEN = {"to_dtype": "aten::to", "to_device": "aten::to", "sdpa":
         "aten::scaled_dot_product_attention", "convolution": "aten::convolution",
         "basic_index": "aten::slice", "index": "aten::index", "copy_from": "aten::copy_",
         "rnn_layer": "aten::rnn_layer", "max_all": "aten::max", "min_all": "aten::min",
         "max_dim": "aten::max", "min_dim": "aten::min", "pow_int": "aten::pow",
         "pow_scalar": "aten::pow", "rpow": "aten::pow", "reshape_copy": "aten::reshape",
         "split_equal": "aten::split", "split_with_sizes": "aten::split_with_sizes",
         "div_mode": "aten::div", "hardtanh_pt": "aten::hardtanh", "clone": "aten::clone"}


def _shapes(args):
    out = []
    for a in args:
        s = getattr(a, "shape", None)
        out.append(list(s) if s is not None else [])
    return out


def on_op_start(op, args, static):
    """Dispatch pre-hook: open an event for table op `op` (returns None: args unchanged)."""
    if not _ACTIVE:
        return None
    shapes = _shapes(args) if any(r.record_shapes for r in _ACTIVE) else None
    _open(_ATEN.get(op.name, "aten::" + op.name), "op", shapes, token=op)
    return None


def on_op_end(op, args, static, out):
    """Dispatch post-hook: wait for the op's result, close its event."""
    st = _stack()
    if not st:
        return
    ev = None
    for e in reversed(st):
        if e.token is op:
            ev = e
            break
    if ev is None:
        return
    outs = out if isinstance(out, (tuple, list)) else (out,)
    from .._tensor import _is_tracer
    mem = 0
    for o in outs:
        v = getattr(o, "_v", None)
        if v is None:
            continue
        if _is_tracer(v):
            ev.kind = "traced"
            continue
        try:
            jax.block_until_ready(v)
        except Exception:  # noqa: BLE001
            pass
        mem += int(getattr(v, "nbytes", 0))
    ev.mem = mem
    _close(ev)


def push_range(name):
    """Open a user range (`record_function`) when a profiler records; returns the event."""
    if not _ACTIVE:
        return None
    return _open(name, "range", [] if any(r.record_shapes for r in _ACTIVE) else None)


def pop_range(ev):
    if ev is not None:
        _close(ev)


# -------------------------------------------------------------- backward as one event
_ORIG_BACKWARD = []


def _patch_backward(on):
    """While profiling, `Tensor.backward` is timed as one event: torchlike's backward runs
    the tape as one vjp program (or node kernels), not op by op through dispatch."""
    from .._tensor import Tensor
    if on and not _ORIG_BACKWARD:
        orig = Tensor.backward
        _ORIG_BACKWARD.append(orig)

        def backward(self, *args, **kwargs):
            ev = push_range("autograd::engine::evaluate_function: backward")
            try:
                return orig(self, *args, **kwargs)
            finally:
                pop_range(ev)
        backward.__wrapped__ = orig
        Tensor.backward = backward
    elif not on and _ORIG_BACKWARD:
        Tensor.backward = _ORIG_BACKWARD.pop()
