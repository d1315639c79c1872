"""The torch flavour of :class:`~lr_dataset.dataset.LeRobotDataset`.

A ``torch.utils.data.Dataset`` whose items are tensors: images ``float32 (C, H, W)`` in [0, 1],
``<key>_is_pad`` bool tensors, scalar columns 0-d tensors, ``task`` a str - as LeRobot returns.
``from lr_dataset import LeRobotDataset`` resolves to this class when torch is installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from lr_dataset.dataset import LeRobotDataset as _NumpyLeRobotDataset


def to_torch(item: dict[str, Any]) -> dict[str, Any]:
    """numpy values -> tensors (strings and other objects are kept)."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, np.ndarray):
            out[key] = torch.from_numpy(value) if value.flags.writeable else torch.tensor(value)
        elif isinstance(value, np.generic):
            out[key] = torch.tensor(value.item(), dtype=_TORCH_DTYPES.get(value.dtype.str))
        else:
            out[key] = value
    return out


_TORCH_DTYPES = {
    np.dtype(np.float32).str: torch.float32,
    np.dtype(np.float64).str: torch.float64,
    np.dtype(np.int64).str: torch.int64,
    np.dtype(np.int32).str: torch.int32,
    np.dtype(np.bool_).str: torch.bool,
}


class LeRobotDataset(_NumpyLeRobotDataset, Dataset):
    """:class:`lr_dataset.dataset.LeRobotDataset` returning torch tensors."""

    def __getitem__(self, idx: int) -> dict[str, Any]:  # type: ignore[override]
        item = to_torch(self.get_raw_item(int(idx)))
        if self.image_transforms is not None:
            for key in self.meta.camera_keys:
                if key not in self.meta.depth_keys:
                    item[key] = self.image_transforms(item[key])
        return item
