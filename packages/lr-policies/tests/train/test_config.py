"""`lr train`'s config: LeRobot 0.6.1's flags accepted with their meaning, the options lr does
not implement refused with the reason, list syntaxes, machine-chosen defaults."""

from __future__ import annotations

import os

import pytest

from lr_core.config import parse_cli
from lr_core.errors import ConfigError
from lr_policies.train.config import TrainConfig, default_num_workers

BASE = ["--policy.type=act", "--dataset.repo_id=user/data"]


def parse(*flags: str) -> TrainConfig:
    return parse_cli(TrainConfig, [*BASE, *flags], prog="lr train")


def test_lerobot_061_flags_are_accepted():
    cfg = parse(
        "--env_eval_freq=500",
        "--persistent_workers=false",
        "--use_policy_training_preset=true",
        "--tolerance_s=0.001",
        "--cudnn_deterministic=true",
        "--dataset.video_backend=torchcodec",
        "--dataset.image_transforms.enable=true",
        "--dataset.image_transforms.max_num_transforms=2",
        "--dataset.image_transforms.random_order=true",
        '--dataset.image_transforms.tfs={"b": {"type": "ColorJitter", "weight": 2.0,'
        ' "kwargs": {"brightness": [0.9, 1.1]}}}',
    )
    assert cfg.env_eval_freq == 500 and not cfg.persistent_workers
    assert cfg.tolerance_s == 0.001 and cfg.cudnn_deterministic
    assert cfg.dataset.video_backend == "torchcodec"
    tf = cfg.dataset.image_transforms
    assert tf.enable and tf.max_num_transforms == 2 and tf.random_order
    assert tf.tfs["b"].weight == 2.0 and tf.tfs["b"].kwargs == {"brightness": [0.9, 1.1]}
    # LeRobot 0.4's name of the evaluation period.
    assert parse("--eval_freq=300").env_eval_freq == 300
    assert (
        TrainConfig.from_dict(
            {"policy": {"type": "act"}, "dataset": {"repo_id": "a/b"}, "eval_freq": 7}
        ).env_eval_freq
        == 7
    )


def test_image_transform_defaults_are_lerobots():
    tf = parse().dataset.image_transforms
    assert (tf.enable, tf.max_num_transforms, tf.random_order) == (False, 3, False)
    assert {k: (v.type, v.kwargs) for k, v in tf.tfs.items()} == {
        "brightness": ("ColorJitter", {"brightness": (0.8, 1.2)}),
        "contrast": ("ColorJitter", {"contrast": (0.8, 1.2)}),
        "saturation": ("ColorJitter", {"saturation": (0.5, 1.5)}),
        "hue": ("ColorJitter", {"hue": (-0.05, 0.05)}),
        "sharpness": ("SharpnessJitter", {"sharpness": (0.5, 1.5)}),
        "affine": ("RandomAffine", {"degrees": (-5.0, 5.0), "translate": (0.05, 0.05)}),
    }


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("--eval_steps=10", "no held-out loss"),
        ("--peft.r=8", "PEFT"),
        ("--save_checkpoint_to_hub=true", "does not upload"),
        ("--job.target=x", "Hugging Face Jobs"),
    ],
)
def test_lerobot_options_lr_does_not_implement_say_so(flag, reason):
    with pytest.raises(ConfigError, match=f"lr train does not do this.*{reason}"):
        parse(flag)


def test_streaming_is_a_dataset_flag():
    cfg = parse("--dataset.streaming=true", "--dataset.episode_pool_size=4")
    assert cfg.dataset.streaming and cfg.dataset.episode_pool_size == 4
    with pytest.raises(ConfigError, match="episode_pool_size"):
        parse("--dataset.episode_pool_size=0")


def test_episodes_take_json_or_ranges():
    assert parse("--dataset.episodes=[0, 2]").dataset.episodes == [0, 2]
    assert parse("--dataset.episodes=0,2,5-7").dataset.episodes == [0, 2, 5, 6, 7]
    with pytest.raises(ConfigError, match="dataset.episodes"):
        parse("--dataset.episodes=[-1]")


def test_no_preset_needs_an_optimizer():
    with pytest.raises(ConfigError, match="use_policy_training_preset=false needs an optimizer"):
        parse("--use_policy_training_preset=false")
    cfg = parse("--use_policy_training_preset=false", "--optimizer.type=adam")
    assert cfg.optimizer is not None and cfg.optimizer.type == "adam"


def test_num_workers_follow_the_machine(monkeypatch):
    for cpus, workers in [(1, 0), (2, 1), (4, 3), (64, 8)]:
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cpus: set(range(n)))
        assert default_num_workers() == workers
        assert parse().num_workers == workers
    assert parse("--num_workers=3").num_workers == 3
