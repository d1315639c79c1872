"""`lr quickstart` options: presets, flags that adjust them, the runtime choice, and the stage
commands (which must parse, with each command's own parser, into exactly the run's configs)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from lr_core.config import parse_cli
from lr_core.errors import ConfigError
from lr_core.features import FeatureType, PolicyFeature
from lr_sim.quickstart import FAST_OVERRIDES, QuickstartConfig, parse_args, stage_commands
from lr_sim.quickstart_stages import choose_runtime, config_flags, shell_command


def test_the_main_job_learns_from_cameras_and_joint_state_only():
    cfg, _ = parse_args([])
    assert cfg.task == cfg.env.task == "pick-and-place"
    assert cfg.policy.type == "visuomotor"
    cams = [f"observation.images.{c}" for c in cfg.env.cameras]
    assert set(cfg.policy.input_features) == {"observation.state", *cams}
    assert "observation.environment_state" not in cfg.policy.input_features
    assert cfg.expert_noise > 0  # DART demonstrations (docs/quickstart-trials.md)
    assert cfg.vcodec == "h264"  # libsvtav1 hung in two recordings of this job
    for cam in cams:
        shape = cfg.policy.input_features[cam].shape
        assert shape == (3, cfg.env.image_height, cfg.env.image_width)


def test_reach_keeps_the_state_based_demonstration():
    cfg, explicit = parse_args(["--task=reach"])
    assert cfg.env.task == "reach" and cfg.policy.type == "act"
    assert set(cfg.policy.input_features) == {
        "observation.state",
        "observation.environment_state",
    }
    assert cfg.policy.dim_model == 128 and cfg.steps == 6000
    assert cfg.expert_noise == 0.0 and cfg.vcodec is None  # as before: clean demos, AV1
    assert "task" in explicit
    assert parse_args(["--task", "reach"])[0].policy.type == "act"


def test_the_policy_cameras_follow_the_env_cameras_and_size():
    cfg, _ = parse_args(
        ['--env.cameras=["wrist"]', "--env.image_height=96", "--env.image_width=80"]
    )
    assert cfg.policy.input_features == {
        "observation.state": cfg.policy.input_features["observation.state"],
        "observation.images.wrist": PolicyFeature(type=FeatureType.VISUAL, shape=(3, 96, 80)),
    }
    # a state-based preset stays state-based whatever the env records
    reach, _ = parse_args(["--task=reach", '--env.cameras=["front","wrist"]'])
    assert not any(k.startswith("observation.images") for k in reach.policy.input_features)


def test_unknown_task_is_a_config_error_listing_the_presets():
    with pytest.raises(ConfigError, match="pick-and-place"):
        parse_args(["--task=stack"])


def test_policy_flags_adjust_the_preset_policy():
    cfg, explicit = parse_args(["--policy.chunk_size=10", "--steps=7"])
    default = QuickstartConfig().policy
    assert cfg.policy.type == "visuomotor" and cfg.policy.chunk_size == 10
    assert cfg.policy.vision_channels == default.vision_channels
    assert set(cfg.policy.input_features) == set(default.input_features)
    assert cfg.steps == 7 and {"policy", "steps"} <= explicit


def test_env_flags_keep_the_other_env_defaults():
    cfg, _ = parse_args(["--env.task=push"])
    assert cfg.env.task == "push" and cfg.env.cameras == ["front", "wrist"]
    assert cfg.env.image_height == 64


def test_fast_overrides_are_small():
    assert FAST_OVERRIDES["steps"] < QuickstartConfig().steps
    assert FAST_OVERRIDES["episodes"] < QuickstartConfig().episodes


def test_runtime_on_cpu_uses_one_thread_and_one_worker(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    rt = choose_runtime(None, None, None, cuda_available=False)
    assert (rt.device, rt.threads, rt.num_workers) == ("cpu", 1, 1)
    assert "1 torch thread" in rt.describe() and "1 data-loading worker" in rt.describe()
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert choose_runtime(None, None, None, cuda_available=False).num_workers == 0


def test_runtime_takes_a_gpu_and_explicit_choices(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    rt = choose_runtime(None, None, None, cuda_available=True)
    assert rt.device == "cuda" and rt.num_workers == 4
    rt = choose_runtime("cpu", 3, 0, cuda_available=True)
    assert (rt.device, rt.threads, rt.num_workers) == ("cpu", 3, 0)


def test_config_flags_list_only_changed_fields_and_parse_back():
    from lr_policies.train.config import TrainConfig

    cfg, _ = parse_args(["--policy.hidden_dims=[64,64]", "--env.render.shadows=true"])
    flags = config_flags("policy", cfg.policy)
    assert flags[0] == "--policy.type=visuomotor"
    assert "--policy.hidden_dims=[64,64]" in flags
    assert not any(f.startswith("--policy.chunk_size=") for f in flags)  # the class default
    parsed = parse_cli(TrainConfig, [*flags, "--dataset.repo_id=a/b"])
    assert parsed.policy == cfg.policy
    env_flags = config_flags("env", cfg.env)
    assert "--env.render.shadows=true" in env_flags


@pytest.mark.parametrize(
    "argv", [[], ["--task=reach"], ["--fast", "--policy.dropout=0.1"], ["--vcodec=libsvtav1"]]
)
def test_stage_commands_parse_into_the_runs_configs(tmp_path: Path, argv: list[str]):
    from lr_policies.eval.config import EvalRunConfig
    from lr_policies.train.config import TrainConfig
    from lr_sim.record import SimRecordConfig

    cfg, _ = parse_args(argv)
    runtime = choose_runtime("cpu", 1, 1, cuda_available=False)
    commands = stage_commands(cfg, tmp_path, runtime)

    record = commands["record"]["argv"]
    assert record[:3] == ["lr", "sim", "record"]
    rec = parse_cli(
        SimRecordConfig, ["--expert=true" if a == "--expert" else a for a in record[3:]]
    )
    assert rec.env == cfg.env and rec.episodes == cfg.episodes
    assert rec.expert_noise == cfg.expert_noise and rec.dataset.vcodec == cfg.vcodec
    assert rec.dataset.root == tmp_path / "dataset"

    train = commands["train"]["argv"]
    assert train[:2] == ["lr", "train"]
    tc = parse_cli(TrainConfig, train[2:])
    assert tc.policy == cfg.policy.model_copy(update={"device": "cpu"})
    assert (tc.steps, tc.batch_size, tc.num_workers, tc.seed) == (
        cfg.steps,
        cfg.batch_size,
        1,
        cfg.seed,
    )
    assert tc.dataset.root == str(tmp_path / "dataset")
    assert commands["train"]["env"] == {"OMP_NUM_THREADS": "1"}

    ev = parse_cli(EvalRunConfig, commands["eval"]["argv"][2:])
    assert ev.env == cfg.env and ev.eval.n_episodes == cfg.eval_episodes
    assert ev.seed == 100_000

    line = shell_command(train, commands["train"]["env"])
    assert line.startswith("OMP_NUM_THREADS=1 lr train ")
    assert shlex.split(line)[1:] == train


def test_loop_rate_weights_each_logged_window_by_its_steps(tmp_path: Path):
    from lr_sim.quickstart_stages import loop_rate

    metrics = tmp_path / "metrics.jsonl"
    lines = [
        {"step": 10, "data_s": 0.01, "update_s": 0.09, "loss": 1.0},  # 10 steps x 0.1 s
        {"step": 30, "data_s": 0.0, "update_s": 0.05, "loss": 0.5},  # 20 steps x 0.05 s
        {"step": 30, "eval_pc_success": 50.0},  # an evaluation record: not a training window
    ]
    metrics.write_text("".join(json.dumps(r) + "\n" for r in lines))
    assert loop_rate(metrics) == pytest.approx(30 / 2.0)
