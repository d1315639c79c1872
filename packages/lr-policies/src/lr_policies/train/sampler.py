"""A resumable, rank-sharded sampler: an endless stream of dataset indices.

Epoch ``e`` is a permutation of the usable frames drawn from ``torch.Generator`` seeded with
``seed + e`` (or the frames in order without shuffling). With ``world_size`` processes the epoch
is padded by wrapping to a multiple of ``world_size`` and rank ``r`` takes every
``world_size``-th index from position ``r`` (as ``DistributedSampler``). The stream depends only
on ``(indices, seed, rank, world_size)``, so resuming after ``k`` samples is ``start=k``: the
data order after a resume is the one an uninterrupted run would have seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler


class ResumableSampler(Sampler[int]):
    """Endless, deterministic sampler; see the module docstring."""

    def __init__(
        self,
        indices: Sequence[int] | int,
        *,
        seed: int = 0,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
        start: int = 0,
    ) -> None:
        self.indices = (
            torch.arange(indices)
            if isinstance(indices, int)
            else torch.as_tensor(list(indices), dtype=torch.int64)
        )
        if len(self.indices) == 0:
            raise ValueError("the sampler has no frames to draw from")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        self.seed, self.shuffle = seed, shuffle
        self.rank, self.world_size = rank, world_size
        self.start = start

    @property
    def per_rank(self) -> int:
        """Samples each rank draws per epoch."""
        return -(-len(self.indices) // self.world_size)

    def epoch_indices(self, epoch: int) -> torch.Tensor:
        """This rank's indices for ``epoch``, in order."""
        n = len(self.indices)
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + epoch)
            order = self.indices[torch.randperm(n, generator=g)]
        else:
            order = self.indices
        total = self.per_rank * self.world_size
        if total > n:
            order = torch.cat([order, order[: total - n]])
        return order[self.rank : total : self.world_size]

    def position(self, consumed: int) -> tuple[int, int]:
        """``(epoch, offset)`` after this rank has drawn ``consumed`` samples."""
        return divmod(consumed, self.per_rank)

    def __iter__(self) -> Iterator[int]:
        epoch, offset = self.position(self.start)
        while True:
            yield from self.epoch_indices(epoch)[offset:].tolist()
            epoch, offset = epoch + 1, 0
