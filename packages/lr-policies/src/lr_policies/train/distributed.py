"""Process-group set-up for multi-process (DDP) training launched by ``torchrun``.

``torchrun --nproc_per_node N`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; with
``WORLD_SIZE`` > 1 a process group is started (NCCL on GPUs, gloo on CPUs), each rank trains on
its shard of the data, gradients are averaged by ``DistributedDataParallel``, and rank 0 alone
logs and writes checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the process that logs and saves)."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """True when more than one process trains."""
        return self.world_size > 1

    def barrier(self) -> None:
        """Wait for every rank (no-op in a single process)."""
        if self.enabled:
            torch.distributed.barrier()


def init_distributed(device: str | None) -> DistContext:
    """Read torchrun's environment and start the process group when ``WORLD_SIZE`` > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    use_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local_rank)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="nccl" if use_cuda else "gloo")
    return DistContext(rank=rank, world_size=world, local_rank=local_rank)


def shutdown_distributed(ctx: DistContext) -> None:
    """Tear the process group down at the end of training."""
    if ctx.enabled and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
