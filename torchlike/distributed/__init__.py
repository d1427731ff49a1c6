"""torchlike.distributed: PyTorch's process-group queries.

torchlike's multi-device story is JAX's own runtime (``jax.sharding``, ``jax.distributed``).
This module answers PyTorch's availability and rank queries; a single-process group
(``world_size=1``) can be initialised so that code written for DDP runs unchanged on one
process, and ``world_size > 1`` starts ``jax.distributed`` (collectives beyond that are not
implemented here and say so).
"""
from __future__ import annotations

import datetime
import os

__all__ = ["is_available", "is_initialized", "init_process_group", "destroy_process_group",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast",
           "all_gather", "ReduceOp", "group", "GroupMember", "is_nccl_available",
           "is_gloo_available", "is_mpi_available", "is_torchelastic_launched"]

_NOT_INIT = ("Default process group has not been initialized, please make sure to call "
             "init_process_group.")

_STATE = {"initialized": False, "rank": 0, "world_size": 1, "backend": None}


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


class _Group:
    WORLD = None


group = _Group()
GroupMember = _Group()


def is_available() -> bool:
    """True: the process-group API exists (single process, or jax.distributed for several)."""
    return True


def is_initialized() -> bool:
    return _STATE["initialized"]


def is_nccl_available() -> bool:
    return False


def is_gloo_available() -> bool:
    return True


def is_mpi_available() -> bool:
    return False


def is_torchelastic_launched() -> bool:
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _check():
    if not _STATE["initialized"]:
        raise ValueError(_NOT_INIT)


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    if _STATE["initialized"]:
        raise ValueError("trying to initialize the default process group twice!")
    if world_size is None or world_size < 0:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if rank is None or rank < 0:
        rank = int(os.environ.get("RANK", "0"))
    if world_size > 1:
        import jax
        addr = os.environ.get("MASTER_ADDR")
        port = os.environ.get("MASTER_PORT")
        if init_method and init_method.startswith("tcp://"):
            addr, port = init_method[6:].rsplit(":", 1)
        if not addr or not port:
            raise ValueError("Error initializing torch.distributed using env:// rendezvous: "
                             "environment variable MASTER_ADDR expected, but not set")
        kw = {}
        if isinstance(timeout, datetime.timedelta):
            kw["initialization_timeout"] = int(timeout.total_seconds())
        jax.distributed.initialize(coordinator_address=f"{addr}:{port}",
                                   num_processes=world_size, process_id=rank, **kw)
    _STATE.update(initialized=True, rank=rank, world_size=world_size,
                  backend=backend or "gloo")


def destroy_process_group(group=None):
    if _STATE["initialized"] and _STATE["world_size"] > 1:
        import jax
        jax.distributed.shutdown()
    _STATE.update(initialized=False, rank=0, world_size=1, backend=None)


def get_rank(group=None) -> int:
    _check()
    return _STATE["rank"]


def get_world_size(group=None) -> int:
    _check()
    return _STATE["world_size"]


def get_backend(group=None) -> str:
    _check()
    return _STATE["backend"]


def _single(name):
    _check()
    if _STATE["world_size"] != 1:
        raise NotImplementedError(
            f"torchlike.distributed.{name} across {_STATE['world_size']} processes is not "
            "implemented; use jax.sharding / jax.lax collectives (see docs/porting.md)")


def barrier(group=None, async_op=False, device_ids=None):
    _single("barrier")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    _single("all_reduce")


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    _single("reduce")


def broadcast(tensor, src=0, group=None, async_op=False):
    _single("broadcast")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    _single("all_gather")
    tensor_list[0].copy_(tensor)


def gather(tensor, gather_list=None, dst=0, group=None, async_op=False):
    _single("gather")
    if gather_list is not None:
        gather_list[0].copy_(tensor)


def scatter(tensor, scatter_list=None, src=0, group=None, async_op=False):
    _single("scatter")
    if scatter_list is not None:
        tensor.copy_(scatter_list[0])
