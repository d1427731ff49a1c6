"""Backward: walk the tape from the outputs, build one pure program of per-node vjps, compile it
with jax.jit and cache it under the graph's structure.

The program's arguments are the values every node saw when it ran (deduplicated) and the output
cotangents; it returns the gradients of the leaves (and of retained non-leaf tensors). A loop
that builds the same graph each step hits the cache and runs one XLA program per backward.
"""
from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp
import numpy as np

from .._autograd_core import node_class

CACHE: dict = {}
STATS = {"compiles": 0, "hits": 0}
USE_CACHE = [True]   # benchmarks switch this off to measure the uncompiled replay

_FREED = ("Trying to backward through the graph a second time (or directly access saved "
          "tensors after they have already been freed). Saved intermediate values of the graph "
          "are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if "
          "you need to backward through the graph a second time or if you need to access saved "
          "tensors after calling backward.")


class _ProgramKernel:
    """A compiled backward program, usable as a node kernel when create_graph=True."""

    __slots__ = ("fn", "jit", "__weakref__")

    def __init__(self, fn):
        self.fn = fn
        self.jit = jax.jit(fn)


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


def _check(node):
    if node.freed:
        raise RuntimeError(_FREED)
    for root, ver in node.saved or ():
        t = root() if isinstance(root, weakref.ref) else root
        if t is not None and t._ver != ver:
            from .._tensor import _TYPE_NAMES
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [torch.{_TYPE_NAMES.get(t.dtype.name, '')}Tensor "
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


def _build(order, root_refs, wanted_leaves, wanted_outs):
    """Flatten the graph into (structure key, args, arg refs, leaves)."""
    pos = {id(n): i for i, n in enumerate(order)}
    leaf_pos, leaves = {}, []
    arg_pos, args, arg_refs = {}, [], []
    nodes_desc = []
    for n in order:
        if n.vals is None:
            raise RuntimeError(_FREED)
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


def _program_for(key):
    prog = CACHE.get(key)
    if prog is None:
        STATS["compiles"] += 1
        fn = _make_program(*key)
        prog = CACHE[key] = _ProgramKernel(fn)
    else:
        STATS["hits"] += 1
    return prog


def run_backward(outputs, grad_outputs, *, inputs=None, retain_graph=False, create_graph=False,
                 accumulate=True, allow_unused=False):
    """Shared core of Tensor.backward, autograd.backward and autograd.grad."""
    from .._tensor import Tensor, _new

    root_refs, cts, ct_tensors = [], [], []
    direct = []  # outputs that are themselves leaves
    for out, g in zip(outputs, grad_outputs):
        if out.grad_fn is None:
            if not out._rg:
                raise RuntimeError("element 0 of tensors does not require grad and does not have "
                                   "a grad_fn")
            direct.append((out, g))
            continue
        root_refs.append((out.grad_fn, out._out))
        cts.append(g._v.astype(out.dtype.np) if isinstance(g, Tensor) else g)
        ct_tensors.append(g)

    order = _collect([r[0] for r in root_refs])
    for n in order:
        _check(n)

    # what gradients we need: leaves (accumulate) or requested inputs, and retained tensors
    if inputs is not None:
        wanted = list(inputs)
    else:
        wanted = None
    wanted_leaves, wanted_outs, out_targets = [], [], []
    if wanted is None:
        leaf_set = {}
        for n in order:
            for ref in n.inputs:
                if ref is not None and not isinstance(ref, tuple):
                    leaf_set[id(ref)] = ref
        wanted_leaves = list(leaf_set.values())
        for n in order:
            if n.retained:
                for i, wr in list(n.retained.items()):
                    t = wr()
                    if t is not None and t.grad_fn is n and t._out == i:
                        wanted_outs.append((n, i))
                        out_targets.append(t)
    else:
        for t in wanted:
            if t.grad_fn is None:
                wanted_leaves.append(t)
            else:
                wanted_outs.append((t.grad_fn, t._out))
                out_targets.append(t)

    key, args, arg_refs, _ = _build(order, root_refs, wanted_leaves, wanted_outs)
    prog = _program_for(key)

    if create_graph:
        leaf_g, out_g = _record_program(prog, args, arg_refs, cts, ct_tensors, key)
    else:
        run = prog.jit if USE_CACHE[0] else prog.fn
        # existing plain .grad values are summed inside the program (no hooks to run first)
        fused = [accumulate and inputs is None and t._grad is not None and not t._grad._rg
                 and not t._hooks and t._grad._base is None for t in wanted_leaves]
        prev = [t._grad._v if f else None for t, f in zip(wanted_leaves, fused)]
        leaf_g, out_g = run(args, cts, prev if any(fused) else None)
        for t, f, g in zip(wanted_leaves, fused, leaf_g):
            if f:
                _set_grad_value(t._grad, g)
        leaf_g = [None if (g is None or f) else _new(g) for g, f in zip(leaf_g, fused)]
        out_g = [None if g is None else _new(g) for g in out_g]

    if not retain_graph:
        for n in order:
            if n.saved is not None:
                n.freed = True
                n.vals = None

    # leaves that were passed directly as outputs
    direct_g = {}
    for out, g in direct:
        gt = g if isinstance(g, Tensor) else _new(g)
        direct_g[id(out)] = gt

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
        if g is None:
            continue
        for h in t._hooks or ():
            r = h(g)
            if r is not None:
                g = r
        if t._retain or inputs is not None:
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
        cur._data = cur._v + g._v.astype(cur._v.dtype)
        cur._ver += 1


def _record_program(prog, args, arg_refs, cts, ct_tensors, key):
    """create_graph=True: run the backward program as one more recorded op."""
    from .._tensor import Tensor, _new

    def fn(*flat, _n=len(args)):
        lg, og = prog.fn(list(flat[:_n]), list(flat[_n:]))
        return tuple(lg) + tuple(og)

    kern = _record_kernels.get(id(prog))
    if kern is None or kern[0] is not prog:
        kern = _record_kernels[id(prog)] = (prog, _ProgramKernel(fn))
    kern = kern[1]
    vals = list(args) + list(cts)
    outs = kern.jit(*vals)
    refs = list(arg_refs) + [
        ((g.grad_fn, g._out) if g.grad_fn is not None else g) if isinstance(g, Tensor) and g._rg
        else None for g in ct_tensors]
    res = [None if o is None else _new(o) for o in outs]
    if any(r is not None for r in refs):
        node = node_class("BackwardProgramBackward0")(
            kern, tuple(refs), tuple(vals),
            tuple((o.shape, o.dtype) if o is not None else ((), jnp.float32) for o in outs))
        node.multi = True
        for i, r in enumerate(res):
            if r is not None:
                r.grad_fn, r._out, r._rg = node, i, True
    n_l = len(key[2])
    return res[:n_l], res[n_l:]


_record_kernels: dict = {}
