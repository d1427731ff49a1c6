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
