"""torchlike.multiprocessing: Python's multiprocessing under PyTorch's module name.

Tensors pickle by value (their arrays), so they cross process boundaries like any object.
XLA runs its own threads: a plain ``fork`` of a process that already ran XLA can deadlock, so
prefer the "spawn" or "forkserver" start methods (``set_start_method("spawn")``).
"""
from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403
from multiprocessing import (Array, Barrier, Condition, Event, Lock, Manager, Pipe,  # noqa: F401
                             Pool, Process, Queue, RLock, Semaphore, SimpleQueue, Value,
                             active_children, cpu_count, current_process, get_all_start_methods,
                             get_context, get_start_method, set_start_method)

__all__ = [n for n in dir(_mp) if not n.startswith("_")] + [
    "spawn", "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"]

_SHARING = ["file_descriptor"]


def get_sharing_strategy():
    return _SHARING[0]


def set_sharing_strategy(strategy):
    if strategy not in ("file_descriptor", "file_system"):
        raise ValueError(f"invalid sharing strategy {strategy!r}")
    _SHARING[0] = strategy


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


class ProcessContext:
    def __init__(self, processes):
        self.processes = processes

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        for p in self.processes:
            p.join(timeout)
        bad = [p for p in self.processes if p.exitcode not in (0, None)]
        if bad:
            raise ProcessRaisedException(
                f"process {self.processes.index(bad[0])} terminated with exit code "
                f"{bad[0].exitcode}")
        return all(p.exitcode is not None for p in self.processes)


class ProcessRaisedException(Exception):
    pass


def _wrap(fn, i, args):
    fn(i, *args)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    ctx = _mp.get_context(start_method)
    procs = []
    for i in range(nprocs):
        p = ctx.Process(target=_wrap, args=(fn, i, args), daemon=daemon)
        p.start()
        procs.append(p)
    pc = ProcessContext(procs)
    if join:
        pc.join()
        return None
    return pc


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``torch.multiprocessing.spawn``: run ``fn(i, *args)`` in ``nprocs`` processes."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)


# ------------------------------------------------------------------ shared-memory tensors
# ``Tensor.share_memory_()`` moves a CPU tensor's storage into a SharedMemory block; the tensor
# aliases it (``_np`` = numpy view, ``_data`` = zero-copy jax array over it), so in-place ops
# publish into the block and reads see other processes' writes. Pickling through
# multiprocessing (ForkingPickler: Process args, Queue, Pipe, Pool) sends the block's name;
# plain pickle, copy and torch.save keep sending values.

import atexit as _atexit  # noqa: E402
from multiprocessing import shared_memory as _shared_memory  # noqa: E402
from multiprocessing.reduction import ForkingPickler as _ForkingPickler  # noqa: E402

import numpy as _np  # noqa: E402

_CREATED = {}   # name -> block created by this process (unlinked at exit)


class _Block(_shared_memory.SharedMemory):
    def __del__(self):
        # numpy/jax arrays may still export the buffer; the mapping then lives on with them
        try:
            self.close()
        except (OSError, BufferError):
            pass


_REGISTERED = []


def _attach(t, block, shape, dtype):
    from ._tensor import _alias
    if not _REGISTERED:
        _register_reducers()
        _REGISTERED.append(True)
    arr = _np.ndarray(shape, dtype, buffer=block.buf)
    a = _alias(arr)
    t._np = arr
    t._shm = (block, arr)
    t._npcopy = a is None         # not aliasable (bfloat16, empty): re-upload when bytes change
    t._npsnap = None
    if a is not None:
        t._data = a
    else:
        import jax.numpy as jnp
        t._data = jnp.asarray(arr)


def _share(t):
    """Move root tensor t's storage into a new shared memory block (t must be concrete, CPU)."""
    n = _np.asarray(t._v)
    block = _Block(create=True, size=max(n.nbytes, 1))
    _CREATED[block.name] = block
    arr = _np.ndarray(n.shape, n.dtype, buffer=block.buf)
    arr[...] = n
    del arr
    _attach(t, block, n.shape, n.dtype)
    t._ver += 1


def _is_shared(t):
    s = t._shm
    return s is not None and t._np is s[1]


@_atexit.register
def _unlink_created():
    for block in list(_CREATED.values()):
        try:
            block.unlink()
        except OSError:
            pass
    _CREATED.clear()


def _rebuild_shared(name, shape, dtype, requires_grad, is_param):
    from ._tensor import Tensor, _new
    block = _CREATED.get(name) or _Block(name)
    if is_param:
        from .nn.parameter import Parameter
        t = _new(None, Parameter)
    else:
        t = _new(None, Tensor)
    _attach(t, block, shape, dtype)
    if requires_grad:
        t.requires_grad = True
    return t


def _reduce_tensor(t):
    if _is_shared(t):
        return (_rebuild_shared, (t._shm[0].name, tuple(t._np.shape), t._np.dtype, t._rg,
                                  bool(t._is_param)))
    return t.__reduce_ex__(4)


def _register_reducers():
    from ._tensor import Tensor
    from .nn.parameter import Buffer, Parameter
    for cls in (Tensor, Parameter, Buffer):
        _ForkingPickler.register(cls, _reduce_tensor)
