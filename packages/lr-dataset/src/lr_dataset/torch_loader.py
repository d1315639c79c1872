"""``lr_dataset.DataLoader``: torch's DataLoader, with camera frames that cross the worker ->
trainer process boundary as uint8 through reused shared memory.

With a plain ``torch.utils.data.DataLoader`` every batch of float32 frames (8 samples x 2
frames x 3x480x640 = 59 MB) is stacked by the worker into freshly created shared memory, and
the page faults of that memory cost more CPU than decoding the video. This loader:

- has the workers return frames as uint8 (4x fewer bytes; ``LeRobotDataset(return_uint8=True)``
  inside the worker only: ``loader.dataset`` is untouched);
- stacks them into a small ring of shared-memory buffers per worker, allocated once and reused
  (a slot is taken with a semaphore and given back once the trainer process has read it; when
  every slot is busy the worker falls back to torch's own fresh shared memory);
- sends the batch's small tensors (state, action, indices, pad masks) by value instead of one
  shared-memory file each, and a slot's buffers only the first time it is used;
- turns the frames into float32 in [0, 1] in the process that iterates, with the same cast and
  division as the dataset (bit-identical batches to torch's DataLoader on the same dataset), or
  hands them to ``convert_frames`` (``lr train`` on a GPU: pinned as uint8, converted on the
  GPU).

Everything else is torch's DataLoader, unchanged. The frame path is used when the dataset is an
``lr_dataset`` LeRobotDataset or StreamingLeRobotDataset without ``image_transforms`` or with
transforms that keep uint8 frames uint8 (``keeps_uint8``: :class:`lr_dataset.transforms.
ImageTransforms`, applied in the workers; other transforms expect float frames),
``num_workers > 0``, no custom ``collate_fn`` and ``pin_memory=False``; otherwise the loader
behaves exactly like ``torch.utils.data.DataLoader``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.multiprocessing
import torch.utils.data
from torch.utils.data import default_collate, get_worker_info

from lr_dataset.reader import frames_to_unit_float
from lr_dataset.torch_dataset import LeRobotDataset

SLOT_KEY = "_lr_frame_slot"
BY_VALUE_BYTES = 1 << 16  # smaller batch tensors are pickled by value


class DataLoader(torch.utils.data.DataLoader):
    """``torch.utils.data.DataLoader`` (same arguments) that ships camera frames from its
    workers as uint8 through reused shared memory and hands out float32 batches."""

    def __init__(
        self,
        dataset: Any,
        *args: Any,
        convert_frames: Callable[[torch.Tensor], torch.Tensor] | None = None,
        **kwargs: Any,
    ) -> None:
        """torch's arguments, plus ``convert_frames``: what turns a batch's uint8 frames
        ``(B, ..., C, H, W)`` into the tensor the batch hands out (default: float32 in [0, 1] on
        the CPU, :func:`frames_to_float`). Its input may be a view of shared memory that is
        reused once it returns, so it must copy (e.g. into pinned memory, then to a GPU)."""
        super().__init__(dataset, *args, **kwargs)
        self._convert = convert_frames or frames_to_float
        self._frame_keys = _frame_keys(self)
        self._shared_collate: FrameRingCollate | None = None
        self._ring_views: dict[tuple[int, int, str], torch.Tensor] = {}
        if self._frame_keys:
            user_init = self.worker_init_fn
            self.worker_init_fn = _WorkerInit(user_init)
            self._shared_collate = self._new_collate()
            self.collate_fn = self._shared_collate

    @property
    def ships_uint8_frames(self) -> bool:
        """True when camera frames travel as uint8 through the shared-memory ring."""
        return bool(self._frame_keys)

    def _new_collate(self) -> FrameRingCollate:
        context = self.multiprocessing_context or torch.multiprocessing
        slots = (self.prefetch_factor or 2) + 2
        semaphores = [[context.Semaphore(1) for _ in range(slots)] for _ in range(self.num_workers)]
        return FrameRingCollate(self._frame_keys, semaphores)

    def __iter__(self) -> Iterator[Any]:  # type: ignore[override]
        if not self._frame_keys:
            return super().__iter__()
        if not self.persistent_workers:
            # new workers each epoch: fresh slots, so none stays held by an abandoned epoch
            self._shared_collate = self._new_collate()
            self.collate_fn = self._shared_collate
            self._ring_views = {}
        assert self._shared_collate is not None
        return self._float_batches(super().__iter__(), self._shared_collate)

    def _float_batches(self, batches: Iterator[Any], collate: FrameRingCollate) -> Iterator[Any]:
        for batch in batches:
            slot: SlotMessage | None = batch.pop(SLOT_KEY, None)
            if slot is None:  # torch's own collate (every slot was busy)
                for key in self._frame_keys:
                    frames = batch.get(key)
                    if isinstance(frames, torch.Tensor) and frames.dtype == torch.uint8:
                        batch[key] = self._convert(frames)
                yield batch
                continue
            for key in slot.by_value:
                batch[key] = torch.from_numpy(batch[key])
            for key, rows in slot.rows.items():
                ring = slot.rings.get(key)
                if ring is not None:  # first use of this slot: its memory is mapped once
                    self._ring_views[(slot.worker, slot.slot, key)] = ring
                ring = self._ring_views[(slot.worker, slot.slot, key)]
                batch[key] = self._convert(ring[:rows])
            collate.release(slot.worker, slot.slot)
            yield batch


def frames_to_float(frames: torch.Tensor) -> torch.Tensor:
    """uint8 frames -> a new float32 tensor in [0, 1], with the dataset's own conversion."""
    return torch.from_numpy(frames_to_unit_float(frames.numpy()))


class FrameRingCollate:
    """The workers' collate function: torch's ``default_collate``, except that the camera
    frames of a batch are stacked into one of this worker's reused shared-memory slots."""

    def __init__(self, keys: tuple[str, ...], semaphores: list[list[Any]]) -> None:
        self.keys = keys
        self.semaphores = semaphores
        self._rings: dict[tuple[int, str], torch.Tensor] = {}  # built in each worker
        self._sent: set[tuple[int, str]] = set()
        self._next = 0

    def __getstate__(self) -> dict[str, Any]:
        return {"keys": self.keys, "semaphores": self.semaphores}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["keys"], state["semaphores"])

    def release(self, worker: int, slot: int) -> None:
        """Give a slot back (the trainer process has read its frames)."""
        self.semaphores[worker][slot].release()

    def _acquire(self, worker: int) -> int | None:
        sems = self.semaphores[worker]
        for k in range(len(sems)):
            slot = (self._next + k) % len(sems)
            if sems[slot].acquire(block=False):
                self._next = slot + 1
                return slot
        return None

    def __call__(self, items: list[Any]) -> Any:
        info = get_worker_info()
        first = items[0] if items else None
        keys = (
            [
                k
                for k in self.keys
                if isinstance(first.get(k), torch.Tensor) and first[k].dtype == torch.uint8
            ]
            if info is not None and isinstance(first, dict)
            else []
        )
        if not keys:
            return default_collate(items)
        slot = self._acquire(info.id)
        if slot is None:
            return default_collate(items)
        rest = default_collate([{k: v for k, v in it.items() if k not in keys} for it in items])
        message = SlotMessage(info.id, slot)
        batch: dict[str, Any] = {}
        for k in first:
            if k in keys:
                message.rows[k] = len(items)
                ring = self._stack(slot, k, [it[k] for it in items])
                if (slot, k) not in self._sent:
                    message.rings[k] = ring
                    self._sent.add((slot, k))
                batch[k] = None  # filled in by the trainer process, in this key order
            else:
                value = rest[k]
                if isinstance(value, torch.Tensor) and value.nbytes <= BY_VALUE_BYTES:
                    value = value.numpy()
                    message.by_value.append(k)
                batch[k] = value
        batch[SLOT_KEY] = message
        return batch

    def _stack(self, slot: int, key: str, frames: list[torch.Tensor]) -> torch.Tensor:
        n, shape = len(frames), tuple(frames[0].shape)
        ring = self._rings.get((slot, key))
        if ring is None or ring.shape[0] < n or tuple(ring.shape[1:]) != shape:
            ring = torch.empty((n, *shape), dtype=torch.uint8).share_memory_()
            self._rings[(slot, key)] = ring
            self._sent.discard((slot, key))
        torch.stack(frames, out=ring[:n])
        return ring


@dataclass
class SlotMessage:
    """Sent with a batch whose frames sit in a ring slot: which slot, how many rows of it, the
    slot's shared tensors the first time they are used (afterwards the trainer process has
    them mapped), and the small tensors sent by value as numpy arrays (a tensor would travel
    as shared memory plus a file-descriptor hand-over, a fixed cost far above its size)."""

    worker: int
    slot: int
    rows: dict[str, int] = field(default_factory=dict)
    rings: dict[str, torch.Tensor] = field(default_factory=dict)
    by_value: list[str] = field(default_factory=list)


class _WorkerInit:
    """Worker start-up: the worker's copy of the dataset returns uint8 frames, then the user's
    ``worker_init_fn`` runs."""

    def __init__(self, user_init: Any) -> None:
        self.user_init = user_init

    def __call__(self, worker_id: int) -> None:
        info = get_worker_info()
        if info is not None:
            info.dataset.set_return_uint8(True)
        if self.user_init is not None:
            self.user_init(worker_id)


def _transforms_keep_uint8(transforms: Any) -> bool:
    """No image transforms, or ones that map uint8 frames to uint8 frames (``keeps_uint8``, as
    :class:`lr_dataset.transforms.ImageTransforms`): they then run in the workers."""
    return transforms is None or bool(getattr(transforms, "keeps_uint8", False))


def _frame_keys(loader: torch.utils.data.DataLoader) -> tuple[str, ...]:
    from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset

    dataset = loader.dataset
    if (
        not isinstance(dataset, (LeRobotDataset, StreamingLeRobotDataset))
        or loader.num_workers == 0
        or loader.pin_memory
        or not _transforms_keep_uint8(dataset.image_transforms)
        or dataset.return_uint8
        or loader.collate_fn is not default_collate
    ):
        return ()
    meta = dataset.meta
    return tuple(k for k in meta.camera_keys if k not in meta.depth_keys)
