"""DistributedSampler: each replica sees its own shard of the (optionally shuffled) indices.

The shuffle is PyTorch's exactly: ``torch.randperm(n, generator=g)`` with ``g`` seeded by
``seed + epoch`` is CPU PyTorch's Fisher-Yates over a 32-bit Mersenne Twister
(:func:`torch_randperm`), so a job that mixes torch and torchlike ranks, or resumes a torch
run, shards the data identically.
"""
from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler", "torch_randperm"]


def torch_randperm(n: int, seed: int) -> list:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()`` on CPU.

    PyTorch's CPU generator is mt19937 seeded with the low 32 bits of the seed; randperm swaps
    position ``i`` with ``i + random() % (n - i)``. PyTorch switches to another algorithm for
    ``n >= 2**32 // 20``; that size raises NotImplementedError here.
    """
    if n >= (2 ** 32 - 1) // 20:
        raise NotImplementedError(f"torch_randperm: n={n} uses PyTorch's large-n algorithm, "
                                  "which is not reproduced")
    bits = np.random.MT19937(0)
    bits._legacy_seeding(int(seed) & 0xFFFFFFFF)  # mt19937's init_genrand, as PyTorch's
    i = np.arange(max(n - 1, 0), dtype=np.int64)
    swap = (bits.random_raw(len(i)).astype(np.int64) % (n - i) + i).tolist()
    perm = list(range(n))
    for a, b in enumerate(swap):
        perm[a], perm[b] = perm[b], perm[a]
    return perm


class DistributedSampler(Sampler):
    """PyTorch's DistributedSampler; ``num_replicas``/``rank`` default to the process group's."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.epoch, self.drop_last, self.shuffle, self.seed = 0, drop_last, shuffle, seed
        if self.drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        self.epoch = epoch
