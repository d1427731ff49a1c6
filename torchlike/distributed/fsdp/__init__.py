"""torchlike.distributed.fsdp: ``fully_shard`` in the spirit of PyTorch's FSDP2, on jax.sharding.

``fully_shard(model)`` places every parameter of ``model`` sharded over a mesh of this
process's local devices (``jax.sharding.NamedSharding``: each of N devices holds 1/N of it,
along dimension 0 as PyTorch's ``Shard(0)``, or the first dimension N divides), replicates
buffers and the default RNG key, and shards the batch dimension of the module's tensor inputs
over the same mesh. Gradients and optimizer state follow the parameters' layout. Under
``torchlike.compile`` the whole step is one SPMD program that XLA partitions: it gathers a
parameter where a computation needs it whole and reduce-scatters its gradient, and the
parameters and optimizer state stay sharded between steps (ZeRO-3).

Differences from PyTorch: one process with several local devices only (a multi-process world
uses DistributedDataParallel); ``mesh`` is a ``jax.sharding.Mesh`` (one axis) or None for all
local devices; a parameter no dimension of which the device count divides is replicated
(PyTorch pads it); parameters stay ordinary Tensors (no DTensor) whose value is a sharded
array; ``reshard_after_forward`` and the prefetch/communication setters are accepted and have
no effect (XLA schedules the gathers); mixed precision and CPU offload policies other than the
defaults raise NotImplementedError.
"""
from __future__ import annotations

import dataclasses

import jax
import numpy as np

__all__ = ["fully_shard", "FSDPModule", "MixedPrecisionPolicy", "OffloadPolicy",
           "CPUOffloadPolicy", "UnshardHandle"]


@dataclasses.dataclass(frozen=True)
class MixedPrecisionPolicy:
    param_dtype: object = None
    reduce_dtype: object = None
    output_dtype: object = None
    cast_forward_inputs: bool = True


@dataclasses.dataclass
class OffloadPolicy:
    pass


@dataclasses.dataclass
class CPUOffloadPolicy(OffloadPolicy):
    pin_memory: bool = True


class UnshardHandle:
    def wait(self):
        return None


class FSDPModule:
    """Mixed into the class of a module given to ``fully_shard`` (``FSDP<Name>``, as in
    PyTorch)."""

    def forward(self, *args, **kwargs):
        shard = self.__dict__["_fsdp_shard_input"]
        args = tuple(shard(a) for a in args)
        kwargs = {k: shard(v) for k, v in kwargs.items()}
        return super().forward(*args, **kwargs)

    def reshard(self):
        return None

    def unshard(self, async_op=False):
        return UnshardHandle() if async_op else None

    def set_reshard_after_forward(self, reshard_after_forward, recurse=True):
        return None

    def set_requires_gradient_sync(self, requires_gradient_sync, *, recurse=True):
        return None

    def set_is_last_backward(self, is_last_backward):
        return None

    def set_modules_to_forward_prefetch(self, modules):
        return None

    def set_modules_to_backward_prefetch(self, modules):
        return None


_CLASSES = {}


def _placement(shape, n):
    """The dimension to shard a parameter of ``shape`` along over ``n`` devices, or None."""
    for d, s in enumerate(shape):
        if s % n == 0 and s >= n:
            return d
    return None


def fully_shard(module, *, mesh=None, reshard_after_forward=None, shard_placement_fn=None,
                mp_policy=MixedPrecisionPolicy(), offload_policy=OffloadPolicy(),
                ignored_params=None, dp_mesh_dims=None):
    """Shard ``module``'s parameters over ``mesh`` (default: all local devices); returns
    ``module``, whose class becomes ``FSDP<Name>``. Apply it to submodules first and then to
    the root, as in PyTorch; a parameter already sharded stays as it is."""
    from .. import _W
    from ..._random import default_generator
    from ..._tensor import Tensor, _is_tracer, _new, _set_root
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    from ...nn.modules.module import Module
    if not isinstance(module, Module):
        raise ValueError(f"fully_shard does not support containers that do not implement "
                         f"forward: {type(module).__name__}")
    if _W and _W["size"] > 1:
        raise NotImplementedError(
            "fully_shard: torchlike shards over the local devices of one process; in a "
            "multi-process job use nn.parallel.DistributedDataParallel")
    if mp_policy != MixedPrecisionPolicy():
        raise NotImplementedError("fully_shard: mixed precision policies are not supported; "
                                  "cast the model (model.to(dtype)) instead")
    if type(offload_policy) is not OffloadPolicy:
        raise NotImplementedError("fully_shard: CPU offload is not supported")
    if shard_placement_fn is not None or dp_mesh_dims is not None:
        raise NotImplementedError("fully_shard: shard_placement_fn and dp_mesh_dims are not "
                                  "supported (parameters are sharded along their first "
                                  "dimension the device count divides)")
    if mesh is None:
        mesh = Mesh(np.array(jax.local_devices()), ("shard",))
    elif not isinstance(mesh, Mesh) or len(mesh.axis_names) != 1:
        raise ValueError("fully_shard: mesh must be a one-dimensional jax.sharding.Mesh")
    axis, n = mesh.axis_names[0], mesh.size
    ignored = {id(p) for p in ignored_params or ()}
    replicated = NamedSharding(mesh, P())
    for p in module.parameters():
        if id(p) in ignored or getattr(p._v, "sharding", None) is not None and \
                len(p._v.sharding.device_set) == n and not p._v.sharding.is_fully_replicated:
            continue
        d = _placement(p.shape, n)
        spec = P(*([None] * d), axis) if d is not None else P()
        _set_root(p, jax.device_put(p._v, NamedSharding(mesh, spec)))
        if p.grad is not None:
            _set_root(p.grad, jax.device_put(p.grad._v, NamedSharding(mesh, spec)))
    for t in (*module.buffers(), default_generator._key):
        if len(getattr(t._v, "sharding", replicated).device_set) != n:
            _set_root(t, jax.device_put(t._v, replicated))

    def shard_input(x):
        if not isinstance(x, Tensor) or x.dim() == 0 or x.shape[0] % n or x.requires_grad:
            return x
        spec = NamedSharding(mesh, P(axis))
        v = x._v
        if _is_tracer(v):
            v = jax.lax.with_sharding_constraint(v, spec)
        else:
            v = jax.device_put(v, spec)
        return _new(v)

    cls = type(module)
    if not isinstance(module, FSDPModule):
        if cls not in _CLASSES:
            _CLASSES[cls] = type(f"FSDP{cls.__name__}", (FSDPModule, cls), {})
        module.__class__ = _CLASSES[cls]
    module.__dict__.update(_fsdp_shard_input=shard_input, _fsdp_mesh=mesh)
    return module
