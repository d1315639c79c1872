"""The torch flavours of :class:`~lr_dataset.streaming.dataset.StreamingLeRobotDataset` and
:class:`~lr_dataset.streaming.mixture.StreamingMixture`: ``torch.utils.data.IterableDataset``\\ s
whose samples are tensors, as LeRobot's.

Inside DataLoader workers each worker is one consumer (torch's ``get_worker_info``). The epoch
set with ``set_epoch`` lives in shared memory, so persistent workers see it too.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import IterableDataset, get_worker_info

from lr_dataset.streaming.dataset import StreamingLeRobotDataset as _NumpyStreamingDataset
from lr_dataset.streaming.mixture import StreamingMixture as _NumpyMixture
from lr_dataset.torch_dataset import to_torch


class _TorchStream:
    """Worker identity from torch, and an epoch shared with the DataLoader's workers."""

    @property
    def _epoch(self) -> int:
        return int(self.__dict__["_shared_epoch"].item())

    @_epoch.setter
    def _epoch(self, value: int) -> None:
        shared = self.__dict__.get("_shared_epoch")
        if shared is None:
            shared = torch.zeros((), dtype=torch.int64).share_memory_()
            self.__dict__["_shared_epoch"] = shared
        shared.fill_(int(value))

    def worker(self) -> tuple[int, int]:
        """``(worker id, number of workers)`` from torch's worker info (``(0, 1)`` outside)."""
        info = get_worker_info()
        return (0, 1) if info is None else (info.id, info.num_workers)


class StreamingLeRobotDataset(_TorchStream, _NumpyStreamingDataset, IterableDataset):
    """:class:`lr_dataset.streaming.dataset.StreamingLeRobotDataset` yielding torch tensors."""

    def finish_item(self, item: dict[str, Any]) -> Any:
        """Tensors, then the image transforms."""
        out = to_torch(item)
        if self.image_transforms is not None:
            for key in self.meta.camera_keys:
                if key not in self.meta.depth_keys:
                    out[key] = self.image_transforms(out[key])
        return out


class StreamingMixture(_TorchStream, _NumpyMixture, IterableDataset):
    """:class:`lr_dataset.streaming.mixture.StreamingMixture` yielding torch tensors."""

    def finish_item(self, item: dict[str, Any]) -> Any:
        """Tensors (``dataset_index`` too)."""
        return to_torch(item)
