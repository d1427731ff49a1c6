"""torchlike.distributed, DistributedSampler, DDP and DataParallel.

Multi-process tests start two ranks on 127.0.0.1 through ``python -m torchlike.distributed.run``
with strict timeouts; multi-device tests run in a child process with forced CPU devices.
"""
import pytest

import torchlike as tl
from torchlike.utils.data.distributed import DistributedSampler, torch_randperm


@pytest.mark.parametrize("n", [0, 1, 2, 7, 100, 1000])
@pytest.mark.parametrize("seed", [0, 3, -1, 2 ** 40 + 5])
def test_torch_randperm_matches_torch(n, seed):
    torch = pytest.importorskip("torch")
    g = torch.Generator()
    g.manual_seed(seed)
    assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


@pytest.mark.parametrize("n,replicas,shuffle,drop_last,seed,epoch", [
    (10, 2, True, False, 0, 0), (10, 3, True, False, 0, 1), (10, 3, True, True, 5, 2),
    (11, 4, False, False, 0, 0), (11, 4, False, True, 0, 0), (2, 5, True, False, 1, 3),
    (3, 8, False, False, 0, 0), (1000, 3, True, False, 42, 7), (60000, 2, True, False, 0, 1)])
def test_distributed_sampler_matches_torch(n, replicas, shuffle, drop_last, seed, epoch):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    data = list(range(n))
    for rank in range(replicas):
        kw = dict(num_replicas=replicas, rank=rank, shuffle=shuffle, seed=seed,
                  drop_last=drop_last)
        ours, theirs = DistributedSampler(data, **kw), TorchSampler(data, **kw)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert (len(ours), ours.total_size) == (len(theirs), theirs.total_size)
        assert list(ours) == list(theirs)


def test_distributed_sampler_errors():
    for rank in (2, -1):
        with pytest.raises(ValueError, match=r"Invalid rank %d, rank should be in the interval "
                           r"\[0, 1\]" % rank):
            DistributedSampler(range(4), num_replicas=2, rank=rank)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))
    s = DistributedSampler(range(4), num_replicas=2, rank=1, shuffle=False)
    assert list(tl.utils.data.DataLoader(range(4), batch_size=2, sampler=s))[0].tolist() == [1, 3]
