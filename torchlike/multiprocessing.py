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
    "spawn", "start_processes", "ProcessContext", "ProcessException", "ProcessExitedException",
    "ProcessRaisedException", "get_sharing_strategy", "set_sharing_strategy",
    "get_all_sharing_strategies"]

_SHARING = ["file_descriptor"]


def get_sharing_strategy():
    return _SHARING[0]


def set_sharing_strategy(strategy):
    if strategy not in ("file_descriptor", "file_system"):
        raise ValueError(f"invalid sharing strategy {strategy!r}")
    _SHARING[0] = strategy


def get_all_sharing_strategies():
    return {"file_descriptor", "file_system"}


class ProcessException(Exception):
    __slots__ = ["error_index", "error_pid"]

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A process failed with an exception raised by its code (its traceback is in the message)."""


class ProcessExitedException(ProcessException):
    """A process died from a signal or exited with a non-zero code without an exception."""

    __slots__ = ["exit_code"]

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name

    def __reduce__(self):
        return (type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                             self.signal_name))


def _wrap(fn, i, args, error_file):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - forwarded to the parent, as in PyTorch
        import pickle
        import traceback
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        import sys
        sys.exit(1)


class ProcessContext:
    """PyTorch's ProcessContext: ``join`` returns when all processes ended, or raises at the
    first that failed after terminating the others (never waits on a dead process)."""

    def __init__(self, processes, error_files):
        self.error_files = error_files
        self.processes = processes
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [int(p.pid) for p in self.processes]

    def _join_all(self, timeout):
        import time
        end = time.monotonic() + timeout
        for p in self.processes:
            p.join(max(0, end - time.monotonic()))

    def join(self, timeout=None, grace_period=None):
        import os
        import pickle
        import signal
        from multiprocessing import connection
        if not self.sentinels:
            return True
        ready = connection.wait(list(self.sentinels), timeout=timeout)
        error_index = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            p = self.processes[index]
            p.join()
            if p.exitcode != 0:
                error_index = index
                break
        if error_index is None:
            return not self.sentinels
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()
        failed = self.processes[error_index]
        if not os.access(self.error_files[error_index], os.R_OK):
            code = failed.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                raise ProcessExitedException(
                    f"process {error_index:d} terminated with signal {name}",
                    error_index=error_index, error_pid=failed.pid, exit_code=code,
                    signal_name=name)
            raise ProcessExitedException(
                f"process {error_index:d} terminated with exit code {code:d}",
                error_index=error_index, error_pid=failed.pid, exit_code=code)
        with open(self.error_files[error_index], "rb") as fh:
            trace = pickle.load(fh)
        msg = f"\n\n-- Process {error_index:d} terminated with the following error:\n" + trace
        raise ProcessRaisedException(msg, error_index, failed.pid)


SpawnContext = ProcessContext


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)``; join them unless ``join=False``."""
    import os
    import tempfile
    ctx = _mp.get_context(start_method)
    procs, error_files = [], []
    for i in range(nprocs):
        tf = tempfile.NamedTemporaryFile(prefix="pytorch-errorfile-", suffix=".pickle",
                                         delete=False)
        tf.close()
        os.unlink(tf.name)
        p = ctx.Process(target=_wrap, args=(fn, i, args, tf.name), daemon=daemon)
        p.start()
        procs.append(p)
        error_files.append(tf.name)
    pc = ProcessContext(procs, error_files)
    if not join:
        return pc
    while not pc.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``torch.multiprocessing.spawn``: run ``fn(i, *args)`` in ``nprocs`` processes; if one
    fails, the others are terminated and its exception (with its traceback) is raised."""
    if start_method != "spawn":
        import warnings
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t"
                      " torch.multiprocessing.start_processes(...)", FutureWarning,
                      stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")


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
