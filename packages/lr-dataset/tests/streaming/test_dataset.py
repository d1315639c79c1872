"""StreamingLeRobotDataset on local folders: every sample equals the map-style dataset's for
the same frame (delta windows and padding included, videos rolled over into several files),
every frame exactly once per epoch, a pure-function order, LeRobot's arguments."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch

from lr_core.errors import ConfigError
from lr_dataset.dataset import LeRobotDataset
from lr_dataset.streaming.dataset import StreamingLeRobotDataset as NumpyStream
from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset
from lr_dataset.testing import LENGTHS, WINDOWS, assert_same_item, files_of, indices


def test_the_fixture_rolls_over(rollover):
    assert len(files_of(rollover, "videos")) >= 3 and len(files_of(rollover, "data")) >= 2


@pytest.mark.parametrize("fixture", ["rollover", "bframes", "images"])
def test_every_sample_equals_the_map_style_one(fixture, request):
    root = request.getfixturevalue(fixture)
    windows = {k: v for k, v in WINDOWS.items() if k != "observation.images.front"}
    windows["observation.images.front"] = WINDOWS["observation.images.front"]
    reference = LeRobotDataset("t/x", root=root, delta_timestamps=windows)
    stream = NumpyStream("t/x", root=root, delta_timestamps=windows, episode_pool_size=3, seed=4)
    items = list(stream)
    assert sorted(indices(items)) == list(range(len(reference)))
    for item in items:
        assert_same_item(item, reference[int(item["index"])])
    pads = [item["action_is_pad"] for item in items]
    assert any(p.any() for p in pads) and any(not p.any() for p in pads)


def test_without_windows_and_in_uint8(rollover):
    reference = LeRobotDataset("t/x", root=rollover, return_uint8=True)
    stream = NumpyStream("t/x", root=rollover, return_uint8=True, episode_pool_size=2)
    for item in stream:
        assert_same_item(item, reference[int(item["index"])])
        assert item["observation.images.front"].dtype == np.uint8


def test_torch_flavour_gives_the_torch_dataset_tensors(rollover):
    from lr_dataset.torch_dataset import LeRobotDataset as TorchDataset

    reference = TorchDataset("t/x", root=rollover, delta_timestamps=WINDOWS)
    stream = StreamingLeRobotDataset("t/x", root=rollover, delta_timestamps=WINDOWS)
    assert isinstance(stream, torch.utils.data.IterableDataset)
    for item in stream:
        assert_same_item(item, reference[int(item["index"])])


def test_episodes_argument_is_applied(rollover):
    stream = NumpyStream("t/x", root=rollover, episodes=[5, 1, 1])
    eps = {int(item["episode_index"]) for item in stream}
    assert eps == {1, 5}
    assert stream.num_episodes == 2 and stream.num_frames == LENGTHS[1] + LENGTHS[5]
    with pytest.raises(IndexError, match=r"episodes \[40\] do not exist"):
        NumpyStream("t/x", root=rollover, episodes=[40])


def test_dropped_edge_frames_are_not_anchors_but_stay_in_windows(rollover):
    stream = NumpyStream(
        "t/x", root=rollover, delta_timestamps=WINDOWS, drop_n_first_frames=1, drop_n_last_frames=3
    )
    items = list(stream)
    assert len(items) == sum(n - 4 for n in LENGTHS) == stream.num_samples
    assert {int(i["frame_index"]) for i in items if int(i["episode_index"]) == 0} == set(
        range(1, 10)
    )
    reference = LeRobotDataset("t/x", root=rollover, delta_timestamps=WINDOWS)
    for item in items[:20]:
        assert_same_item(item, reference[int(item["index"])])


def test_same_seed_same_order_new_epoch_new_order(rollover):
    a = indices(NumpyStream("t/x", root=rollover, seed=3))
    b = NumpyStream("t/x", root=rollover, seed=3)
    assert indices(b) == a
    b.set_epoch(1)
    again = indices(b)
    assert again != a and sorted(again) == sorted(a)
    assert indices(NumpyStream("t/x", root=rollover, seed=4)) != a


def test_unshuffled_stream_reads_in_order(rollover):
    items = list(NumpyStream("t/x", root=rollover, shuffle=False))
    assert indices(items) == list(range(sum(LENGTHS)))


def test_pool_size_one_reads_episode_by_episode(rollover):
    items = list(NumpyStream("t/x", root=rollover, episode_pool_size=1, seed=0))
    eps = [int(i["episode_index"]) for i in items]
    changes = sum(1 for a, b in itertools.pairwise(eps) if a != b)
    assert changes == len(LENGTHS) - 1


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("world_size", [1, 3])
def test_dataloader_workers_and_ranks_cover_each_frame_once(rollover, num_workers, world_size):
    seen: list[int] = []
    for rank in range(world_size):
        stream = StreamingLeRobotDataset(
            "t/x", root=rollover, episode_pool_size=2, seed=1, rank=rank, world_size=world_size
        )
        loader = torch.utils.data.DataLoader(stream, batch_size=4, num_workers=num_workers)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for batch in loader:
                seen.extend(batch["index"].tolist())
    assert sorted(seen) == list(range(sum(LENGTHS)))


def test_repeat_runs_epoch_after_epoch(rollover):
    stream = NumpyStream("t/x", root=rollover, repeat=True, seed=2)
    it = iter(stream)
    total = sum(LENGTHS)
    first = [int(next(it)["index"]) for _ in range(total)]
    second = [int(next(it)["index"]) for _ in range(total)]
    assert sorted(first) == sorted(second) == list(range(total)) and first != second
    one = NumpyStream("t/x", root=rollover, seed=2)
    assert indices(one) == first
    one.set_epoch(1)
    assert indices(one) == second


def test_a_worker_without_episodes_is_warned_about(rollover):
    stream = NumpyStream("t/x", root=rollover, episodes=[0, 1], rank=2, world_size=3)
    with pytest.warns(UserWarning, match="worker 0 of rank 2 gets no samples"):
        assert list(stream) == []


def test_uneven_ranks_are_warned_about_in_finite_epochs(rollover):
    stream = NumpyStream("t/x", root=rollover, rank=0, world_size=2)
    with pytest.warns(UserWarning, match="do not divide evenly over 2 ranks"):
        iter(stream)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iter(NumpyStream("t/x", root=rollover, rank=0, world_size=2, repeat=True))


def test_lerobot_arguments(rollover):
    stream = NumpyStream(
        "t/x",
        rollover,
        None,
        None,
        None,
        1e-4,
        None,
        False,
        True,
        1000,
        16,
        42,
        None,
        True,
        False,
        "mm",
    )
    assert stream.fps == 30 and stream.num_episodes == len(LENGTHS)
    assert stream.meta.total_frames == sum(LENGTHS)
    with pytest.raises(ConfigError, match="rng=.*seed"):
        NumpyStream("t/x", root=rollover, rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="episode_pool_size"):
        NumpyStream("t/x", root=rollover, episode_pool_size=0)


def test_image_transforms_apply_to_cameras(rollover):
    stream = StreamingLeRobotDataset(
        "t/x", root=rollover, image_transforms=lambda frame: frame * 0 + 1, episodes=[0]
    )
    item = next(iter(stream))
    assert torch.equal(item["observation.images.front"], torch.ones(3, 32, 48))


def test_missing_root_is_a_clear_error(tmp_path):
    from lr_dataset.errors import DatasetFormatError

    with pytest.raises(DatasetFormatError, match="does not exist"):
        NumpyStream("t/x", root=tmp_path / "nothing")


def test_lr_dataloader_ships_stream_frames_as_uint8_with_the_same_batches(rollover):
    from lr_dataset.torch_loader import DataLoader

    def batches(loader_class):
        stream = StreamingLeRobotDataset("t/x", root=rollover, delta_timestamps=WINDOWS, seed=2)
        loader = loader_class(stream, batch_size=4, num_workers=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return loader, list(loader)

    ours, got = batches(DataLoader)
    _, want = batches(torch.utils.data.DataLoader)
    assert ours.ships_uint8_frames and len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for key in b:
            if isinstance(b[key], torch.Tensor):
                assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
            else:
                assert a[key] == b[key]
