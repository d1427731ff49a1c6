"""The loop run by a DataLoader worker process (a fresh interpreter, see dataloader.py)."""
from __future__ import annotations

import pickle
import random
import sys
import traceback
from multiprocessing.connection import Connection

from . import dataloader as _dl

_IDLE = _dl._IDLE


def _dumps(obj):
    try:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - objects of classes defined in the script: by value
        import cloudpickle
        return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _main(fd):
    from . import _collate
    _collate._IN_WORKER[0] = True
    conn = Connection(fd)
    while True:
        try:
            msg = conn.recv_bytes()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        job = pickle.loads(msg)
        if job is None:
            return
        if isinstance(job, tuple):   # a stray "end" for a job that never started
            conn.send_bytes(_IDLE)
            continue
        try:
            _run_job(conn, job)
        except (EOFError, OSError, KeyboardInterrupt):
            return


def _run_job(conn, job):
    import numpy as np
    import torchlike
    for p in reversed(job["sys_path"]):
        if p not in sys.path:
            sys.path.insert(0, p)
    if job["alias"]:
        from ..._main_alias import install_aliases
        install_aliases()
    wid = job["worker_id"]
    setup_error = None
    try:
        dataset, collate_fn, init_fn = pickle.loads(job["objs"])
        seed = job["seed"]
        torchlike.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % (2 ** 32))
        _dl._worker_info = _dl.WorkerInfo(id=wid, num_workers=job["num_workers"], seed=seed,
                                          dataset=dataset)
        if init_fn is not None:
            init_fn(wid)
        fetcher = _dl._Fetcher(dataset, job["auto_collation"], collate_fn, job["drop_last"],
                               job["iterable"])
    except Exception as e:  # noqa: BLE001 - reported for every task of this epoch
        setup_error = (type(e), (wid, traceback.format_exc()))
    while True:
        msg = pickle.loads(conn.recv_bytes())
        if msg is None:
            raise EOFError
        if msg[0] == "end":
            conn.send_bytes(_IDLE)
            _dl._worker_info = None
            return
        _, idx, index = msg
        if setup_error is not None:
            out = (idx, "err", setup_error)
        else:
            try:
                out = (idx, "ok", fetcher.fetch(index))
            except StopIteration:
                out = (idx, "stop", None)
            except Exception as e:  # noqa: BLE001 - re-raised in the parent
                out = (idx, "err", (type(e), (wid, traceback.format_exc())))
        try:
            data = _dumps(out)
        except Exception as e:  # noqa: BLE001
            data = _dumps((idx, "err", (type(e), (wid, traceback.format_exc()))))
        conn.send_bytes(data)
