"""StreamBase refuses, at construction, a stream that lacks one of its hooks
(``abc.abstractmethod``), instead of a NotImplementedError in the middle of an epoch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lr_dataset.streaming.stream import StreamBase


class SizesOnly(StreamBase):
    def share_size(self, epoch: int, consumer: int, num_consumers: int) -> int:
        return 0


class Complete(SizesOnly):
    seed, shuffle, repeat = 0, False, False
    _epoch, _rank, _world_size = 0, None, None

    def consumer_items(
        self, epoch: int, rank: int, worker: int, num_workers: int, world_size: int, skip: int
    ) -> Iterator[dict[str, Any]]:
        return iter(())

    def fingerprint(self) -> dict[str, Any]:
        return {}

    @property
    def num_episodes(self) -> int:
        return 0


def test_a_stream_missing_hooks_names_them_at_construction():
    with pytest.raises(TypeError, match=r"consumer_items.*fingerprint.*num_episodes"):
        SizesOnly()
    assert StreamBase.__abstractmethods__ == {
        "share_size",
        "consumer_items",
        "fingerprint",
        "num_episodes",
    }


def test_a_stream_with_every_hook_iterates():
    with pytest.warns(UserWarning, match="gets no samples"):
        assert list(Complete()) == []
