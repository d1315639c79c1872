"""Mixtures: samples tagged with their dataset and equal to its map-style samples, exactly-once
coverage per finite epoch, the weights in a repeated stream, renamed features, clear errors for
fps and feature mismatches, exact resume."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from itertools import islice

import pytest
import torch

from lr_core.errors import ConfigError
from lr_dataset.dataset import LeRobotDataset
from lr_dataset.streaming.dataset import StreamingLeRobotDataset as NumpyStream
from lr_dataset.streaming.mixture import StreamingMixture as NumpyMixture
from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset, StreamingMixture
from lr_dataset.testing import WINDOWS, assert_same_item, write_rollover_dataset


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """A 4-episode dataset whose camera is called observation.images.top."""
    return write_rollover_dataset(
        tmp_path_factory.mktemp("renamed") / "ds",
        episodes=4,
        camera_key="observation.images.top",
        content_offset=10,
    )


def key(item):
    return int(item["dataset_index"]), int(item["index"])


def test_samples_are_tagged_and_equal_their_datasets_own(rollover, renamed):
    windows = dict(WINDOWS)
    other = {
        ("observation.images.top" if k.endswith("front") else k): v for k, v in windows.items()
    }
    mix = NumpyMixture(
        [
            NumpyStream("t/a", root=rollover, delta_timestamps=windows, episode_pool_size=2),
            NumpyStream("t/b", root=renamed, delta_timestamps=other, episode_pool_size=2),
        ],
        weights=[3, 1],
        seed=1,
        feature_maps=[None, {"observation.images.top": "observation.images.front"}],
    )
    references = [
        LeRobotDataset("t/a", root=rollover, delta_timestamps=windows),
        LeRobotDataset("t/b", root=renamed, delta_timestamps=other),
    ]
    items = list(mix)
    counts = Counter(int(i["dataset_index"]) for i in items)
    assert counts == {0: len(references[0]), 1: len(references[1])}
    assert len({key(i) for i in items}) == len(items)
    # the first dataset dominates the start of the epoch (weight 3 of 4)
    head = Counter(int(i["dataset_index"]) for i in items[:40])
    assert head[0] > head[1]
    for item in items:
        which = int(item.pop("dataset_index"))
        want = dict(references[which][int(item["index"])])
        if which == 1:
            want["observation.images.front"] = want.pop("observation.images.top")
            want["observation.images.front_is_pad"] = want.pop("observation.images.top_is_pad")
        assert_same_item(item, want)
    assert mix.meta.fps == 30 and "observation.images.front" in mix.meta.features
    assert mix.meta.stats["action"]["count"][0] == len(references[0]) + len(references[1])


def test_repeated_mixture_follows_the_weights(rollover, renamed):
    mix = NumpyMixture(
        [NumpyStream("t/a", root=rollover), NumpyStream("t/a", root=rollover, episodes=[0, 1])],
        weights=[1, 4],
        seed=2,
        repeat=True,
    )
    counts = Counter(int(i["dataset_index"]) for i in islice(mix, 1000))
    assert 0.74 < counts[1] / 1000 < 0.86


def test_same_seed_same_order_and_exact_resume(rollover):
    def make():
        return StreamingMixture(
            [
                StreamingLeRobotDataset("t/a", root=rollover, episodes=[0, 1, 2, 3], seed=1),
                StreamingLeRobotDataset("t/a", root=rollover, episodes=[4, 5, 6, 7, 8], seed=2),
            ],
            weights=[1, 2],
            seed=5,
        )

    def batches(mix, limit=None):
        loader = torch.utils.data.DataLoader(mix, batch_size=3, num_workers=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [
                list(zip(b["dataset_index"].tolist(), b["index"].tolist()))
                for b in islice(loader, limit)
            ]

    full = batches(make())
    assert batches(make()) == full
    flat = [k for b in full for k in b]
    assert (
        len(flat)
        == len(set(flat))
        == sum(LeRobotDataset("t/a", root=rollover).meta.episodes["length"])
    )
    state = json.loads(json.dumps(make().state_dict(7, 3, 2)))
    resumed = make()
    resumed.load_state_dict(state)
    assert batches(resumed) == full[7:]


def test_mismatches_are_clear_errors(rollover, renamed, tmp_path):
    a = NumpyStream("t/a", root=rollover)
    with pytest.raises(ConfigError, match=r"features \['observation.images.top'\].*lacks"):
        NumpyMixture([a, NumpyStream("t/b", root=renamed)])
    with pytest.raises(ConfigError, match="delta_timestamps"):
        NumpyMixture([a, NumpyStream("t/a", root=rollover, delta_timestamps={"action": [0.0]})])
    with pytest.raises(ConfigError, match="renames"):
        NumpyMixture([a, a], feature_maps=[None, {"nothing": "x"}])
    with pytest.raises(ConfigError, match="positive"):
        NumpyMixture([a, a], weights=[1, 0])
    other_fps = write_rollover_dataset(tmp_path / "fps", episodes=1, fps=15)
    with pytest.raises(ConfigError, match="15 fps but dataset 0 .* is 30 fps"):
        NumpyMixture([a, NumpyStream("t/c", root=other_fps)])
