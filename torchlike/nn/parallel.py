"""nn.parallel: DistributedDataParallel (one process per device, jax.distributed) and
DataParallel (one process, its local devices, jax.sharding).

DistributedDataParallel averages gradients inside ``backward()``: every parameter carries a
tensor hook; the hook of the last parameter the backward reaches (all of them, or those
reachable from the forward's output with ``find_unused_parameters=True``) runs one all_reduce
of all gradients flattened per dtype and writes the averages into ``.grad``. As in PyTorch the
gradients are divided by the world size before the sum, ``no_sync()`` accumulates locally and
the next synchronised backward averages the accumulated sum, and buffers are broadcast from
rank 0 before each forward (``broadcast_buffers=True``).
Inside ``torchlike.compile`` the hooks run while the step is traced, and the step runs as one
program of the whole job (torchlike/distributed/_spmd.py): the all_reduce is an XLA
all-reduce in the compiled program (gloo on CPU, NCCL on GPU). Differences:
``find_unused_parameters=True`` is eager only; ``process_group`` must be the world;
``bucket_cap_mb`` is accepted and ignored (one bucket per dtype).
"""
from __future__ import annotations

import contextlib
import functools
import math

import jax
import jax.numpy as jnp

from .modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]

_UNUSED = ("Expected to have finished reduction in the prior iteration before starting a new "
           "one. This error indicates that your module has parameters that were not used in "
           "producing loss. You can enable unused parameter detection by passing the keyword "
           "argument `find_unused_parameters=True` to "
           "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` "
           "function outputs participate in calculating loss.")


def _flat_collective(values, run, divisor=None):
    """Apply ``run`` (flat array -> flat array) once per dtype to the concatenated values
    (each divided by ``divisor`` first, as DDP divides by the world size). Packing and unpacking are one jitted program each,
    so an eager step dispatches three programs per dtype, not a few per parameter."""
    out = [None] * len(values)
    by_dtype = {}
    for i, v in enumerate(values):
        by_dtype.setdefault(v.dtype, []).append(i)
    for idx in by_dtype.values():
        flat = run(_pack([values[i] for i in idx], divisor))
        for i, v in zip(idx, _unpack(flat, tuple(values[i].shape for i in idx))):
            out[i] = v
    return out


@functools.partial(jax.jit, static_argnums=1)
def _pack(vals, divisor):
    flat = jnp.concatenate([v.reshape(-1) for v in vals])
    return flat if divisor is None else (flat / divisor).astype(flat.dtype)


@functools.partial(jax.jit, static_argnums=1)
def _unpack(flat, shapes):
    out, start = [], 0
    for s in shapes:
        n = math.prod(s)
        out.append(flat[start:start + n].reshape(s))
        start += n
    return out


def _reachable_leaves(outputs):
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    from .._tensor import Tensor
    found, seen = set(), set()
    stack = [o.grad_fn for o in jax.tree_util.tree_leaves(
        outputs, is_leaf=lambda x: isinstance(x, Tensor)) if isinstance(o, Tensor)]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        var = getattr(n, "variable", None)
        if var is not None:
            found.add(id(var))
        stack.extend(f for f, _ in n.next_functions)
    return found


class DataParallel(Module):
    """Single-process data parallelism over local devices with jax.sharding.

    Parameters and buffers are replicated over a ``Mesh`` of ``device_ids`` (default: all local
    devices of the default backend) at wrap time; ``forward`` shards tensor inputs along
    ``dim`` over the mesh (a ``with_sharding_constraint`` when traced, so a
    ``torchlike.compile``-d step runs as one SPMD program whose gradient reduction XLA inserts).
    Outputs stay sharded instead of being gathered on ``output_device``. A batch whose size the
    device count does not divide is replicated instead. With one device it just calls the module.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.dim = dim
        self.output_device = output_device
        devs = jax.local_devices()
        if device_ids is not None:
            devs = [devs[i if isinstance(i, int) else (i.index or 0)] for i in device_ids]
        self.device_ids = list(range(len(devs))) if device_ids is None else list(device_ids)
        from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
        import numpy as np
        mesh = Mesh(np.array(devs), ("batch",))
        self.__dict__.update(_mesh=mesh, _rep=NamedSharding(mesh, P()), _n=len(devs))
        if len(devs) > 1:
            self._replicate()

    def _replicate(self):
        from .._random import default_generator
        from .._tensor import _set_root
        for t in (*self.module.parameters(), *self.module.buffers(), default_generator._key):
            _set_root(t, jax.device_put(t._v, self._rep))

    def _shard(self, x):
        from .._tensor import Tensor, _is_tracer, _new
        if not isinstance(x, Tensor) or x.dim() <= self.dim or x.shape[self.dim] % self._n:
            return x
        from jax.sharding import NamedSharding, PartitionSpec as P
        spec = NamedSharding(self._mesh, P(*([None] * self.dim), "batch"))
        v = x._v
        if _is_tracer(v):
            v = jax.lax.with_sharding_constraint(v, spec)
        else:
            v = jax.device_put(v, spec)
        if x.requires_grad:  # keep the graph: reshard through an op on the tape
            return x * 1
        return _new(v)

    def forward(self, *inputs, **kwargs):
        if self._n > 1:
            inputs = tuple(self._shard(x) for x in inputs)
            kwargs = {k: self._shard(v) for k, v in kwargs.items()}
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0,
                  module_kwargs=None):
    """The functional form of DataParallel: ``module(*inputs, **module_kwargs)`` run as
    ``DataParallel(module, device_ids, output_device, dim)`` runs it."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    dp = DataParallel(module, device_ids=device_ids, output_device=output_device, dim=dim)
    return dp(*inputs, **(module_kwargs or {}))


class DistributedDataParallel(Module):
    """PyTorch's DDP on torchlike.distributed's world group; see the module docstring."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        from .. import distributed as dist
        super().__init__()
        self.module = module
        self.device_ids, self.output_device, self.dim = device_ids, output_device, dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.process_group = process_group
        dist.get_world_size(process_group)  # raises PyTorch's error without a process group
        if process_group is not None and process_group is not dist.group.WORLD:
            raise NotImplementedError(
                "DistributedDataParallel(process_group=...): torchlike averages over the world "
                "group only; leave process_group out")
        params = [p for p in module.parameters() if p.requires_grad]
        from .. import zeros
        self.__dict__.update(_params=params, _pending={}, _got={}, _armed=False,
                             _world=dist.get_world_size(), _sync_marker=(zeros(()),))
        self._broadcast([*module.parameters(), *module.buffers()])
        if self._world > 1:
            from ..distributed import _spmd
            _spmd.register(params)
        for p in params:
            p.register_hook(self._make_hook(p))

    def _broadcast(self, tensors):
        if self._world == 1 or not tensors:
            return
        from ..distributed import _collectives as c
        from .._tensor import _set_root
        w = c._info(None)
        new = _flat_collective([t._v for t in tensors],
                               lambda f: c._collective("pick", f, w, arg=0))
        for t, v in zip(tensors, new):
            _set_root(t, v)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally; the first synchronised
        backward afterwards averages the accumulated sums."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        d = self.__dict__
        mark = "_no_sync" not in d
        if mark:  # a tensor attribute: torchlike.compile keys its programs on the module's
            d["_no_sync"] = d["_sync_marker"][0]  # tensors, so a step traced in sync is not
        try:                                     # reused under no_sync (nor the reverse)
            yield
        finally:
            self.require_backward_grad_sync = old
            if mark:
                del d["_no_sync"]

    def forward(self, *inputs, **kwargs):
        from .._autograd_core import is_grad_enabled
        from .._tensor import _is_tracer
        if self._pending:
            self._pending.clear()
            raise RuntimeError(_UNUSED)
        if self.broadcast_buffers:
            self._broadcast(list(self.module.buffers()))
        out = self.module(*inputs, **kwargs)
        if self._world > 1 and self.require_backward_grad_sync and is_grad_enabled():
            if self.find_unused_parameters and any(_is_tracer(p._v) for p in self._params[:1]):
                raise RuntimeError("DistributedDataParallel(find_unused_parameters=True) does "
                                   "not run inside torchlike.compile; use an eager step")
            want = self._params
            if self.find_unused_parameters:
                reach = _reachable_leaves(out)
                want = [p for p in want if id(p) in reach]
            self._pending.update((id(p), p) for p in want)
            self._got.clear()
            self.__dict__["_armed"] = bool(want)
            if not want:
                self._reduce()
        return out

    def _make_hook(self, p):
        def hook(g):
            if self._pending.pop(id(p), None) is None:
                return None  # no_sync, eval, or a second backward: local accumulation
            full = g._v if p.grad is None else p.grad._v + g._v.astype(p.grad.dtype.np)
            self._got[id(p)] = full
            p.grad = None
            if self._pending:
                return _box(full)
            return _box(self._reduce(last=p))
        return hook

    def _reduce(self, last=None):
        """One all_reduce (per dtype) of every parameter's gradient; writes the averages."""
        from ..distributed import _collectives as c
        from .._tensor import _set_root
        n = self._world
        vals, used = [], []
        for p in self._params:
            v = self._got.get(id(p))
            used.append(v is not None)
            if v is None:
                v = p.grad._v if p.grad is not None else jnp.zeros(p.shape, p.dtype.np)
            vals.append(v)
        w = c._info(None)
        avg = _flat_collective(vals, lambda f: c._collective("reduce", f, w, c.ReduceOp.SUM),
                               divisor=n)
        if self.find_unused_parameters:
            anyone = c._collective("reduce", jnp.asarray(used, jnp.int32), w, c.ReduceOp.MAX)
            anyone = [bool(u) for u in jax.device_get(anyone)]
        else:
            anyone = [True] * len(vals)
        out = None
        for p, a, u in zip(self._params, avg, anyone):
            if p is last:
                out = a
            elif u and p.grad is not None:
                _set_root(p.grad, a)
            elif u:
                p.grad = _box(a)
        self._got.clear()
        self.__dict__["_armed"] = False
        return out


def _box(v):
    from .._tensor import _new
    return _new(v)
