"""What every stream shares: epochs, consumers, warnings, and resuming from a state dict.

A stream (a :class:`~lr_dataset.streaming.dataset.StreamingLeRobotDataset` or a
:class:`~lr_dataset.streaming.mixture.StreamingMixture`) is iterated by one *consumer* per
(rank x DataLoader worker). Subclasses say how many samples a consumer gets in an epoch
(:meth:`StreamBase.share_size`) and produce them (:meth:`StreamBase.consumer_items`), given
``skip``: samples to pass over first, without reading anything.

Resume protocol (the trainer's side)::

    loader = DataLoader(stream, batch_size=B, num_workers=W)
    ...after k batches:   state = stream.state_dict(batches_consumed=k, batch_size=B,
                                                    num_workers=W)
    ...in a new process:  stream.load_state_dict(state); loader = DataLoader(stream, ...)
                          # the batches that follow are those an uninterrupted run would
                          # have seen next

The state is the same for every rank (ranks consume batches in lockstep). Each worker of the
new loader works out from it which old worker's place it takes and how many of that worker's
samples to skip (:func:`~lr_dataset.streaming.order.worker_batches`).
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

from lr_core.errors import ConfigError
from lr_dataset.streaming.order import batches_in, resumed_roles, worker_batches

logger = logging.getLogger(__name__)

STATE_FORMAT = "lr.streaming/1"


class StreamBase(ABC):
    """Epochs, consumers and resume for streams (see the module docstring).

    Subclasses set ``seed``, ``shuffle``, ``repeat``, ``epoch``, ``rank``, ``world_size`` and
    implement :meth:`share_size`, :meth:`consumer_items`, :meth:`fingerprint` and
    :attr:`num_episodes` (abstract: a subclass missing one cannot be constructed).
    """

    seed: int
    shuffle: bool
    repeat: bool
    _epoch: int
    _rank: int | None
    _world_size: int | None
    _resume: dict[str, Any] | None = None

    # ------------------------------------------------------------------ to implement
    @abstractmethod
    def share_size(self, epoch: int, consumer: int, num_consumers: int) -> int:
        """Samples consumer ``consumer`` of ``num_consumers`` gets in ``epoch``."""

    @abstractmethod
    def consumer_items(
        self, epoch: int, rank: int, worker: int, num_workers: int, world_size: int, skip: int
    ) -> Iterator[dict[str, Any]]:
        """The samples of one consumer from ``epoch`` on (forever with ``repeat``), after
        passing over ``skip`` of them."""

    @abstractmethod
    def fingerprint(self) -> dict[str, Any]:
        """What the order depends on besides the epoch and position (checked on resume)."""

    # ------------------------------------------------------------------ epochs and ranks
    @property
    def epoch(self) -> int:
        """The epoch the next iteration starts at."""
        return int(self._epoch)

    def set_epoch(self, epoch: int) -> None:
        """Start the next iteration at ``epoch`` (as ``DistributedSampler.set_epoch``): call it
        before each epoch of a finite stream, or the same order comes again."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self._epoch = int(epoch)

    def set_distributed(self, rank: int, world_size: int) -> None:
        """This process's rank and the number of processes sharing the stream."""
        if world_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, {world_size})")
        self._rank, self._world_size = int(rank), int(world_size)

    @property
    def rank(self) -> int:
        """This process's rank (``torch.distributed``'s, or ``RANK``, when not set)."""
        return self._distributed()[0]

    @property
    def world_size(self) -> int:
        """Processes sharing the stream."""
        return self._distributed()[1]

    def _distributed(self) -> tuple[int, int]:
        if self._rank is not None and self._world_size is not None:
            return self._rank, self._world_size
        rank, world = default_distributed()
        return (
            self._rank if self._rank is not None else rank,
            self._world_size if self._world_size is not None else world,
        )

    def worker(self) -> tuple[int, int]:
        """``(worker id, number of workers)`` of the calling DataLoader worker; ``(0, 1)``
        outside workers (the torch flavour reads torch's worker info)."""
        return 0, 1

    # ------------------------------------------------------------------ iteration
    def stream_length(self, epoch: int, consumer: int, num_consumers: int) -> float:
        """Samples one consumer yields per iteration: its share, or ``inf`` with ``repeat``
        (0 for a consumer that has nothing)."""
        n = self.share_size(epoch, consumer, num_consumers)
        return math.inf if self.repeat and n > 0 else n

    def __iter__(self) -> Iterator[dict[str, Any]]:
        worker, num_workers = self.worker()
        rank, world = self._distributed()
        epoch = self.epoch
        role, skip = worker, 0
        state = self._resume
        if state is not None and int(state["epoch"]) == epoch:
            role, skip = self._resume_position(state, epoch, worker, num_workers, rank, world)
        self._warn_shares(epoch, rank, role, num_workers, world)
        return self.consumer_items(epoch, rank, role, num_workers, world, skip)

    def _warn_shares(self, epoch: int, rank: int, role: int, num_workers: int, world: int) -> None:
        consumers = world * num_workers
        mine = self.share_size(epoch, rank * num_workers + role, consumers)
        if mine == 0:
            warnings.warn(
                f"{self.describe()}: worker {role} of rank {rank} gets no samples "
                f"({consumers} consumers = {world} rank(s) x {num_workers} worker(s) for "
                f"{self.num_episodes} episode(s)); use fewer workers",
                stacklevel=3,
            )
        if world > 1 and not self.repeat and role == 0:
            per_rank = [
                sum(
                    self.share_size(epoch, r * num_workers + w, consumers)
                    for w in range(num_workers)
                )
                for r in range(world)
            ]
            if len(set(per_rank)) > 1 and rank == 0:
                warnings.warn(
                    f"{self.describe()}: {sum(per_rank)} samples do not divide evenly over "
                    f"{world} ranks ({min(per_rank)} to {max(per_rank)} per rank): in a finite "
                    f"epoch ranks run different numbers of batches; use repeat=True for "
                    f"distributed training",
                    stacklevel=3,
                )

    def describe(self) -> str:
        """A short name for messages."""
        return type(self).__name__

    @property
    @abstractmethod
    def num_episodes(self) -> int:
        """Episodes streamed."""

    # ------------------------------------------------------------------ resume
    def state_dict(
        self,
        batches_consumed: int,
        batch_size: int,
        num_workers: int = 0,
        *,
        drop_last: bool = False,
    ) -> dict[str, Any]:
        """The position after the trainer took ``batches_consumed`` batches of ``batch_size``
        from a ``DataLoader(self, batch_size, num_workers, drop_last)`` started at
        :attr:`epoch` (or at the epoch of a loaded state). JSON-serialisable, the same on every
        rank."""
        if batches_consumed < 0 or batch_size < 1 or num_workers < 0:
            raise ValueError("batches_consumed >= 0, batch_size >= 1 and num_workers >= 0")
        epoch = self.epoch
        return {
            "format": STATE_FORMAT,
            "epoch": epoch,
            "batches_consumed": int(batches_consumed),
            "batch_size": int(batch_size),
            "num_workers": int(num_workers),
            "drop_last": bool(drop_last),
            "world_size": self.world_size,
            "repeat": bool(self.repeat),
            **self.fingerprint(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state`` (:meth:`state_dict`'s output) at the next iteration.

        Raises:
            ConfigError: when the stream or the world size differs from the one that saved it.
        """
        if state.get("format") != STATE_FORMAT:
            raise ConfigError(
                f"not a streaming state (format {state.get('format')!r}, want {STATE_FORMAT!r})"
            )
        mine = {"world_size": self.world_size, "repeat": bool(self.repeat), **self.fingerprint()}
        diffs = [
            f"{key}: saved {state.get(key)!r}, now {value!r}"
            for key, value in mine.items()
            if state.get(key) != value
        ]
        if diffs:
            raise ConfigError(
                f"{self.describe()}: the state was saved for a different stream, so the order "
                f"cannot continue exactly ({'; '.join(diffs)})"
            )
        self._resume = dict(state)
        self._epoch = int(state["epoch"])

    def _resume_position(
        self,
        state: dict[str, Any],
        epoch: int,
        worker: int,
        num_workers: int,
        rank: int,
        world: int,
    ) -> tuple[int, int]:
        saved_workers = max(1, int(state["num_workers"]))
        if saved_workers != num_workers:
            raise ConfigError(
                f"{self.describe()}: the state was saved with num_workers="
                f"{state['num_workers']} but this DataLoader has "
                f"{num_workers if num_workers > 1 or self.worker() != (0, 1) else 0}; resume "
                f"with the same num_workers"
            )
        batch_size = int(state["batch_size"])
        consumers = world * num_workers
        per_worker = [
            batches_in(
                self.stream_length(epoch, rank * num_workers + w, consumers),
                batch_size,
                bool(state.get("drop_last", False)),
            )
            for w in range(num_workers)
        ]
        try:
            done, next_worker = worker_batches(int(state["batches_consumed"]), per_worker)
        except ValueError as exc:
            raise ConfigError(f"{self.describe()}: cannot resume: {exc}") from exc
        role = resumed_roles(next_worker, num_workers)[worker]
        length = self.stream_length(epoch, rank * num_workers + role, consumers)
        skip = min(done[role] * batch_size, length)
        return role, int(skip)


def default_distributed() -> tuple[int, int]:
    """``(rank, world size)`` of an initialised ``torch.distributed`` group, else of the
    ``RANK`` / ``WORLD_SIZE`` variables torchrun sets, else ``(0, 1)``."""
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
