"""Compiled steps as multi-process SPMD programs: collectives inside the XLA program.

When a ``torchlike.compile``-d step reaches the parameters of a DistributedDataParallel model in
a multi-process world, its program is not jitted for this process alone: it is wrapped in
``jax.shard_map`` over the world mesh (one device per rank, axis ``"rank"``) and jitted as one
program of the whole job. Each rank's inputs (state, tensor arguments, lifted numbers) become
its block of a global array (``jax.make_array_from_single_device_arrays``: no copy), the step
runs on each rank's own values exactly as it would alone, and a collective called while it is
traced (DDP's gradient averaging, ``dist.all_reduce``...) is a ``lax.psum`` / ``all_gather``
in the program, which XLA lowers to gloo on CPU and NCCL on GPU. Each rank reads its block of
every output back.
"""
from __future__ import annotations

import weakref

import jax
import jax.numpy as jnp

AXIS = "rank"
_active = [False]   # True while a shard_map body is being traced
_ddp_params = weakref.WeakValueDictionary()   # id -> a tensor whose gradient DDP averages


def active() -> bool:
    return _active[0]


def register(params):
    """DDP's parameters: a compiled step that holds one of them runs as an SPMD program."""
    _ddp_params.update((id(p), p) for p in params)


def hook(program, st):
    """torchlike._compile's hook: an SPMD callable for ``program`` (same signature as its jit:
    ``(donated state, kept values) -> (state, changed args, leaves)``), or None to let the
    compile jit it for this process alone."""
    from . import _W
    if not _W or _W["size"] < 2 or not any(_ddp_params.get(id(b)) is b for b in st.boxes):
        return None
    return _Program(program, _W)


class _Program:
    def __init__(self, program, w):
        self.program, self.w = program, w
        self.jits = {}
        self.specs = None  # the first call's jit and global argument specs, for as_text()

    def as_text(self):
        """The StableHLO of the program's first call (where its collectives can be seen)."""
        f, specs = self.specs
        return f.lower(*specs).as_text()

    def _jit(self, don_tree, keep_tree, scalars, weak):
        """One jitted shard_map per input layout (which inputs are 0-d or weakly typed)."""
        key = (don_tree, keep_tree, scalars, weak)
        f = self.jits.get(key)
        if f is not None:
            return f
        n_don = don_tree.num_leaves
        out_ndims = []

        def body(*blocks):
            vals = []
            for b, s, wk in zip(blocks, scalars, weak):
                v = b.reshape(()) if s else b
                if wk:
                    from jax._src.lax.lax import _convert_element_type
                    v = _convert_element_type(v, v.dtype, weak_type=True)
                vals.append(v)
            don = jax.tree_util.tree_unflatten(don_tree, vals[:n_don])
            keep = jax.tree_util.tree_unflatten(keep_tree, vals[n_don:])
            _active[0] = True
            try:
                res = self.program(don, keep)
            finally:
                _active[0] = False
            leaves, tree = jax.tree_util.tree_flatten(res)
            out_ndims[:] = [jnp.ndim(x) for x in leaves]
            out_ndims.append(tree)
            return [jnp.reshape(x, (1,)) if jnp.ndim(x) == 0 else x for x in leaves]

        mesh = self.w["mesh"]
        P = jax.sharding.PartitionSpec
        sm = jax.shard_map(body, mesh=mesh, in_specs=P(AXIS), out_specs=P(AXIS),
                           check_vma=False)
        f = self.jits[key] = (jax.jit(sm, donate_argnums=tuple(range(n_don)), keep_unused=True),
                              out_ndims)
        return f

    def __call__(self, don, keep):
        w = self.w
        don_leaves, don_tree = jax.tree_util.tree_flatten(don)
        keep_leaves, keep_tree = jax.tree_util.tree_flatten(keep)
        flat = [v if isinstance(v, jax.Array) else jnp.asarray(v)
                for v in (*don_leaves, *keep_leaves)]
        scalars = tuple(v.ndim == 0 for v in flat)
        weak = tuple(bool(getattr(v, "weak_type", False)) for v in flat)
        f, out_info = self._jit(don_tree, keep_tree, scalars, weak)
        n, dev, rows = w["size"], w["device"], w["rows"]
        glob = []
        for v, s in zip(flat, scalars):
            if s:
                v = v.reshape(1)
            if v.devices() != {dev}:
                v = jax.device_put(v, dev)
            glob.append(jax.make_array_from_single_device_arrays(
                (n * v.shape[0], *v.shape[1:]), rows, [v]))
        if self.specs is None:
            self.specs = (f, [jax.ShapeDtypeStruct(g.shape, g.dtype, sharding=g.sharding,
                                                   weak_type=g.weak_type) for g in glob])
        outs = f(*glob)
        # the global outputs are dropped here: they hold their blocks, and a block referenced
        # elsewhere is copied instead of donated by the next call
        local = [o.addressable_data(0) for o in outs]
        del outs
        local = [v.reshape(()) if nd == 0 else v for v, nd in zip(local, out_info[:-1])]
        return jax.tree_util.tree_unflatten(out_info[-1], local)


# ------------------------------------------------------------------ collectives in the program


def collective(kind, v, op=None, arg=None):
    """This rank's result of a collective on its traced block ``v`` inside the SPMD program:
    psum / pmax / pmin for the all-reduces XLA has, an all_gather followed by the eager path's
    own reduction otherwise."""
    from . import ReduceOp
    from ._collectives import _reduce_rows
    n = jax.lax.axis_size(AXIS)
    if kind == "reduce":
        if op in (ReduceOp.SUM, ReduceOp.AVG):
            s = jax.lax.psum(v, AXIS)
            if op == ReduceOp.AVG:
                s = s / n if jnp.issubdtype(v.dtype, jnp.inexact) else s // n
            return s.astype(v.dtype)
        if op == ReduceOp.MAX:
            return jax.lax.pmax(v, AXIS)
        if op == ReduceOp.MIN:
            return jax.lax.pmin(v, AXIS)
        return _reduce_rows(jax.lax.all_gather(v, AXIS), op, n).astype(v.dtype)
    rows = jax.lax.all_gather(v, AXIS)
    if kind == "gather":
        return rows
    if kind == "pick":
        return rows[arg]
    if kind == "scatter":  # rank `arg` holds (n, ...) rows; row r goes to rank r
        return rows[arg][jax.lax.axis_index(AXIS)]
    if kind == "reduce_scatter":
        red = _reduce_rows(rows, op, n).astype(v.dtype).reshape(n, -1)
        return red[jax.lax.axis_index(AXIS)]
    raise AssertionError(kind)
