"""torchlike.distributed: PyTorch's process groups and collectives on JAX's multi-process runtime.

Each process (rank) owns one device of a global ``jax.sharding.Mesh`` that spans all processes.
A collective stacks every rank's tensor into one global array sharded over that mesh
(``jax.make_array_from_single_device_arrays``) and runs a small jitted reduction whose output
sharding makes XLA emit the all-reduce / all-gather (gloo on CPU, NCCL on GPU); each rank reads
its own shard back. There is no communication layer of torchlike's own.

Differences from PyTorch:

- JAX's distributed runtime must start before the first JAX computation, and importing
  torchlike runs one. Start multi-process programs with ``python -m torchlike.distributed.run``,
  which initialises the runtime before the script runs; ``init_process_group`` then joins it.
- ``new_group(ranks)`` makes a group of any subset of ranks (its collectives are programs over
  the mesh of those ranks' devices); inside a compiled function only the world's collectives
  run. Point-to-point ``send``/``recv`` raise NotImplementedError.
- Collectives dispatch asynchronously like every JAX computation; ``async_op=True`` returns a
  work handle whose ``wait()`` blocks until the result is ready.
- Inside a ``torchlike.compile``-d step that holds a DDP model's parameters the collectives
  are XLA collectives of the step's program (see _spmd.py); in other compiled functions only
  ``all_reduce`` works, as an ordered ``io_callback`` into the eager collective.
- ``ReduceOp.AVG`` works on the gloo backend too (PyTorch supports it on NCCL only).
- Objects (``all_gather_object``, ``broadcast_object_list``...) travel pickled, as in PyTorch:
  only exchange objects with ranks you trust.
"""
from __future__ import annotations

import datetime
import os

import numpy as np

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "reduce",
           "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "gather", "scatter", "all_gather_object",
           "broadcast_object_list", "gather_object", "scatter_object_list", "send", "recv",
           "isend", "irecv", "new_group", "ReduceOp", "group", "GroupMember", "Work",
           "ProcessGroup", "is_nccl_available", "is_gloo_available", "is_mpi_available",
           "is_torchelastic_launched", "get_global_rank", "get_group_rank",
           "get_process_group_ranks"]

_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")


class ReduceOp:
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"
    PREMUL_SUM = "premul_sum"


class ProcessGroup:
    """A group of ranks: the world, or a ``new_group``'s subset. ``_info`` is the dict the
    collectives use (group rank, size, global ranks, mesh over the ranks' devices,
    shardings)."""

    def __init__(self, rank, size, backend, info=None):
        self._rank, self._size, self._backend = rank, size, backend
        self._info = info

    def rank(self):
        return self._rank

    def size(self):
        return self._size

    def name(self):
        return self._backend

    def __repr__(self):
        what = "world" if self._info is _W else f"ranks={self._info['ranks']}"
        return f"<torchlike.distributed.ProcessGroup {what} rank={self._rank} size={self._size}>"


class _Group:
    WORLD = None
    NON_GROUP_MEMBER = -100


group = _Group()
GroupMember = _Group()
_W = {}   # the initialised world: rank, size, backend, mesh, device, sharding


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return bool(_W)


def is_nccl_available() -> bool:
    return True


def is_gloo_available() -> bool:
    return True


def is_mpi_available() -> bool:
    return False


def get_default_backend_for_device(device) -> str:
    """The process-group backend PyTorch picks for a device type: gloo for CPU, nccl for CUDA."""
    from .._tensor import device as _device
    kind = _device(device).type if not hasattr(device, "type") else device.type
    table = {"cpu": "gloo", "mps": "gloo", "cuda": "nccl", "xpu": "xccl", "mtia": "gloo"}
    if kind not in table:
        raise ValueError(f"Default backend not registered for device : {kind}")
    return table[kind]


def is_torchelastic_launched() -> bool:
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _world():
    if not _W:
        raise ValueError(_NOT_INIT)
    return _W


def _non_member(g):
    return isinstance(g, int) and not isinstance(g, bool) and g == _Group.NON_GROUP_MEMBER


def _info(g):
    """The collectives' dict of group ``g`` (None: the world), or None where this rank is not
    a member (``new_group`` returned GroupMember.NON_GROUP_MEMBER)."""
    w = _world()
    if g is None or g is w["pg"]:
        return w
    if _non_member(g):
        return None
    if isinstance(g, ProcessGroup) and g._info is not None and g._info["world"] is w:
        return g._info
    raise ValueError("Invalid process group specified")


def _check_group(g):
    _info(g)


def _shardings(ranks):
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    mesh = Mesh(np.array([_W["devices"][r] for r in ranks]), ("rank",))
    return dict(mesh=mesh, rows=NamedSharding(mesh, P("rank")),
                replicated=NamedSharding(mesh, P()))


def _rendezvous(init_method, world_size, rank):
    """(address, world_size, rank) from init_method / the environment, as PyTorch reads them."""
    if init_method is None or init_method == "env://":
        if world_size is None or world_size < 0:
            if "WORLD_SIZE" not in os.environ:
                raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                                 "environment variable WORLD_SIZE expected, but not set")
            world_size = int(os.environ["WORLD_SIZE"])
        if rank is None or rank < 0:
            if "RANK" not in os.environ:
                raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                                 "environment variable RANK expected, but not set")
            rank = int(os.environ["RANK"])
        addr, port = os.environ.get("MASTER_ADDR"), os.environ.get("MASTER_PORT")
        if world_size > 1 and not addr:
            raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                             "environment variable MASTER_ADDR expected, but not set")
        if world_size > 1 and not port:
            raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                             "environment variable MASTER_PORT expected, but not set")
        return f"{addr}:{port}", world_size, rank
    if init_method.startswith("tcp://"):
        if world_size is None or world_size < 0 or rank is None or rank < 0:
            raise ValueError("rank and world_size must be given with a tcp:// init_method")
        return init_method[6:].split("?")[0], world_size, rank
    raise NotImplementedError(f"init_method {init_method!r}: torchlike supports env:// and "
                              "tcp://host:port")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join JAX's distributed runtime (``jax.distributed.initialize``) as ``rank``.

    Under ``torchlike.distributed.run`` the runtime is already up and this checks that rank and
    world size agree with it. ``backend`` ("gloo", "nccl", "cpu:gloo,cuda:nccl") is recorded;
    JAX picks the transport (gloo on CPU, NCCL on GPU)."""
    import jax
    if _W:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise NotImplementedError("init_process_group(store=...): use env:// or tcp://")
    addr, world_size, rank = _rendezvous(init_method, world_size, rank)
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                         f"[0, {world_size - 1}]")
    from jax._src import distributed as _jd
    running = _jd.global_state.client is not None
    if world_size > 1 and not running:
        from jax._src import xla_bridge
        if xla_bridge.backends_are_initialized():
            raise RuntimeError(
                "init_process_group: JAX's distributed runtime must start before the first JAX "
                "computation, and importing torchlike already ran one. Launch the program with "
                "`python -m torchlike.distributed.run --nproc-per-node N script.py`, which "
                "starts the runtime before the script.")
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        kw = {}
        if isinstance(timeout, datetime.timedelta):
            kw["initialization_timeout"] = max(1, int(timeout.total_seconds()))
        jax.distributed.initialize(addr, num_processes=world_size, process_id=rank, **kw)
    if (jax.process_count(), jax.process_index()) != (world_size, rank):
        raise RuntimeError(f"init_process_group(rank={rank}, world_size={world_size}) disagrees "
                           f"with JAX's runtime (process {jax.process_index()} of "
                           f"{jax.process_count()})")
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    firsts = {}
    for d in jax.devices():  # one device per process: its first local device
        firsts.setdefault(d.process_index, d)
    devs = [firsts[p] for p in range(world_size)]
    mesh = Mesh(np.array(devs), ("rank",))
    pg = ProcessGroup(rank, world_size, backend or "gloo")
    pg._info = _W
    _W.update(rank=rank, size=world_size, backend=backend or "gloo", mesh=mesh, pg=pg,
              device=devs[rank], rows=NamedSharding(mesh, P("rank")),
              replicated=NamedSharding(mesh, P()), ran_jax=running or world_size > 1,
              ranks=list(range(world_size)), devices=devs, world=_W)
    group.WORLD = GroupMember.WORLD = pg
    if world_size > 1:  # compiled steps holding DDP parameters become programs of the job
        from .. import _compile
        from . import _spmd
        _compile.SPMD_HOOK = _spmd.hook


def destroy_process_group(group=None):
    """Forget the process group. JAX's runtime stays up until the process exits (it cannot be
    started again in the same process)."""
    from .. import _compile
    _compile.SPMD_HOOK = None
    _W.clear()
    globals()["group"].WORLD = GroupMember.WORLD = None


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of ``ranks`` (default: all). As in PyTorch every rank calls it with the same
    ranks; a rank outside the group gets ``GroupMember.NON_GROUP_MEMBER``. Creating it
    communicates nothing: its collectives are programs over the mesh of its ranks' devices,
    run by its members only."""
    w = _world()
    n = w["size"]
    if ranks is None:
        ranks = list(range(n))
    else:
        ranks = sorted(int(r) for r in ranks)
        if len(set(ranks)) != len(ranks):
            raise ValueError(f"ranks list must not contain duplicate entries, got {ranks}")
        if len(ranks) > n:
            raise ValueError("the new group's world size should be less or equal to the world "
                             "size set by init_process_group")
        for r in ranks:
            if r < 0 or r >= n:
                raise ValueError(f"Rank {r} is out of range. Valid ranks are 0 to {n - 1} "
                                 f"(world_size={n})")
    if w["rank"] not in ranks:
        return _Group.NON_GROUP_MEMBER
    me = ranks.index(w["rank"])
    info = dict(rank=me, size=len(ranks), ranks=ranks, backend=backend or w["backend"],
                device=w["device"], world=w, **_shardings(ranks))
    info["pg"] = ProcessGroup(me, len(ranks), info["backend"], info)
    return info["pg"]


def get_rank(group=None) -> int:
    g = _info(group)
    return -1 if g is None else g["rank"]


def get_world_size(group=None) -> int:
    g = _info(group)
    return -1 if g is None else g["size"]


def get_backend(group=None) -> str:
    g = _info(group)
    if g is None:
        raise ValueError("Invalid process group specified")
    return g["backend"]


def get_global_rank(group, group_rank):
    """The global rank of ``group``'s rank ``group_rank``."""
    g = _info(group)
    if g is not None and 0 <= group_rank < g["size"]:
        return g["ranks"][group_rank]
    raise ValueError(f"Group rank {group_rank} is not part of group {group}")


def get_group_rank(group, global_rank):
    """``global_rank``'s rank in ``group``."""
    g = _info(group)
    if g is not None and global_rank in g["ranks"]:
        return g["ranks"].index(global_rank)
    raise ValueError(f"Global rank {global_rank} is not part of group {group}")


def get_process_group_ranks(group):
    g = _info(group)
    if g is None:
        raise ValueError("Invalid process group specified")
    return list(g["ranks"])


from ._collectives import (  # noqa: E402,F401
                           Work, all_gather, all_gather_into_tensor, all_gather_object,
                           all_reduce, barrier, broadcast, broadcast_object_list, gather,
                           gather_object, irecv, isend, recv, reduce, reduce_scatter,
                           reduce_scatter_tensor, scatter, scatter_object_list, send)
