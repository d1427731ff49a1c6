"""Collectives: every rank's tensor becomes one row of a global array over the world mesh; a
jitted reduction with a chosen output sharding makes XLA run the collective."""
from __future__ import annotations

import functools
import io
import pickle

import jax
import jax.numpy as jnp
import numpy as np

from . import ReduceOp, _info, _spmd


class Work:
    """What an ``async_op=True`` collective returns; ``wait()`` blocks until it is done."""

    def __init__(self, arrays=(), result=None):
        self._arrays, self._result = list(arrays), result

    def wait(self, timeout=None):
        for a in self._arrays:
            a.block_until_ready()
        return True

    def is_completed(self):
        return all(a.is_ready() for a in self._arrays)

    def is_success(self):
        return True

    def result(self):
        return self._result if self._result is not None else []

    def exception(self):
        return None


def _done(async_op, tensors):
    if not async_op:
        return None
    return Work([t._v for t in tensors], list(tensors))


def _value(t, traced_ok=False):
    from .._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    v = t._v
    if isinstance(v, jax.core.Tracer) and not traced_ok and not _spmd.active():
        raise RuntimeError(
            "torchlike.distributed: inside a torchlike.compile-d function that does not hold a "
            "DistributedDataParallel model's parameters only all_reduce is supported; call the "
            "other collectives outside the compiled function")
    return v


def _rows(v, g):
    """The global (group size, *shape) array whose row r is group rank r's ``v``."""
    local = jax.device_put(jnp.expand_dims(v, 0), g["device"])
    return jax.make_array_from_single_device_arrays((g["size"], *v.shape), g["rows"], [local])


def _mine(a):
    """This rank's copy (replicated output) or row (row-sharded output) of a global array."""
    return a.addressable_data(0)


def _write(t, v):
    """Write value v into tensor t in place, on t's device, without recording autograd."""
    from .._autograd_core import no_grad
    from .._tensor import _new, _set_root
    old = t._v
    traced = isinstance(old, jax.core.Tracer) or isinstance(v, jax.core.Tracer)
    devs = None if traced else old.devices()
    if devs and devs != v.devices():
        v = jax.device_put(v, next(iter(devs)) if len(devs) == 1 else old.sharding)
    v = v.astype(old.dtype).reshape(old.shape)
    if t._base is None:
        _set_root(t, v)
    else:
        with no_grad():
            t.copy_(_new(v))


def _reduce_rows(a, op, n):
    if op == ReduceOp.SUM:
        return jnp.sum(a, 0, dtype=a.dtype)
    if op == ReduceOp.AVG:
        s = jnp.sum(a, 0, dtype=a.dtype)
        return s / n if jnp.issubdtype(a.dtype, jnp.inexact) else s // n
    if op == ReduceOp.PRODUCT:
        return jnp.prod(a, 0, dtype=a.dtype)
    if op == ReduceOp.MAX:
        return jnp.max(a, 0)
    if op == ReduceOp.MIN:
        return jnp.min(a, 0)
    bit = {ReduceOp.BAND: jnp.bitwise_and, ReduceOp.BOR: jnp.bitwise_or,
           ReduceOp.BXOR: jnp.bitwise_xor}.get(op)
    if bit is None:
        raise ValueError(f"torchlike.distributed: unsupported reduce op {op!r}")
    return functools.reduce(bit, [a[i] for i in range(a.shape[0])])


@functools.lru_cache(maxsize=None)
def _prog(kind, op, arg, rep, rows):
    """One jitted program per (collective, op, static argument, group shardings); jax caches
    shapes."""
    if kind == "reduce":
        return jax.jit(lambda a: _reduce_rows(a, op, a.shape[0]).astype(a.dtype),
                       out_shardings=rep)
    if kind == "reduce_scatter":  # row r of the reduction (reshaped to (n, -1)) goes to rank r
        return jax.jit(lambda a: _reduce_rows(a, op, a.shape[0]).astype(a.dtype).reshape(
            a.shape[0], -1), out_shardings=rows)
    if kind == "gather":
        return jax.jit(lambda a: a, out_shardings=rep)
    if kind == "pick":  # group rank `arg`'s row, to everyone
        return jax.jit(lambda a: a[arg], out_shardings=rep)
    if kind == "scatter":  # group rank `arg` holds (n, ...) rows; row r goes to rank r
        return jax.jit(lambda a: a[arg], out_shardings=rows)
    raise AssertionError(kind)


def _run(kind, v, g, op=None, arg=None):
    return _prog(kind, op, arg, g["replicated"], g["rows"])(_rows(v, g))


def _collective(kind, v, g, op=None, arg=None):
    """This rank's result of a collective of group ``g`` on ``v``. Traced inside a compiled step
    that runs as a program of the whole job (one holding DDP parameters, see _spmd.py) it is an
    XLA collective in that program. Otherwise a traced ``v`` (only "reduce" and "pick") reaches
    the eager collective through an ordered ``io_callback``: the compiled step calls out to
    it, so every rank must trace the same sequence of collectives, as eager code must call
    them."""
    if isinstance(v, jax.core.Tracer):
        if g is not g["world"]:
            raise NotImplementedError(
                "torchlike.distributed: inside torchlike.compile only the world group's "
                "collectives run; call a subgroup's collective outside the compiled function")
        if _spmd.active():
            return _spmd.collective(kind, v, op, arg)
        from jax.experimental import io_callback
        return io_callback(lambda x: np.asarray(_mine(_run(kind, jnp.asarray(x), g, op, arg))),
                           jax.ShapeDtypeStruct(v.shape, v.dtype), v, ordered=True)
    return _mine(_run(kind, v, g, op, arg))


def _group(group, op_name):
    """The group's dict, or None (with PyTorch's warning) where this rank is not a member."""
    g = _info(group)
    if g is None:
        _warn_not_in_group(op_name)
    return g


def _warn_not_in_group(op_name):
    import warnings
    from . import GroupMember
    me = -1 if GroupMember.WORLD is None else GroupMember.WORLD.rank()
    warnings.warn(f"Running {op_name} on global rank {me} which does not belong to the given "
                  "group.", stacklevel=3)


def _group_rank(g, global_rank, group_rank, what):
    """The group rank named by a global rank (``src``/``dst``) or by ``group_src``/``group_dst``,
    as PyTorch's _canonicalize_group_rank."""
    if group_rank is not None:
        if global_rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        if not 0 <= group_rank < g["size"]:
            raise ValueError(f"Group rank {group_rank} is not part of group {g['pg']}")
        return group_rank
    if global_rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    if global_rank not in g["ranks"]:
        if g is g["world"]:
            raise ValueError(f"Invalid {what} rank {global_rank}: the world has ranks "
                             f"0..{g['size'] - 1}")
        raise ValueError(f"Global rank {global_rank} is not part of group {g['pg']}")
    return g["ranks"].index(global_rank)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``tensor`` over the group's ranks, in place on every rank."""
    g = _group(group, "all_reduce")
    if g is None:
        return None
    v = _value(tensor, traced_ok=True)
    _write(tensor, _collective("reduce", v, g, op))
    return None if isinstance(v, jax.core.Tracer) else _done(async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce to rank ``dst`` (the other ranks' tensors are left unchanged)."""
    g = _group(group, "reduce")
    if g is None:
        return None
    d = _group_rank(g, dst, group_dst, "dst")
    r = _collective("reduce", _value(tensor), g, op)
    if g["rank"] == d:
        _write(tensor, r)
    return _done(async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    g = _group(group, "broadcast")
    if g is None:
        return None
    s = _group_rank(g, src, group_src, "src")
    _write(tensor, _collective("pick", _value(tensor), g, arg=s))
    return _done(async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list[r]`` with group rank r's ``tensor``."""
    g = _group(group, "all_gather")
    if g is None:
        return None
    n = g["size"]
    if len(tensor_list) != n:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, expected "
                         f"the group size {n}")
    got = _collective("gather", _value(tensor), g)
    for i, t in enumerate(tensor_list):
        _write(t, got[i])
    return _done(async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Concatenate (or stack, by ``output_tensor``'s shape) every rank's input into output."""
    g = _group(group, "all_gather_into_tensor")
    if g is None:
        return None
    if output_tensor.numel() != g["size"] * input_tensor.numel():
        raise ValueError("output tensor size must be equal to world_size times input tensor size")
    _write(output_tensor, _collective("gather", _value(input_tensor), g))
    return _done(async_op, [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    g = _group(group, "gather")
    if g is None:
        return None
    d = _group_rank(g, 0 if dst is None and group_dst is None else dst, group_dst, "dst")
    me = g["rank"]
    if me != d and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    got = _collective("gather", _value(tensor), g)
    if me == d:
        if gather_list is None or len(gather_list) != g["size"]:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank "
                             "with one tensor per rank.")
        for i, t in enumerate(gather_list):
            _write(t, got[i])
    return _done(async_op, [tensor])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce ``input`` (group size chunks along dim 0) over ranks; group rank r gets chunk r."""
    g = _group(group, "reduce_scatter_tensor")
    if g is None:
        return None
    if input.numel() != g["size"] * output.numel():
        raise ValueError("input tensor must be the same size as output size times world size")
    _write(output, _collective("reduce_scatter", _value(input), g, op))
    return _done(async_op, [output])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    from .. import stack
    g = _group(group, "reduce_scatter")
    if g is None:
        return None
    if len(input_list) != g["size"]:
        raise ValueError("reduce_scatter: input_list needs one tensor per rank")
    return reduce_scatter_tensor(output, stack(list(input_list)), op, group, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src`` sends ``scatter_list[r]`` to group rank r."""
    g = _group(group, "scatter")
    if g is None:
        return None
    s = _group_rank(g, 0 if src is None and group_src is None else src, group_src, "src")
    v = _value(tensor)
    if g["rank"] == s:
        if scatter_list is None or len(scatter_list) != g["size"]:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank with "
                             "one tensor per rank.")
        rows = jnp.stack([_value(t).astype(v.dtype).reshape(v.shape) for t in scatter_list])
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source "
                             "ranks.")
        rows = jnp.zeros((g["size"], *v.shape), v.dtype)
    _write(tensor, _collective("scatter", rows, g, arg=s))
    return _done(async_op, [tensor])


def barrier(group=None, async_op=False, device_ids=None):
    g = _group(group, "barrier")
    if g is None:
        return None
    _collective("reduce", jnp.zeros((), jnp.int32), g, ReduceOp.SUM).block_until_ready()
    return Work() if async_op else None


# ----------------------------------------------------------------------------------- objects


def _to_bytes(obj):
    buf = io.BytesIO()
    pickle.Pickler(buf).dump(obj)
    return np.frombuffer(buf.getvalue(), np.uint8)


def _from_bytes(b):
    return pickle.loads(np.asarray(b, np.uint8).tobytes())  # noqa: S301 - peers are trusted


def _gather_bytes(b, g):
    """Every group rank's byte string: lengths first, then the padded bytes."""
    lens = np.asarray(_collective("gather", jnp.asarray(len(b), jnp.int64), g))
    pad = np.zeros(int(lens.max()), np.uint8)
    pad[:len(b)] = b
    rows = np.asarray(_collective("gather", jnp.asarray(pad), g))
    return [rows[i, :int(n)] for i, n in enumerate(lens)]


def _bcast_bytes(b, src, g):
    n = int(_collective("pick", jnp.asarray(len(b) if b is not None else 0, jnp.int64), g,
                        arg=src))
    buf = np.zeros(n, np.uint8)
    if b is not None:
        buf[:] = b
    return np.asarray(_collective("pick", jnp.asarray(buf), g, arg=src))


def all_gather_object(object_list, obj, group=None):
    g = _group(group, "all_gather_object")
    if g is None:
        return None
    for i, b in enumerate(_gather_bytes(_to_bytes(obj), g)):
        object_list[i] = _from_bytes(b)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    g = _group(group, "gather_object")
    if g is None:
        return None
    d = _group_rank(g, 0 if dst is None and group_dst is None else dst, group_dst, "dst")
    got = _gather_bytes(_to_bytes(obj), g)
    if g["rank"] == d:
        for i, b in enumerate(got):
            object_gather_list[i] = _from_bytes(b)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s ``object_list`` items replace the items of every rank's list."""
    g = _group(group, "broadcast_object_list")
    if g is None:
        return None
    s = _group_rank(g, 0 if src is None and group_src is None else src, group_src, "src")
    mine = g["rank"] == s
    got = _from_bytes(_bcast_bytes(_to_bytes(list(object_list)) if mine else None, s, g))
    if not mine:
        object_list[:] = got


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    g = _group(group, "scatter_object_list")
    if g is None:
        return None
    s = _group_rank(g, 0 if src is None and group_src is None else src, group_src, "src")
    mine = g["rank"] == s
    got = _from_bytes(_bcast_bytes(_to_bytes(list(scatter_object_input_list))
                                   if mine else None, s, g))
    scatter_object_output_list[0] = got[g["rank"]]


# ------------------------------------------------------------------------- point to point


def _p2p(name):
    raise NotImplementedError(
        f"torchlike.distributed.{name}: point-to-point transfers between processes are not "
        "available on JAX's runtime; use broadcast(tensor, src=...) or "
        "broadcast_object_list / all_gather instead")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    _p2p("send")


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    _p2p("recv")


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    _p2p("isend")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    _p2p("irecv")
