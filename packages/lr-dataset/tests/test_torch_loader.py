"""lr_dataset.DataLoader: uint8 frame transport through reused shared memory, same batches as
torch's DataLoader."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from lr_dataset import DataLoader  # noqa: E402
from lr_dataset.torch_dataset import LeRobotDataset  # noqa: E402
from lr_dataset.torch_loader import SLOT_KEY, FrameRingCollate, frames_to_float  # noqa: E402

CAMERA = "observation.images.front"
WINDOWS = {CAMERA: [-1 / 30, 0.0], "observation.state": [-1 / 30, 0.0], "action": [0, 1 / 30]}


def _open(root, **kwargs):
    return LeRobotDataset("t/loader", root=root, delta_timestamps=WINDOWS, **kwargs)


def _batches(loader_class, dataset, **kwargs):
    kwargs.setdefault("batch_size", 4)
    kwargs.setdefault("shuffle", True)
    kwargs.setdefault("num_workers", 2)
    loader = loader_class(dataset, generator=torch.Generator().manual_seed(0), **kwargs)
    return loader, [batch for batch in loader]


def _assert_same(got: list[dict], want: list[dict]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert list(a) == list(b), "same keys in the same order"
        for key in b:
            if isinstance(b[key], torch.Tensor):
                assert a[key].dtype == b[key].dtype, key
                assert torch.equal(a[key], b[key]), key
            else:
                assert a[key] == b[key], key


def test_same_batches_as_torch_dataloader_bit_for_bit(video_dataset):
    ds = _open(video_dataset)
    loader, got = _batches(DataLoader, ds)
    _, want = _batches(torch.utils.data.DataLoader, ds)
    assert loader.ships_uint8_frames
    _assert_same(got, want)
    assert got[0][CAMERA].dtype == torch.float32
    assert got[0][CAMERA].shape == (4, 2, 3, 32, 48)
    assert got[-1][CAMERA].shape[0] == len(ds) % 4, "the short last batch"
    assert all(SLOT_KEY not in b for b in got)
    # the dataset object in this process still returns float frames
    assert loader.dataset[0][CAMERA].dtype == torch.float32


def test_every_slot_is_given_back_after_an_epoch(video_dataset):
    loader = DataLoader(_open(video_dataset), batch_size=4, num_workers=2)
    assert len(list(loader)) == 5
    collate = loader.collate_fn
    assert isinstance(collate, FrameRingCollate)
    for worker in collate.semaphores:
        for sem in worker:
            assert sem.acquire(block=False), "a slot was left held"


def test_frames_come_through_the_ring_not_the_fallback(video_dataset):
    loader = DataLoader(_open(video_dataset), batch_size=4, num_workers=2)
    list(loader)
    # the trainer process keeps one mapping per (worker, slot, camera) it was handed
    assert loader._ring_views, "no batch used a shared-memory slot"
    assert {key for _, _, key in loader._ring_views} == {CAMERA}


def test_persistent_workers_over_epochs_and_an_abandoned_epoch(video_dataset):
    ds = _open(video_dataset)
    loader = DataLoader(ds, batch_size=4, num_workers=2, persistent_workers=True, shuffle=False)
    reference = list(torch.utils.data.DataLoader(ds, batch_size=4, num_workers=0))
    for _ in range(2):
        _assert_same(list(loader), reference)
    it = iter(loader)
    next(it)  # leave the epoch early: its in-flight slots stay held
    del it
    for _ in range(2):
        _assert_same(list(loader), reference)


def test_spawned_workers(video_dataset):
    ds = _open(video_dataset)
    loader, got = _batches(DataLoader, ds, multiprocessing_context="spawn", num_workers=1)
    assert loader.ships_uint8_frames
    _, want = _batches(torch.utils.data.DataLoader, ds, num_workers=0)
    _assert_same(got, want)


def test_full_ring_falls_back_to_torchs_shared_memory(video_dataset, monkeypatch):
    import types

    import lr_dataset.torch_loader as loader_module

    ds = _open(video_dataset)
    ds.set_return_uint8(True)
    items = [ds[i] for i in range(3)]
    collate = FrameRingCollate((CAMERA,), [[]])  # a worker without free slots
    monkeypatch.setattr(loader_module, "get_worker_info", lambda: types.SimpleNamespace(id=0))
    batch = collate(items)
    assert SLOT_KEY not in batch
    assert batch[CAMERA].dtype == torch.uint8
    assert torch.equal(frames_to_float(batch[CAMERA]), batch[CAMERA].float() / 255)


@pytest.mark.parametrize(
    "case",
    ["no_workers", "image_transforms", "collate_fn", "pin_memory", "uint8_dataset"],
)
def test_plain_torch_behaviour_where_the_frame_path_does_not_apply(video_dataset, case):
    kwargs: dict = {"num_workers": 1}
    ds_kwargs: dict = {}
    if case == "no_workers":
        kwargs["num_workers"] = 0
    elif case == "image_transforms":
        ds_kwargs["image_transforms"] = lambda img: img * 2
    elif case == "collate_fn":
        kwargs["collate_fn"] = lambda items: torch.utils.data.default_collate(items)
    elif case == "pin_memory":
        kwargs["pin_memory"] = True
    elif case == "uint8_dataset":
        ds_kwargs["return_uint8"] = True
    ds = _open(video_dataset, **ds_kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pin_memory without an accelerator warns
        loader, got = _batches(DataLoader, ds, **kwargs)
    assert not loader.ships_uint8_frames
    _, want = _batches(torch.utils.data.DataLoader, ds, num_workers=0)
    _assert_same(got, want)


def test_frames_to_float_matches_the_dataset_conversion(video_dataset):
    u8 = _open(video_dataset, return_uint8=True)[5][CAMERA]
    f32 = _open(video_dataset)[5][CAMERA]
    assert u8.dtype == torch.uint8
    assert torch.equal(frames_to_float(u8), f32)
