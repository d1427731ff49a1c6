import os
import pickle
import sys

import numpy as np
import pytest

import torchlike as torch
import torchlike.multiprocessing as mp

sys.path.insert(0, os.path.dirname(__file__))
import mp_worker  # noqa: E402


def test_share_memory_keeps_values():
    t = torch.tensor([[0., 1, 2], [3, 4, 5]])
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared()
    np.testing.assert_array_equal(t.numpy(), np.arange(6.).reshape(2, 3))
    block = t._shm[0]
    t.share_memory_()                       # no-op when already shared
    assert t._shm[0] is block
    t.add_(1)                               # in-place ops write into the block
    np.testing.assert_array_equal(
        np.ndarray((2, 3), np.float32, buffer=block.buf), np.arange(1., 7.).reshape(2, 3))
    t._np[0, 0] = 42.                       # writes to the block are seen by reads
    assert t[0, 0].item() == 42.
    assert t[1].is_shared()
    # plain pickle and deepcopy stay by value
    u = pickle.loads(pickle.dumps(t))
    assert not u.is_shared() and torch.equal(u, t)


def test_share_memory_dtypes_and_module():
    for t in (torch.zeros(3, dtype=torch.bfloat16), torch.zeros(0), torch.tensor(3),
              torch.tensor([True, False])):
        before = t.clone()
        assert t.share_memory_().is_shared()
        assert torch.equal(t, before)
    b = torch.zeros(2, dtype=torch.bfloat16).share_memory_()
    b._np[1] = 5
    assert b[1].item() == 5.
    m = torch.nn.BatchNorm1d(2)
    assert m.share_memory() is m
    assert all(p.is_shared() for p in m.parameters())
    assert all(b.is_shared() for b in m.buffers())


def test_child_process_writes_visible():
    ctx = mp.get_context("spawn")
    t = torch.zeros(3).share_memory_()
    q = ctx.Queue()
    p = ctx.Process(target=mp_worker.add_one, args=(t, q))
    p.start()
    back = q.get(timeout=60)                # comes back through a queue, mapping the block
    p.join(60)
    assert p.exitcode == 0
    assert t.tolist() == [1., 1., 1.]
    assert back.is_shared() and back._shm[0] is t._shm[0]
    back.add_(1)
    assert t.tolist() == [2., 2., 2.]


def test_hogwild_linear():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    model.share_memory()
    before = [p.detach().clone() for p in model.parameters()]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=mp_worker.sgd_steps, args=(model, s, 2)) for s in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    for p, b in zip(model.parameters(), before):
        assert p.requires_grad and isinstance(p, torch.nn.Parameter)
        assert not torch.allclose(p.detach(), b)
    # the parent keeps training on the same storage
    mp_worker.sgd_steps(model, 3, steps=1)
    assert all(p.is_shared() for p in model.parameters())
