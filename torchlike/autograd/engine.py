"""Backward: walk the tape from the outputs and run the vjps of its nodes, adapted to the graph.

Two ways to run one backward (docs/autograd.md has the measurements behind the thresholds):

- node by node: each node's vjp is a small jitted kernel cached per (op kernel, which inputs
  are differentiated, input and cotangent shapes and dtypes), so a graph never seen before
  compiles nothing when its ops are known. Used for new structures, graphs above `MAX_NODES`,
  graphs with hooks on non-leaf tensors (a hook's return value replaces the gradient that
  flows on, as in PyTorch) and for `create_graph` (each node's vjp is recorded as one op).
- compiled: the whole backward as one pure program of per-node vjps, jax.jit-compiled and
  cached under the graph's structure. A structure is compiled on its `COMPILE_AFTER`-th
  sighting, or on its first when it is small (<= `SMALL_NODES`) and running it node by node
  would compile node kernels anyway (a cold training loop).

Both caches are bounded LRUs (`configure`); `stats()` counts compiles, hits, node-by-node runs
and evictions. Cache mutation is under one lock, so backward may run in several threads.

Complex gradients follow PyTorch's convention (the conjugate of JAX's): cotangents are
conjugated on the way in and gradients on the way out (and around tensor hooks).
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as _jcore

from .._ops.registry import Tiered
# `ref` and `record` name local variables here
from .._ops.registry import record as _tape_record
from .._ops.registry import ref as _ref

# measured on a 2-core CPU (docs/autograd.md): see configure()
COMPILE_AFTER = 4      # sightings of a structure before it is compiled whole
SMALL_NODES = 0        # a cold structure this small is compiled on first sight: off since node
                       # kernels run interpreted while cold (compiling a small LSTM graph
                       # whole on first sight cost 10 s of D1's first step)
MAX_NODES = 400        # larger structures are never compiled whole

STATS = {"compiles": 0, "hits": 0, "node_runs": 0, "node_compiles": 0, "node_hits": 0,
         "evictions": 0}
USE_CACHE = [True]   # benchmarks switch this off to run the uncompiled whole-graph replay
_LOCK = threading.RLock()

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


class LRU:
    """A bounded mapping; the least recently used entry goes first (counted in evictions)."""

    def __init__(self, maxsize):
        self.maxsize = maxsize
        self._d = OrderedDict()

    def get(self, key):
        with _LOCK:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key, value):
        with _LOCK:
            self._d[key] = value
            self._d.move_to_end(key)
            self._trim()

    def _trim(self):
        while len(self._d) > self.maxsize:
            self._d.popitem(last=False)
            STATS["evictions"] += 1

    def __len__(self):
        return len(self._d)

    def __contains__(self, key):
        return key in self._d

    def clear(self):
        with _LOCK:
            self._d.clear()


CACHE = LRU(256)        # structure key -> _ProgramKernel
KERNELS = LRU(4096)     # node vjp kernel key -> _Fn
SEEN = LRU(8192)        # structure key -> sightings (not compiled yet)


def configure(*, program_cache_size=None, node_cache_size=None, compile_after=None,
              small_nodes=None, max_nodes=None):
    """Set cache bounds and thresholds; returns the previous settings (pass them back to undo)."""
    global COMPILE_AFTER, SMALL_NODES, MAX_NODES
    prev = dict(program_cache_size=CACHE.maxsize, node_cache_size=KERNELS.maxsize,
                compile_after=COMPILE_AFTER, small_nodes=SMALL_NODES, max_nodes=MAX_NODES)
    with _LOCK:
        if program_cache_size is not None:
            CACHE.maxsize = int(program_cache_size)
            CACHE._trim()
        if node_cache_size is not None:
            KERNELS.maxsize = int(node_cache_size)
            KERNELS._trim()
        if compile_after is not None:
            COMPILE_AFTER = int(compile_after)
        if small_nodes is not None:
            SMALL_NODES = int(small_nodes)
        if max_nodes is not None:
            MAX_NODES = int(max_nodes)
    return prev


def stats():
    """Counters since start, plus the caches' sizes and bounds."""
    return dict(STATS, program_cache=len(CACHE), program_cache_size=CACHE.maxsize,
                node_cache=len(KERNELS), node_cache_size=KERNELS.maxsize)


class _Fn(Tiered):
    """A pure function usable as a tape node's kernel; calling it runs the eager tiers
    (interpreted while its shapes are cold, compiled once hot: `registry.Tiered`)."""

    __slots__ = ("used", "record", "__weakref__")

    def __init__(self, fn):
        self.fn = fn
        self._tiers()
        self.used = None     # which arguments the outputs depend on (create_graph)
        self.record = None   # _record_program's kernel for this program


_ProgramKernel = _Fn


def _used_args(k, vals):
    """Mask of k.fn's arguments its outputs depend on (dead-code elimination of its jaxpr), so
    a create_graph node links only to what its derivative really uses, as PyTorch's saved
    tensors do: a gradient that structurally does not depend on a leaf leaves it None."""
    if k.used is None:
        try:
            from jax._src.interpreters import partial_eval as pe
            closed = jax.make_jaxpr(k.fn)(*vals)
            _, used = pe.dce_jaxpr(closed.jaxpr, [True] * len(closed.jaxpr.outvars))
            leaves = [jax.tree_util.tree_leaves(v) for v in vals]
            it, mask = iter(used), []
            for lv in leaves:
                mask.append(any([next(it) for _ in lv]))
            k.used = tuple(mask)
        except Exception:  # noqa: BLE001 - unknown jaxpr forms: keep every link
            k.used = (True,) * len(vals)
    return k.used


# ------------------------------------------------------------------------- graph walking


def _collect(roots):
    """Topological order (inputs first) of the nodes reachable from the root nodes."""
    order, seen = [], set()
    stack = [(n, False) for n in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for ref in node.inputs:
            if isinstance(ref, tuple) and id(ref[0]) not in seen:
                stack.append((ref[0], False))
    return order


_NEEDED = OrderedDict()   # (kernel, differentiated mask, input avals) -> argument indices read


def _needed_args(node):
    """The argument positions whose values the node's backward really reads (PyTorch saves
    only those: `x.mul_(2)` saves nothing of x). Found from the vjp's jaxpr by walking back
    from the gradients; run only when a saved version moved, so it costs nothing otherwise.
    None when it cannot be decided (the check then stays conservative)."""
    vals = node.vals
    mask = tuple(r is not None for r in node.inputs)
    sig = tuple((v.shape, v.dtype) if hasattr(v, "shape") else (type(v), v) for v in vals)
    key = (id(node.kernel), node.kernel, mask, sig, node.avals)
    try:
        hash(key)
    except TypeError:
        return None
    with _LOCK:
        hit = _NEEDED.get(key)
    if hit is not None:
        return hit
    arr = [i for i, v in enumerate(vals) if hasattr(v, "shape")]
    diff = [i for i in arr if mask[i]]
    fn = node.kernel.fn

    def bwd(*a):
        xs, cts = a[:len(arr)], a[len(arr):]

        def f(*d):
            full = list(vals)
            for i, x in zip(arr, xs):
                full[i] = x
            for i, x in zip(diff, d):
                full[i] = x
            return fn(*full)
        out, pull = jax.vjp(f, *[xs[arr.index(i)] for i in diff])
        ct_iter = iter(cts)
        outs = out if node.multi else (out,)
        ct = tuple(next(ct_iter) if jnp.issubdtype(o.dtype, jnp.inexact)
                   else np.zeros(o.shape, jax.dtypes.float0) for o in outs)
        return pull(ct if node.multi else ct[0])
    try:
        ct_avals = [jax.ShapeDtypeStruct(sh, dt) for sh, dt in node.avals
                    if jnp.issubdtype(dt, jnp.inexact)]
        jaxpr = jax.make_jaxpr(bwd)(*[vals[i] for i in arr], *ct_avals).jaxpr
    except Exception:  # noqa: BLE001 - undecidable: keep every argument
        return None
    live = {v for v in jaxpr.outvars if not isinstance(v, _jcore.Literal)}
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars):
            live.update(v for v in eqn.invars if not isinstance(v, _jcore.Literal))
    res = frozenset(i for i, v in zip(arr, jaxpr.invars[:len(arr)]) if v in live)
    with _LOCK:
        _NEEDED[key] = res
        if len(_NEEDED) > 256:
            _NEEDED.popitem(last=False)
    return res


def _check(node):
    if node.freed or node.vals is None:
        raise RuntimeError(_FREED)
    for root, ver, *idx in node.saved or ():
        t = root() if isinstance(root, weakref.ref) else root
        if t is not None and t._ver != ver:
            if idx:
                need = _needed_args(node)
                if need is not None and idx[0] not in need:
                    continue
            from .._dtype import scalar_name
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [torch.{scalar_name(t.dtype)}Tensor "
                f"[{', '.join(str(s) for s in t.shape)}]], which is output {t._out} of "
                f"{type(t.grad_fn).__name__ if t.grad_fn is not None else 'AccumulateGrad'}, "
                f"is at version {t._ver}; expected version {ver} instead. Hint: enable anomaly "
                "detection to find the operation that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True).")


def _zero_ct(aval):
    shape, dtype = aval
    if jnp.issubdtype(dtype, jnp.inexact):
        return jnp.zeros(shape, dtype)
    return np.zeros(shape, jax.dtypes.float0)


def _aval(v):
    if hasattr(v, "dtype") and hasattr(v, "shape"):
        return (v.shape, v.dtype, getattr(v, "weak_type", False))
    return type(v)


def _is_complex(v):
    return v is not None and jnp.iscomplexobj(v)


# ------------------------------------------------------------------------ node by node


def _node_vjp(kernel, diff, present, avals, multi, vals, cts):
    """The cached jitted vjp of one node: (*vals, *present cotangents) -> grads of `diff`."""
    in_avals = tuple(_aval(v) for v in vals)
    key = (kernel, diff, present, multi, in_avals, tuple(_aval(c) for c in cts))
    k = KERNELS.get(key)
    if k is not None:
        STATS["node_hits"] += 1
        return k
    n = len(vals)

    def fn(*a):
        vs, cs = list(a[:n]), iter(a[n:])

        def f(*d):
            full = list(vs)
            for j, x in zip(diff, d):
                full[j] = x
            return kernel.fn(*full)

        _, vjp = jax.vjp(f, *[vs[j] for j in diff])
        outs = [next(cs).astype(av[1]) if p else _zero_ct(av) for p, av in zip(present, avals)]
        return tuple(vjp(tuple(outs) if multi else outs[0]))

    k = _Fn(fn)
    with _LOCK:
        STATS["node_compiles"] += 1
        KERNELS.put(key, k)
        _KNOWN.add((kernel, in_avals))
    return k


_ADD = _Fn(lambda a, b: a + b)   # gradient accumulation, in the eager tiers
_CONJ = _Fn(jnp.conj)


def _conj(x, record):
    """PyTorch's gradient <-> JAX's cotangent for complex values (no-op for real ones)."""
    from .._tensor import Tensor
    if isinstance(x, Tensor):
        if not x.dtype.is_complex:
            return x
        return _apply(_CONJ, (x._v,), (_ref(x),), record, "ConjBackward0")[0]
    return jnp.conj(x) if _is_complex(x) else x


def _apply(k, vals, refs, record, name):
    """Run kernel k on vals; with record, put it on the tape as one node linked to refs."""
    from .._tensor import _new
    outs = k(*vals)
    multi = isinstance(outs, (tuple, list))
    outs = tuple(outs) if multi else (outs,)
    res = [_new(o) for o in outs]
    if record and any(r is not None for r in refs):
        used = _used_args(k, vals)
        refs = tuple(r if u else None for r, u in zip(refs, used))
        if any(r is not None for r in refs):
            _tape_record(name, k, refs, vals, res, multi)
    return res


def _run_hooks(t, g, create_graph):
    """Tensor hooks see PyTorch's gradient; a returned tensor replaces it."""
    from .._tensor import _new
    gt = _conj(g, True) if create_graph else _new(_conj(g, False))
    for h in t._hooks:
        r = h(gt)
        if r is not None:
            gt = r
    if create_graph:
        return _conj(gt, True)
    return _conj(gt._v, False)


def _run_nodes(order, root_refs, cts, wanted_leaves, wanted_outs, out_targets, create_graph):
    """Backward node by node. Returns (leaf grads, retained-output grads) in JAX convention
    (arrays, or Tensors when create_graph)."""
    from .._tensor import Tensor, _new
    STATS["node_runs"] += 1
    want_leaf = {id(t) for t in wanted_leaves}
    want_out = {(id(n), i): j for j, (n, i) in enumerate(wanted_outs)}
    # prune: a node is needed when a wanted leaf or output is reachable from it
    needed = set()
    for n in order:
        if any(r is not None and (id(r[0]) in needed if isinstance(r, tuple) else
                                  id(r) in want_leaf) for r in n.inputs):
            needed.add(id(n))
        elif any((id(n), i) in want_out for i in range(len(n.avals))):
            needed.add(id(n))
    ct = {}

    def acc(k, g):
        p = ct.get(k)
        ct[k] = g if p is None else (p + g if create_graph else _ADD(p, g))

    for (n, i), g in zip(root_refs, cts):
        if create_graph and not isinstance(g, Tensor):
            g = _new(g)
        acc((id(n), i), g)
    out_g = [None] * len(wanted_outs)
    for n in reversed(order):
        nid = id(n)
        if nid not in needed:
            continue
        outs = [ct.pop((nid, o), None) for o in range(len(n.avals))]
        if n.retained:
            for o, wr in n.retained.items():
                t = wr()
                if t is None or t.grad_fn is not n or t._out != o or outs[o] is None:
                    continue
                if t._hooks:
                    outs[o] = _run_hooks(t, outs[o], create_graph)
        for o, g in enumerate(outs):   # wanted non-leaf outputs (retain_grad, autograd.grad)
            j = want_out.get((nid, o))
            if j is not None and g is not None:
                out_g[j] = g
        if all(o is None for o in outs):
            continue
        diff = tuple(j for j, r in enumerate(n.inputs) if r is not None and (
            id(r[0]) in needed if isinstance(r, tuple) else id(r) in want_leaf))
        if not diff:
            continue
        present = tuple(o is not None for o in outs)
        if create_graph:
            cvals = [o._v for o in outs if o is not None]
            crefs = [_ref(o) for o in outs if o is not None]
        else:
            cvals = [o for o in outs if o is not None]
        vk = _node_vjp(n.kernel, diff, present, n.avals, n.multi, n.vals, cvals)
        if create_graph:
            gs = _apply(vk, (*n.vals, *cvals), (*n.inputs, *crefs), True,
                        type(n).__name__ + "Backward")
        else:
            gs = vk(*n.vals, *cvals)
        for j, g in zip(diff, gs):
            r = n.inputs[j]
            if (g._v if create_graph else g).dtype == jax.dtypes.float0:
                continue
            acc((id(r[0]), r[1]) if isinstance(r, tuple) else id(r), g)
    leaf_g = [ct.get(id(t)) for t in wanted_leaves]
    return leaf_g, out_g


# --------------------------------------------------------------------- compiled program


def _build(order, root_refs, wanted_leaves, wanted_outs):
    """Flatten the graph into (structure key, args, arg refs, leaves)."""
    pos = {id(n): i for i, n in enumerate(order)}
    leaf_pos, leaves = {}, []
    arg_pos, args, arg_refs = {}, [], []
    nodes_desc = []
    for n in order:
        desc = []
        for ref, v in zip(n.inputs, n.vals):
            if ref is None:
                rk, src = None, None
            elif isinstance(ref, tuple):
                rk, src = (id(ref[0]), ref[1]), ("n", pos[id(ref[0])], ref[1])
            else:
                lp = leaf_pos.get(id(ref))
                if lp is None:
                    lp = leaf_pos[id(ref)] = len(leaves)
                    leaves.append(ref)
                rk, src = id(ref), ("l", lp)
            key = (id(v), rk)
            a = arg_pos.get(key)
            if a is None:
                a = arg_pos[key] = len(args)
                args.append(v)
                arg_refs.append(ref)
            desc.append((a, src))
        nodes_desc.append((n.kernel, tuple(desc), n.avals, n.multi))
    want_l = tuple(leaf_pos.get(id(t), -1) for t in wanted_leaves)
    want_o = tuple((pos[id(n)], i) if id(n) in pos else None for n, i in wanted_outs)
    roots = tuple((pos[id(n)], i) for n, i in root_refs)
    key = (tuple(nodes_desc), roots, want_l, want_o)
    return key, args, arg_refs, leaves


def _make_program(nodes_desc, roots, want_l, want_o):
    n_leaves = 1 + max([s[1] for _, d, _, _ in nodes_desc for _, s in d if s and s[0] == "l"],
                       default=-1)

    def program(args, cts, prev=None):
        """prev: existing .grad values of the wanted leaves, summed in (None: no grad yet)."""
        ct = {}

        def acc(k, g):
            ct[k] = g if k not in ct else ct[k] + g

        for r, g in zip(roots, cts):
            acc(("n",) + r, g)
        for i in range(len(nodes_desc) - 1, -1, -1):
            kernel, desc, avals, multi = nodes_desc[i]
            outs = [ct.get(("n", i, o)) for o in range(len(avals))]
            if all(o is None for o in outs):
                continue
            outs = [_zero_ct(a) if o is None else o.astype(a[1]) for o, a in zip(outs, avals)]
            vals = [args[a] for a, _ in desc]
            diff = [j for j, (_, s) in enumerate(desc) if s is not None]
            if not diff:
                continue

            def f(*d, _vals=vals, _diff=diff, _fn=kernel.fn):
                full = list(_vals)
                for j, x in zip(_diff, d):
                    full[j] = x
                return _fn(*full)

            _, vjp = jax.vjp(f, *[vals[j] for j in diff])
            gs = vjp(tuple(outs) if multi else outs[0])
            for j, g in zip(diff, gs):
                s = desc[j][1]
                if g.dtype == jax.dtypes.float0:
                    continue
                acc(s if s[0] == "l" else ("n", s[1], s[2]), g)
        leaf_g = [ct.get(("l", lp)) for lp in range(n_leaves)]
        out_l = [leaf_g[lp] if lp >= 0 else None for lp in want_l]
        if prev is not None:
            out_l = [p if g is None else g if p is None else p + g.astype(p.dtype)
                     for g, p in zip(out_l, prev)]
        return (out_l,
                [ct.get(("n",) + o) if o is not None else None for o in want_o])

    return program


def _program_for(key, order):
    """The compiled program for this structure, or None to run node by node this time."""
    prog = CACHE.get(key)
    if prog is not None:
        STATS["hits"] += 1
        return prog
    with _LOCK:
        seen = (SEEN.get(key) or 0) + 1
        small_cold = seen == 1 and len(order) <= SMALL_NODES and _cold(order)
        if seen < COMPILE_AFTER and not small_cold:
            SEEN.put(key, seen)
            return None
        SEEN._d.pop(key, None)
        STATS["compiles"] += 1
        prog = _Fn(_make_program(*key))
        CACHE.put(key, prog)
    return prog


def _cold(order):
    """Is this graph mostly made of (op kernel, input shapes) never seen in a backward before?
    Records them as seen. (A training loop's first step: compiling it whole costs about what
    compiling its node kernels one by one would.)"""
    ks = [(n.kernel, tuple(_aval(v) for v in n.vals)) for n in order]
    fresh = sum(k not in _KNOWN for k in ks)
    if len(_KNOWN) > 4 * KERNELS.maxsize:
        _KNOWN.clear()
    _KNOWN.update(ks)
    return 2 * fresh >= len(ks)


_KNOWN: set = set()   # (op kernel, input avals) seen in a backward (cleared when big)


# ------------------------------------------------------------------------------ driver


def run_backward(outputs, grad_outputs, *, inputs=None, retain_graph=False, create_graph=False,
                 accumulate=True, allow_unused=False):
    """Shared core of Tensor.backward, autograd.backward and autograd.grad."""
    from .._tensor import Tensor, _new

    root_refs, cts = [], []
    direct = []  # outputs that are themselves leaves
    for out, g in zip(outputs, grad_outputs):
        if out.grad_fn is None:
            if not out._rg:
                raise RuntimeError("element 0 of tensors does not require grad and does not have "
                                   "a grad_fn")
            direct.append((out, g))
            continue
        root_refs.append((out.grad_fn, out._out))
        if isinstance(g, Tensor):
            g = g if create_graph else g._v.astype(out.dtype.np)
        cts.append(_conj(g, create_graph))

    order = _collect([r[0] for r in root_refs])
    for n in order:
        _check(n)

    # what gradients we need: leaves (accumulate) or requested inputs, and retained tensors
    wanted = list(inputs) if inputs is not None else None
    wanted_leaves, wanted_outs, out_targets = [], [], []
    hooked = False
    if wanted is None:
        leaf_set = {}
        for n in order:
            for ref in n.inputs:
                if ref is not None and not isinstance(ref, tuple):
                    leaf_set[id(ref)] = ref
        wanted_leaves = list(leaf_set.values())
    else:
        for t in wanted:
            if t.grad_fn is None:
                wanted_leaves.append(t)
            else:
                wanted_outs.append((t.grad_fn, t._out))
                out_targets.append(t)
    for n in order:
        if n.retained:
            for i, wr in list(n.retained.items()):
                t = wr()
                if t is not None and t.grad_fn is n and t._out == i:
                    hooked = hooked or bool(t._hooks)
                    if wanted is None and t._retain:
                        wanted_outs.append((n, i))
                        out_targets.append(t)

    prog = None
    if not hooked and len(order) <= MAX_NODES and USE_CACHE[0]:
        key, args, arg_refs, _ = _build(order, root_refs, wanted_leaves, wanted_outs)
        prog = _program_for(key, order)
    elif not USE_CACHE[0] and not hooked:
        key, args, arg_refs, _ = _build(order, root_refs, wanted_leaves, wanted_outs)
        prog = _Fn(_make_program(*key))

    if prog is not None and create_graph:
        leaf_g, out_g = _record_program(prog, args, arg_refs, cts, key)
    elif prog is not None:
        run = prog.jit if USE_CACHE[0] else prog.fn
        # existing plain real .grad values are summed inside the program
        fused = [accumulate and inputs is None and t._grad is not None and not t._grad._rg
                 and not t._hooks and t._grad._base is None and not t.dtype.is_complex
                 for t in wanted_leaves]
        prev = [t._grad._v if f else None for t, f in zip(wanted_leaves, fused)]
        leaf_g, out_g = run(args, cts, prev if any(fused) else None)
        for t, f, g in zip(wanted_leaves, fused, leaf_g):
            if f:
                _set_grad_value(t._grad, g)
        leaf_g = [None if (g is None or f) else g for g, f in zip(leaf_g, fused)]
    else:
        leaf_g, out_g = _run_nodes(order, root_refs, cts, wanted_leaves, wanted_outs,
                                   out_targets, create_graph)
    if create_graph:
        leaf_g = [None if g is None else _conj(g, True) for g in leaf_g]
        out_g = [None if g is None else _conj(g, True) for g in out_g]
    else:
        leaf_g = [None if g is None else _new(_conj(g, False)) for g in leaf_g]
        out_g = [None if g is None else _new(_conj(g, False)) for g in out_g]

    if not retain_graph:
        for n in order:
            if n.saved is not None:
                n.freed = True
                n.vals = None

    # leaves that were passed directly as outputs
    direct_g = {}
    for out, g in direct:
        direct_g[id(out)] = g if isinstance(g, Tensor) else _new(g)

    if not accumulate:
        res = []
        lmap = {id(t): g for t, g in zip(wanted_leaves, leaf_g)}
        omap = {id(t): g for t, g in zip(out_targets, out_g)}
        for t in wanted:
            g = lmap.get(id(t), omap.get(id(t), direct_g.get(id(t))))
            if g is None and not allow_unused:
                raise RuntimeError("One of the differentiated Tensors appears to not have been "
                                   "used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
            res.append(g)
        return res

    for t, g in list(zip(wanted_leaves, leaf_g)) + [(o, direct_g[id(o)]) for o, _ in direct
                                                    if inputs is None or any(o is w for w in
                                                                               inputs)]:
        if g is None:
            continue
        _accumulate(t, g, create_graph)
    for t, g in zip(out_targets, out_g):
        if g is not None and (t._retain or inputs is not None):
            _accumulate(t, g, create_graph, hooks=False)
    return None


def _set_grad_value(grad, v):
    from .._tensor import _set_root
    _set_root(grad, v)


def _accumulate(t, g, create_graph, hooks=True):
    from .._tensor import _new
    if hooks:
        for h in t._hooks or ():
            r = h(g)
            if r is not None:
                g = r
    if t._grad is None:
        if create_graph:
            t._grad = g
        else:
            t._grad = _new(g._v)
    elif create_graph or t._grad._rg:
        t._grad = t._grad + g
    else:
        cur = t._grad
        _set_grad_value(cur, _ADD(cur._v, g._v.astype(cur._v.dtype)))
    if hooks:
        for h in getattr(t, "_post_acc_hooks", None) or ():
            h(t)      # Tensor.register_post_accumulate_grad_hook (torchlike/_math_tail.py)


def _record_program(prog, args, arg_refs, cts, key):
    """create_graph=True: run the backward program as one more recorded op."""
    from .._tensor import Tensor

    cvals = [g._v if isinstance(g, Tensor) else g for g in cts]
    crefs = [_ref(g) for g in cts]
    vals = (*args, *cvals)
    if prog.record is None:
        def flat(*a, _n=len(args)):
            lg, og = prog.fn(list(a[:_n]), list(a[_n:]))
            return tuple(lg) + tuple(og)
        # a tape node's outputs are arrays: the program's structural Nones are left out
        idx = [i for i, o in enumerate(jax.eval_shape(flat, *vals)) if o is not None]
        prog.record = (_Fn(lambda *a: tuple(flat(*a)[i] for i in idx)), idx,
                       len(key[2]) + len(key[3]))
    kern, idx, n_out = prog.record
    res = _apply(kern, vals, (*arg_refs, *crefs), True, "BackwardProgramBackward0")
    full = [None] * n_out
    for i, r in zip(idx, res):
        full[i] = r
    n_l = len(key[2])
    return full[:n_l], full[n_l:]
