"""Training data helpers: delta timestamps from policy configs, usable frames, stats."""

from __future__ import annotations

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_core.policy import PolicyConfig
from lr_policies.train.data import resolve_delta_timestamps, training_stats, usable_frames

KEYS = ["observation.state", "observation.images.front", "action", "next.reward", "index"]


def test_delta_timestamps_follow_the_policy_config():
    act = PolicyConfig.from_dict({"type": "act", "chunk_size": 4, "n_action_steps": 4})
    assert resolve_delta_timestamps(act, KEYS, 10) == {"action": [0.0, 0.1, 0.2, 0.3]}
    diffusion = PolicyConfig.from_dict({"type": "diffusion", "horizon": 8, "n_action_steps": 4})
    delta = resolve_delta_timestamps(diffusion, KEYS, 10)
    assert delta["observation.state"] == delta["observation.images.front"] == [-0.1, 0.0]
    assert [round(t * 10) for t in delta["action"]] == list(range(-1, 7))
    assert set(delta) == {"observation.state", "observation.images.front", "action"}


class Episodes:
    def __init__(self, lengths, selected=None):
        rows, start = [], 0
        for i, n in enumerate(lengths):
            rows.append(
                {"episode_index": i, "dataset_from_index": start, "dataset_to_index": start + n}
            )
            start += n

        class Meta:
            episodes = rows

        self.meta = Meta()
        self.episodes = selected
        kept = [n for i, n in enumerate(lengths) if selected is None or i in selected]
        self.n = sum(kept)

    def __len__(self):
        return self.n


def test_usable_frames_drop_episode_ends():
    assert usable_frames(Episodes([5, 4])) == 9
    assert usable_frames(Episodes([5, 4]), drop_n_last=2) == [0, 1, 2, 5, 6]
    # Positions are relative to the selected episodes.
    assert usable_frames(Episodes([5, 4, 6], selected=[0, 2]), drop_n_last=3) == [0, 1, 5, 6, 7]
    with pytest.raises(ConfigError, match="leaves no frame"):
        usable_frames(Episodes([3]), drop_n_last=7)


def test_imagenet_stats_replace_camera_stats():
    class Meta:
        features = {
            "observation.images.front": {
                "dtype": "video",
                "shape": [4, 4, 3],
                "names": ["height", "width", "channels"],
            },
            "observation.state": {"dtype": "float32", "shape": [2], "names": None},
        }
        stats = {
            "observation.images.front": {"mean": np.zeros((3, 1, 1)), "max": np.ones((3, 1, 1))},
            "observation.state": {"mean": np.ones(2)},
        }

    stats = training_stats(Meta, use_imagenet_stats=True)
    assert np.allclose(stats["observation.images.front"]["mean"].ravel(), [0.485, 0.456, 0.406])
    assert np.allclose(stats["observation.images.front"]["max"], 1)
    assert np.allclose(stats["observation.state"]["mean"], 1)
    assert (
        training_stats(Meta, use_imagenet_stats=False)["observation.images.front"]["mean"].sum()
        == 0
    )
