"""DataLoader and sampler reliability (issue 16): lazy RandomSampler with replacement, a
worker timeout that does not stall the next loader, datasets holding locks with workers."""
from __future__ import annotations

import itertools
import threading
import time

import pytest

import torchlike
from torchlike.utils.data import DataLoader, Dataset, RandomSampler


class SlowFirst(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 0:
            time.sleep(120)
        return i


class Locked(Dataset):
    """Holds a Lock, an RLock and a Condition (a lock inside), used in __getitem__."""

    def __init__(self):
        self.lock, self.rlock, self.cond = threading.Lock(), threading.RLock(), \
            threading.Condition()

    def __len__(self):
        return 6

    def __getitem__(self, i):
        with self.lock, self.rlock, self.cond:
            return torchlike.tensor([i * 10])


def test_random_sampler_with_replacement_is_lazy():
    """num_samples=10**10 used to draw every index at once (SIGABRT inside XLA)."""
    s = RandomSampler(range(7), replacement=True, num_samples=10 ** 10)
    assert len(s) == 10 ** 10
    first = list(itertools.islice(iter(s), 10000))
    assert len(first) == 10000 and min(first) == 0 and max(first) == 6


def test_random_sampler_with_replacement_counts_and_seed():
    g = torchlike.Generator().manual_seed(5)
    s = RandomSampler(range(3), replacement=True, num_samples=5000, generator=g)
    a = list(s)
    assert len(a) == 5000 and set(a) == {0, 1, 2}
    g.manual_seed(5)
    assert list(s) == a


def test_timeout_then_next_loader_and_a_dataset_with_locks():
    """A worker timeout raises; the stuck worker is stopped, so the next loader starts at
    once (it used to wait 60 s for the stuck task); a dataset holding locks works with
    workers (the locks are recreated, unlocked, in each worker)."""
    slow = DataLoader(SlowFirst(), batch_size=None, num_workers=1, timeout=1)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 1 seconds"):
        next(iter(slow))
    t0 = time.monotonic()
    out = [b.tolist() for b in DataLoader(Locked(), batch_size=3, num_workers=2)]
    assert out == [[[0], [10], [20]], [[30], [40], [50]]]
    assert time.monotonic() - t0 < 45  # starting fresh workers; the stall was 60 s and more
