"""DataLoader: PyTorch's batching, shuffling, sampling and worker processes.

Worker processes. PyTorch forks its workers on Linux; a process that has initialised XLA runs
thread pools that a ``fork`` does not copy, and a forked child that then runs a jax computation
can hang. torchlike's workers are therefore fresh interpreters (``python -c``, like the
``spawn`` start method) talking to the parent over a socket pair, with ``JAX_PLATFORMS=cpu`` so
that they never claim an accelerator. Unlike multiprocessing's ``spawn`` they do not re-run the
user's script (so scripts without an ``if __name__ == "__main__":`` guard work, as with fork):
the dataset, ``collate_fn`` and ``worker_init_fn`` are sent pickled, with ``cloudpickle`` when it
is installed (classes and lambdas defined in the script are then pickled by value), else with
``pickle``. Idle workers are kept warm between epochs (each epoch still gets a fresh copy of the
dataset, as with PyTorch's non-persistent workers), and are terminated at exit.
"""
from __future__ import annotations

import atexit
import collections
import itertools
import multiprocessing.connection as mpc
import os
import pickle
import subprocess
import sys
import threading
import time
import traceback

from . import _collate
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

default_collate = _collate.default_collate
default_convert = _collate.default_convert


# ---------------------------------------------------------------------------- worker info


class WorkerInfo:
    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
        self._initialized = True

    def __setattr__(self, key, val):
        if getattr(self, "_initialized", False):
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        items = [f"{k}={getattr(self, k)}" for k in ("id", "num_workers", "seed", "dataset")]
        return f"{self.__class__.__name__}({', '.join(items)})"


_worker_info = None


def get_worker_info():
    """In a worker process: its WorkerInfo(id, num_workers, seed, dataset); else None."""
    return _worker_info


# ------------------------------------------------------------------------------ fetchers


class _InfiniteConstantSampler(Sampler):
    def __iter__(self):
        while True:
            yield None


class _Fetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last, iterable):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.iterable = iterable
        self.dataset_iter = iter(dataset) if iterable else None
        self.ended = False

    def fetch(self, index):
        if self.iterable:
            if self.ended:
                raise StopIteration
            if self.auto_collation:
                data = []
                for _ in index:
                    try:
                        data.append(next(self.dataset_iter))
                    except StopIteration:
                        self.ended = True
                        break
                if not data or (self.drop_last and len(data) < len(index)):
                    raise StopIteration
            else:
                data = next(self.dataset_iter)
            return self.collate_fn(data)
        ds = self.dataset
        if self.auto_collation:
            if self.collate_fn is default_collate:
                fast = getattr(ds, "_tl_batch", None)
                if fast is not None:
                    r = fast(index)
                    if r is not NotImplemented:
                        return r
            getitems = getattr(ds, "__getitems__", None)
            if callable(getitems):
                data = getitems(index)
            else:
                data = [ds[i] for i in index]
        else:
            data = ds[index]
        return self.collate_fn(data)


# ----------------------------------------------------------------------------- DataLoader


class DataLoader:
    """Combines a dataset and a sampler and iterates over batches (PyTorch's signature)."""

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory       # accepted: host memory is what jax copies from anyway
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = 1
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = 0

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually "
                                 "exclusive with drop_last")

        if sampler is None:
            if self._dataset_kind == 1:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.__initialized = True
        self._iterator = None

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler",
                                           "drop_last", "dataset", "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind == 1:
            length = len(self.dataset)
            if self.batch_size is not None:
                from math import ceil
                length = length // self.batch_size if self.drop_last else ceil(
                    length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        pass


def _shared_seed(generator):
    from ... import _creation
    return int(_creation.randint(0, 2 ** 62, (), generator=generator).item())


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = _shared_seed(loader.generator)
        self._num_yielded = 0
        self._loader = loader

    def __iter__(self):
        return self

    def _reset(self, loader):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0

    def _next_index(self):
        return next(self._sampler_iter)

    def __len__(self):
        return len(self._index_sampler)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return data


class _SingleProcessDataLoaderIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = _Fetcher(self._dataset, self._auto_collation, self._collate_fn,
                                 self._drop_last, self._dataset_kind == 1)

    def _reset(self, loader):
        super()._reset(loader)
        self._fetcher = _Fetcher(self._dataset, self._auto_collation, self._collate_fn,
                                 self._drop_last, self._dataset_kind == 1)

    def _next_data(self):
        index = self._next_index()
        return self._fetcher.fetch(index)


# ------------------------------------------------------------------------ worker processes


_IDLE = b"__torchlike_worker_idle__"
_POOL = []          # idle warm workers
_LIVE = set()       # every worker process started by this process


def _pkg_parent():
    import torchlike
    return os.path.dirname(os.path.dirname(os.path.abspath(torchlike.__file__)))


class _Worker:
    """One worker interpreter and the parent's end of its socket."""

    def __init__(self):
        parent_conn, child_conn = mpc.Pipe(duplex=True)
        fd = child_conn.fileno()
        env = dict(os.environ)
        env["JAX_PLATFORMS"] = "cpu"     # workers produce host data; never claim a GPU
        env.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        # workers do small host-side work: one XLA thread each leaves the cores to the parent
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                            "intra_op_parallelism_threads=1").strip()
        code = ("import sys; sys.path.insert(0, %r); "
                "from torchlike.utils.data._worker import _main; _main(%d)" % (_pkg_parent(), fd))
        self.proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(fd,), env=env)
        child_conn.close()
        self.conn = parent_conn
        self.draining = False
        _LIVE.add(self)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        try:
            self.conn.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        _LIVE.discard(self)

    def drain(self, timeout=60.0):
        """Discard results of an abandoned epoch until the worker reports idle."""
        deadline = time.monotonic() + timeout
        while self.draining:
            if self.conn.poll(0.2):
                if self.conn.recv_bytes() == _IDLE:
                    self.draining = False
            elif not self.alive() or time.monotonic() > deadline:
                return False
        return True


def _acquire_workers(n):
    out = []
    while _POOL and len(out) < n:
        w = _POOL.pop()
        try:
            ok = w.alive() and w.drain()
        except (EOFError, OSError):
            ok = False
        if ok:
            out.append(w)
        else:
            w.kill()
    while len(out) < n:
        out.append(_Worker())
    return out


def _release_worker(w):
    if w.alive():
        _POOL.append(w)
    else:
        w.kill()


@atexit.register
def _shutdown_all_workers():
    for w in list(_LIVE):
        try:
            w.conn.send_bytes(pickle.dumps(None))
        except (OSError, ValueError):
            pass
    for w in list(_LIVE):
        try:
            w.proc.wait(2)
        except subprocess.TimeoutExpired:
            pass
        w.kill()
    _POOL.clear()


def _new_lock(kind):
    return threading.RLock() if kind == "rlock" else threading.Lock()


# Locks cannot be pickled. A forked worker (PyTorch on Linux) gets a copy of each lock; these
# spawned workers get a new, unlocked one in its place (a copy of a held lock could never be
# released in the child anyway).
_LOCKS = {type(threading.Lock()): (_new_lock, ("lock",)),
          type(threading.RLock()): (_new_lock, ("rlock",))}


def _dumps_objects(objs):
    import copyreg
    import io
    buf = io.BytesIO()
    try:
        import cloudpickle
    except ImportError:
        cloudpickle = None
    base = pickle.Pickler if cloudpickle is None else cloudpickle.CloudPickler
    locks = {t: (lambda o, r=r: r) for t, r in _LOCKS.items()}

    class Pickler(base):  # the C pickler reads dispatch_table from the class when created
        dispatch_table = collections.ChainMap(locks, getattr(base, "dispatch_table",
                                                             copyreg.dispatch_table))
    try:
        Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(objs)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        advice = ("define them in an importable module, or use num_workers=0" if cloudpickle
                  else "install cloudpickle (lambdas and classes defined in the script then "
                  "pickle by value), define them in an importable module, or use "
                  "num_workers=0")
        raise RuntimeError(
            "DataLoader with num_workers > 0 starts its worker processes with spawn (a fresh "
            "interpreter; fork is unsafe once XLA's threads run) and sends them the dataset, "
            f"collate_fn and worker_init_fn pickled, which failed: {e}. Make them picklable "
            f"(a __getstate__ that leaves out what cannot be pickled), {advice}.") from e
    return buf.getvalue()


class _MultiProcessingDataLoaderIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._workers = _acquire_workers(self._num_workers)
        self._shutdown = False
        self._start_epoch()

    def _start_epoch(self):
        from ..._main_alias import aliases_installed
        objs = _dumps_objects((self._dataset, self._collate_fn, self._loader.worker_init_fn))
        for wid, w in enumerate(self._workers):
            job = {"sys_path": list(sys.path), "objs": objs, "worker_id": wid,
                   "num_workers": self._num_workers, "seed": self._base_seed + wid,
                   "auto_collation": self._auto_collation, "drop_last": self._drop_last,
                   "iterable": self._dataset_kind == 1, "alias": aliases_installed()}
            w.conn.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        self._active = [True] * self._num_workers
        self._outstanding = [0] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._task_info = {}
        self._send_idx = 0
        self._rcvd_idx = 0
        self._sampler_done = False
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _reset(self, loader):
        self._finish_epoch(release=False)
        fresh = []
        for w in self._workers:
            if not (w.alive() and w.drain()):
                w.kill()
                w = _Worker()
            fresh.append(w)
        self._workers = fresh
        super()._reset(loader)
        self._base_seed = _shared_seed(loader.generator)
        self._shutdown = False
        self._start_epoch()

    def _try_put_index(self):
        if self._sampler_done:
            return
        try:
            index = self._next_index()
        except StopIteration:
            self._sampler_done = True
            return
        for _ in range(self._num_workers):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            self._sampler_done = True
            return
        self._workers[wid].conn.send_bytes(
            pickle.dumps(("task", self._send_idx, index), protocol=pickle.HIGHEST_PROTOCOL))
        self._task_info[self._send_idx] = (wid,)
        self._outstanding[wid] += 1
        self._send_idx += 1

    def _receive(self):
        conns = {self._workers[w].conn: w for w in range(self._num_workers)
                 if self._outstanding[w]}
        start = time.monotonic()
        while True:
            ready = mpc.wait(list(conns), timeout=1.0)
            if ready:
                break
            dead = [self._workers[w].pid for w in conns.values() if not self._workers[w].alive()]
            if dead:
                self._finish_epoch(release=False)
                raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(map(str, dead))}) "
                                   "exited unexpectedly")
            if self._timeout and time.monotonic() - start > self._timeout:
                self._abandon(busy=[w for w in conns.values()])
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
        for c in ready:
            wid = conns[c]
            try:
                raw = c.recv_bytes()
            except (EOFError, OSError):
                self._finish_epoch(release=False)
                raise RuntimeError(f"DataLoader worker (pid(s) {self._workers[wid].pid}) "
                                   "exited unexpectedly") from None
            idx, kind, payload = pickle.loads(raw)
            self._outstanding[wid] -= 1
            if kind == "stop":
                self._active[wid] = False
                self._task_info[idx] = ("skip",)
            else:
                self._task_info[idx] = (wid, kind, payload)

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 1 and info[0] == "skip":
                    del self._task_info[self._rcvd_idx]
                    self._rcvd_idx += 1
                    self._try_put_index()
                    continue
                if len(info) == 3:
                    break
                self._receive()
            else:
                self._finish_epoch()
                raise StopIteration
            _, kind, payload = self._task_info.pop(self._rcvd_idx)
            self._rcvd_idx += 1
            self._try_put_index()
            if kind == "err":
                self._raise(payload)
            return payload

    def _raise(self, payload):
        exc_type, where_tb = payload
        msg = f"Caught {exc_type.__name__} in DataLoader worker process {where_tb[0]}.\n" \
              f"Original {where_tb[1]}"
        if exc_type is KeyError:
            msg = KeyError(msg)
        try:
            err = exc_type(msg)
        except Exception:  # noqa: BLE001 - exception types that need other arguments
            err = RuntimeError(msg)
        raise err

    def _abandon(self, busy):
        """After a timeout: the workers still running a task are stopped (a later loader must
        not wait for them to finish it), the others go back to the pool."""
        for wid in busy:
            self._workers[wid].kill()
        self._finish_epoch()

    def _finish_epoch(self, release=True):
        if self._shutdown:
            return
        self._shutdown = True
        for w in self._workers:
            try:
                w.conn.send_bytes(pickle.dumps(("end",)))
                w.draining = True
            except (OSError, ValueError):
                pass
        if release and not (self._loader.persistent_workers):
            for w in self._workers:
                _release_worker(w)
            self._workers = []

    def __del__(self):
        try:
            if not self._shutdown:
                self._finish_epoch()
            elif self._loader.persistent_workers and self._workers:
                for w in self._workers:
                    _release_worker(w)
                self._workers = []
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def _format_exc(worker_id):
    return (worker_id, traceback.format_exc())
