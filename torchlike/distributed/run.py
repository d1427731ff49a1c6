"""``python -m torchlike.distributed.run``: torchrun's single-machine / static multi-node launcher.

    python -m torchlike.distributed.run --nproc-per-node 2 train.py --epochs 3
    python -m torchlike.distributed.run --nnodes 2 --node-rank 0 --master-addr HOST \\
        --master-port 29500 --nproc-per-node 4 train.py      # on each host, its node rank

Each process gets RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR,
MASTER_PORT and TORCHELASTIC_RUN_ID, and starts JAX's distributed runtime before the script
runs. When a process exits with an error (or is killed) the launcher terminates the others and
exits with that process's code (128 + signal for a signal); it never waits on a dead job.
Differences from torchrun: no elastic restarts (``--max-restarts`` is accepted and must be 0),
no rendezvous backends beyond a static master address.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

_BOOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_boot.py")


def _parser():
    ap = argparse.ArgumentParser(prog="python -m torchlike.distributed.run",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--nproc-per-node", "--nproc_per_node", default="1")
    ap.add_argument("--nnodes", default="1")
    ap.add_argument("--node-rank", "--node_rank", type=int, default=0)
    ap.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    ap.add_argument("--master-port", "--master_port", type=int, default=29500)
    ap.add_argument("--standalone", action="store_true",
                    help="one node; pick a free port on 127.0.0.1")
    ap.add_argument("--max-restarts", "--max_restarts", type=int, default=0)
    ap.add_argument("--monitor-interval", "--monitor_interval", type=float, default=0.1)
    ap.add_argument("--run-id", "--run_id", default=None)
    ap.add_argument("-m", "--module", action="store_true",
                    help="run the script argument as a module (python -m)")
    ap.add_argument("--no-python", "--no_python", action="store_true")
    ap.add_argument("script")
    ap.add_argument("script_args", nargs=argparse.REMAINDER)
    return ap


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nproc(v):
    if v in ("auto", "cpu", "gpu"):
        return 1 if v != "gpu" else max(1, len([d for d in os.listdir("/dev")
                                                if d[6:].isdigit() and d.startswith("nvidia")]))
    return int(v)


def main(argv=None):
    a = _parser().parse_args(argv)
    if a.max_restarts:
        raise SystemExit("torchlike.distributed.run: --max-restarts is not supported (no "
                         "elastic restarts); use 0")
    if a.no_python:
        raise SystemExit("torchlike.distributed.run: --no-python is not supported")
    nproc, nnodes = _nproc(a.nproc_per_node), int(a.nnodes.split(":")[-1])
    if a.standalone:
        nnodes, a.node_rank, a.master_addr, a.master_port = 1, 0, "127.0.0.1", _free_port()
    if not 0 <= a.node_rank < nnodes:
        raise SystemExit(f"torchlike.distributed.run: --node-rank {a.node_rank} is not in "
                         f"[0, {nnodes - 1}]")
    world = nproc * nnodes
    run_id = a.run_id or ("none" if not a.standalone else uuid.uuid4().hex)
    target = ["-m", a.script] if a.module else [a.script]
    procs = []
    for local in range(nproc):
        env = dict(os.environ, RANK=str(a.node_rank * nproc + local), LOCAL_RANK=str(local),
                   WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(nproc),
                   GROUP_RANK=str(a.node_rank), MASTER_ADDR=a.master_addr,
                   MASTER_PORT=str(a.master_port), TORCHELASTIC_RUN_ID=run_id)
        procs.append(subprocess.Popen([sys.executable, _BOOT, *target, *a.script_args],
                                      env=env))
    return _watch(procs, a.node_rank * nproc, a.monitor_interval)


def _stop(procs, grace=5.0):
    for p in procs:
        if p.poll() is None:
            p.terminate()
    end = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.0, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _watch(procs, first_rank, interval):
    """Wait for all processes; on the first failure stop the rest and return its code."""
    def forward(sig, _frame):
        for p in procs:
            if p.poll() is None:
                p.send_signal(sig)
    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            codes = [p.poll() for p in procs]
            failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                # several seen in one poll: a rank killed by a signal is the likelier cause
                # (the others' collectives fail when it goes), so its code is the job's
                failed.sort(key=lambda f: f[1] >= 0)
                for i, c in failed:
                    how = f"was killed by signal {-c}" if c < 0 else f"exited with code {c}"
                    print(f"torchlike.distributed.run: rank {first_rank + i} (local rank {i}, "
                          f"pid {procs[i].pid}) {how}; terminating the other ranks",
                          file=sys.stderr, flush=True)
                _stop(procs)
                c = failed[0][1]
                return 128 - c if c < 0 else c
            if all(c == 0 for c in codes):
                return 0
            time.sleep(interval)
    finally:
        for s, h in old.items():
            signal.signal(s, h)


if __name__ == "__main__":
    sys.exit(main())
