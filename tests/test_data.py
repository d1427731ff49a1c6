"""utils.data: datasets, samplers, collate and DataLoader semantics (vs real torch when present)."""
import numpy as np
import pytest

import torchlike
from torchlike.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset,
                                  IterableDataset, RandomSampler, SequentialSampler, Subset,
                                  SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                                  default_collate, get_worker_info, random_split)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        return torchlike.tensor([float(idx)]), idx * idx


class Evens(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        wid, nw = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(2 * wid, 2 * self.n, 2 * nw))


def _batches(loader):
    return [(x.tolist(), y.tolist()) for x, y in loader]


def test_batches_len_drop_last_match_torch(torch):
    import torch.utils.data as TD

    class TSquares(TD.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, idx):
            return torch.tensor([float(idx)]), idx * idx

    for bs, drop in [(4, False), (4, True), (3, False), (10, True), (1, False)]:
        ours = DataLoader(Squares(10), batch_size=bs, drop_last=drop)
        ref = TD.DataLoader(TSquares(), batch_size=bs, drop_last=drop)
        assert len(ours) == len(ref)
        assert _batches(ours) == [(x.tolist(), y.tolist()) for x, y in ref]
    xb, yb = next(iter(DataLoader(Squares(10), batch_size=4)))
    assert str(xb.dtype) == "torch.float32" and str(yb.dtype) == "torch.int64"


def test_default_collate_matches_torch(torch):
    from torch.utils.data import default_collate as ref
    batch = [{"a": np.ones(2, np.float32) * i, "b": float(i), "c": (i, "s"), "d": True}
             for i in range(3)]
    ours, theirs = default_collate(batch), ref(batch)
    assert ours["a"].tolist() == theirs["a"].tolist() and str(ours["a"].dtype) == \
        str(theirs["a"].dtype)
    assert str(ours["b"].dtype) == str(theirs["b"].dtype) == "torch.float64"
    assert type(ours["c"]) is type(theirs["c"]) is list
    assert ours["c"][0].tolist() == theirs["c"][0].tolist() and ours["c"][1] == theirs["c"][1]
    assert str(ours["d"].dtype) == str(theirs["d"].dtype)
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])


def test_tensordataset_vectorised_batch_equals_per_sample():
    x = torchlike.randn(50, 3, 4)
    y = torchlike.arange(50)
    ds = TensorDataset(x, y)
    assert len(ds) == 50 and ds[3][1].item() == 3
    fast = list(DataLoader(ds, batch_size=8, shuffle=True,
                           generator=torchlike.Generator().manual_seed(0)))
    slow = list(DataLoader(ds, batch_size=8, shuffle=True,
                           generator=torchlike.Generator().manual_seed(0),
                           collate_fn=lambda b: default_collate(b)))
    assert len(fast) == len(slow) == 7
    for (a, b), (c, d) in zip(fast, slow):
        assert torchlike.equal(a, c) and torchlike.equal(b, d)
    assert isinstance(fast[0], list)
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(torchlike.zeros(3), torchlike.zeros(4))


def test_vectorised_path_is_one_take(monkeypatch):
    ds = TensorDataset(torchlike.arange(100))
    calls = []
    monkeypatch.setattr(TensorDataset, "__getitem__",
                        lambda self, i: calls.append(i) or (self.tensors[0][i],))
    batches = list(DataLoader(ds, batch_size=32))
    assert not calls and [len(b[0]) for b in batches] == [32, 32, 32, 4]


def test_shuffle_generator_determinism_and_permutation():
    def order(seed):
        g = torchlike.Generator().manual_seed(seed)
        return [y.tolist() for _, y in DataLoader(Squares(20), batch_size=5, shuffle=True,
                                                  generator=g)]
    a, b, c = order(1), order(1), order(2)
    assert a == b and a != c
    assert sorted(v for batch in a for v in batch) == sorted(i * i for i in range(20))
    torchlike.manual_seed(3)
    d = [y.tolist() for _, y in DataLoader(Squares(20), batch_size=5, shuffle=True)]
    torchlike.manual_seed(3)
    e = [y.tolist() for _, y in DataLoader(Squares(20), batch_size=5, shuffle=True)]
    assert d == e


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    g = torchlike.Generator().manual_seed(0)
    r = list(RandomSampler(range(10), generator=g))
    assert sorted(r) == list(range(10))
    assert len(list(RandomSampler(range(5), replacement=True, num_samples=12))) == 12
    assert sorted(SubsetRandomSampler([3, 7, 9])) == [3, 7, 9]
    w = list(WeightedRandomSampler([0.0, 0.0, 1.0], 6))
    assert w == [2] * 6
    assert sorted(WeightedRandomSampler([1, 1, 1], 3, replacement=False)) == [0, 1, 2]
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(SequentialSampler(range(7)), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    dl = DataLoader(Squares(6), batch_sampler=BatchSampler(range(6), 4, False))
    assert [y.tolist() for _, y in dl] == [[0, 1, 4, 9], [16, 25]]
    dl = DataLoader(Squares(6), sampler=[5, 4], batch_size=2)
    assert [y.tolist() for _, y in dl] == [[25, 16]]


def test_dataloader_argument_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Squares(3), sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Squares(3), batch_sampler=[[0]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Squares(3), num_workers=-1)
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Evens(3), shuffle=True)
    dl = DataLoader(Squares(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        dl.batch_size = 5
    assert DataLoader(Squares(3), pin_memory=True).pin_memory is True


def test_batch_size_none_and_iterable():
    out = list(DataLoader(Squares(3), batch_size=None))
    assert out[2][1] == 4 and out[2][0].shape == torchlike.Size([1])
    it = DataLoader(Evens(5), batch_size=2)
    assert [b.tolist() for b in it] == [[0, 2], [4, 6], [8]]
    with pytest.raises(TypeError):
        len(it)   # as in torch: an IterableDataset without __len__
    assert [b.tolist() for b in DataLoader(Evens(5), batch_size=2, drop_last=True)] == \
        [[0, 2], [4, 6]]


def test_subset_concat_random_split():
    ds = TensorDataset(torchlike.arange(10) * 10)
    sub = Subset(ds, [9, 0, 5])
    assert [b[0].tolist() for b in DataLoader(sub, batch_size=2)] == [[90, 0], [50]]
    sub_r = Subset(ds, range(2, 6))
    assert [b[0].tolist() for b in DataLoader(sub_r, batch_size=3)] == [[20, 30, 40], [50]]
    cat = ConcatDataset([Squares(3), Squares(2)])
    assert len(cat) == 5 and cat[3][1] == 0 and cat[-1][1] == 1
    assert len(Squares(2) + Squares(3)) == 5
    a, b = random_split(range(10), [0.3, 0.7], generator=torchlike.Generator().manual_seed(0))
    assert len(a) == 3 and len(b) == 7 and sorted(list(a) + list(b)) == list(range(10))
    a2, _ = random_split(range(10), [3, 7], generator=torchlike.Generator().manual_seed(0))
    assert list(a) == list(a2)
    parts = random_split(range(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


def _init(wid):
    import numpy
    numpy.random.seed(wid)


def test_num_workers_two_end_to_end():
    """Worker processes (fresh interpreters): same batches as num_workers=0, in order; a
    dataset class defined in this test module, a lambda collate_fn, iterable sharding,
    an abandoned iterator, and a worker error re-raised with its type."""
    ds = Squares(11)
    ref = _batches(DataLoader(ds, batch_size=3))
    dl = DataLoader(ds, batch_size=3, num_workers=2, worker_init_fn=_init)
    assert _batches(dl) == ref
    assert len(dl) == 4
    it = iter(dl)
    next(it)
    del it                                   # abandoned epoch; workers are drained and reused
    assert _batches(dl) == ref
    g = torchlike.Generator().manual_seed(5)
    shuf = _batches(DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, generator=g))
    g = torchlike.Generator().manual_seed(5)
    assert shuf == _batches(DataLoader(ds, batch_size=4, shuffle=True, generator=g))
    assert [b for b in DataLoader(ds, batch_size=4, num_workers=2,
                                  collate_fn=lambda b: len(b))] == [4, 4, 3]
    got = sorted(v for b in DataLoader(Evens(6), batch_size=2, num_workers=2)
                 for v in b.tolist())
    assert got == [0, 2, 4, 6, 8, 10]
    td = TensorDataset(torchlike.arange(8.0))
    assert [b[0].tolist() for b in DataLoader(td, batch_size=5, num_workers=2)] == \
        [[0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0]]

    class Broken(Squares):
        def __getitem__(self, idx):
            raise ValueError(f"bad sample {idx}")
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process"):
        list(DataLoader(Broken(4), batch_size=2, num_workers=2))
