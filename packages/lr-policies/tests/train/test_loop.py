"""The training loop: checkpoints in LeRobot's layout, metrics, plots, and exact resume."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lr_core.config import parse_cli
from lr_core.errors import ConfigError
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.processors import load_pre_post_processors
from lr_policies.train import TrainConfig, read_metrics, train


def config(tmp_path: Path, *extra: str, out: str = "run") -> TrainConfig:
    return parse_cli(
        TrainConfig,
        [
            "--policy.type=tiny",
            "--dataset.repo_id=local/synthetic",
            f"--output_dir={tmp_path / out}",
            "--batch_size=4",
            "--num_workers=0",
            "--log_freq=2",
            "--progress_bar=false",
            *extra,
        ],
    )


@pytest.fixture
def dataset(tiny_policy_registered):
    import lr_test_policy

    return lr_test_policy.SyntheticDataset()


def test_training_writes_lerobot_checkpoints_metrics_and_plot(dataset, tmp_path):
    cfg = config(tmp_path, "--steps=6", "--save_freq=3")
    last = train(cfg, dataset=dataset)
    run = tmp_path / "run"
    assert last == run / "checkpoints" / "000006"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["000003", "000006", "last"]
    assert os.readlink(run / "checkpoints" / "last") == "000006"
    model = sorted(p.name for p in (last / "pretrained_model").iterdir())
    assert model == [
        "config.json",
        "model.safetensors",
        "policy_postprocessor.json",
        "policy_postprocessor_step_0_unnormalizer_processor.safetensors",
        "policy_preprocessor.json",
        "policy_preprocessor_step_3_normalizer_processor.safetensors",
        "train_config.json",
    ]
    assert sorted(p.name for p in (last / "training_state").iterdir()) == [
        "optimizer_param_groups.json",
        "optimizer_state.safetensors",
        "rng_state.safetensors",
        "training_step.json",
    ]
    assert json.loads((last / "training_state" / "training_step.json").read_text()) == {
        "step": 6,
        "num_processes": 1,
        "batch_size": 4,
    }
    saved = json.loads((last / "pretrained_model" / "train_config.json").read_text())
    assert saved["policy"]["type"] == "tiny" and saved["steps"] == 6
    assert saved["policy"]["output_features"] == {"action": {"type": "ACTION", "shape": [2]}}
    assert (run / "train_config.json").is_file()

    records = read_metrics(run)
    assert [r["step"] for r in records] == [2, 4, 6]
    assert {"loss", "lr", "grad_norm", "data_s", "update_s", "samples", "l1_loss"} <= set(
        records[0]
    )
    assert records[-1]["samples"] == 24
    png = (run / "loss_curve.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000

    # The checkpoint is a usable policy with its processors (the step folder works too).
    assert PreTrainedPolicy.from_pretrained(run / "checkpoints/last").config.type == "tiny"
    policy = PreTrainedPolicy.from_pretrained(last / "pretrained_model")
    pre, post = load_pre_post_processors(last / "pretrained_model")
    item = dataset[0]
    obs = pre({k: v for k, v in item.items() if k.startswith("observation")})
    action = post(policy.select_action(obs))
    assert action.shape == (1, 2) and torch.isfinite(action).all()


def test_training_reduces_the_loss(dataset, tmp_path):
    cfg = config(
        tmp_path,
        "--steps=60",
        "--log_freq=10",
        "--save_freq=0",
        "--policy.dropout=0.0",
        "--optimizer.lr=0.01",
        "--optimizer.type=adam",
    )
    train(cfg, dataset=dataset)
    losses = [r["loss"] for r in read_metrics(tmp_path / "run")]
    assert losses[-1] < 0.6 * losses[0]


def tensors(ckpt: Path) -> dict[str, torch.Tensor]:
    out = {
        f"model/{k}": v for k, v in load_file(ckpt / "pretrained_model/model.safetensors").items()
    }
    opt = load_file(ckpt / "training_state/optimizer_state.safetensors")
    out.update({f"optim/{k}": v for k, v in opt.items()})
    return out


@pytest.mark.parametrize("workers", [0, 2])
def test_train_n_then_resume_n_equals_train_2n_bitwise(dataset, tmp_path, workers):
    # A cosine schedule with warm-up, dropout and shuffling: every piece of state matters.
    extra = [
        f"--num_workers={workers}",
        "--steps=8",
        "--save_freq=4",
        "--scheduler.type=cosine",
        "--scheduler.num_warmup_steps=2",
    ]
    straight = train(config(tmp_path, *extra, out="straight"), dataset=dataset)

    first = train(config(tmp_path, *extra, out="split"), dataset=dataset, stop_after_steps=4)
    assert first.name == "000004"
    resumed_cfg = config(tmp_path, *extra, "--resume=true", out="split")
    resumed = train(resumed_cfg, dataset=dataset)
    assert resumed.name == "000008"

    saved = json.loads((resumed / "pretrained_model/train_config.json").read_text())
    assert saved["num_workers"] == workers
    a, b = tensors(straight), tensors(resumed)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    sched = json.loads((resumed / "training_state/scheduler_state.json").read_text())
    assert sched["last_epoch"] == 8
    # The resumed run's metrics continue the first run's file.
    assert [r["step"] for r in read_metrics(tmp_path / "split")] == [2, 4, 6, 8]
    losses_a = [r["loss"] for r in read_metrics(tmp_path / "straight")]
    losses_b = [r["loss"] for r in read_metrics(tmp_path / "split")]
    assert losses_a == losses_b


def test_resume_from_a_checkpoint_config_path(dataset, tmp_path):
    cfg = config(tmp_path, "--steps=4", "--save_freq=2")
    train(cfg, dataset=dataset, stop_after_steps=2)
    saved = tmp_path / "run/checkpoints/000002/pretrained_model/train_config.json"
    from lr_policies.train import find_checkpoint

    resumed = parse_cli(TrainConfig, ["--config_path", str(saved), "--resume=true"])
    assert find_checkpoint(resumed, saved) == tmp_path / "run/checkpoints/000002"
    assert train(resumed, dataset=dataset).name == "000004"


def test_refusals_name_the_way_out(dataset, tmp_path):
    train(config(tmp_path, "--steps=2"), dataset=dataset)
    run = tmp_path / "run"
    with pytest.raises(ConfigError, match=f"--output_dir={run} --resume=true"):
        train(config(tmp_path, "--steps=2"), dataset=dataset)
    with pytest.raises(ConfigError, match="resume with --batch_size=4"):
        train(config(tmp_path, "--steps=4", "--batch_size=2", "--resume=true"), dataset=dataset)
    with pytest.raises(ConfigError, match="pass --steps=2 or more"):
        train(config(tmp_path, "--steps=1", "--resume=true"), dataset=dataset)
    with pytest.raises(ConfigError, match="drop --resume=true to start a new run there"):
        train(config(tmp_path, "--steps=4", "--resume=true", out="nothing"), dataset=dataset)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not an lr train run .*notes.txt.*another --output_dir"):
        train(config(tmp_path, "--steps=1", out="other"), dataset=dataset)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def test_resuming_a_finished_run_says_so(dataset, tmp_path, capsys):
    last = train(config(tmp_path, "--steps=2"), dataset=dataset)
    before = (last / "pretrained_model/model.safetensors").read_bytes()
    capsys.readouterr()
    again = train(config(tmp_path, "--steps=2", "--resume=true"), dataset=dataset)
    assert again == last
    assert "already finished" in capsys.readouterr().err
    assert (last / "pretrained_model/model.safetensors").read_bytes() == before
    assert train(config(tmp_path, "--steps=4", "--resume=true"), dataset=dataset).name == "000004"


@pytest.mark.parametrize("resume", [False, True])
def test_a_run_stopped_before_its_first_checkpoint_starts_again(dataset, tmp_path, resume, capsys):
    run = tmp_path / "run"
    run.mkdir()
    # What an interrupted run leaves: its config, some metrics, a half-written checkpoint.
    (run / "train_config.json").write_text("{}")
    (run / "metrics.jsonl").write_text('{"step": 2, "loss": 1.0}\n')
    (run / "checkpoints" / ".000004.tmp").mkdir(parents=True)
    extra = ["--resume=true"] if resume else []
    last = train(config(tmp_path, "--steps=2", *extra), dataset=dataset)
    assert last == run / "checkpoints" / "000002"
    assert "starting" in capsys.readouterr().err
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["000002", "last"]
    assert [r["step"] for r in read_metrics(run)] == [2]


def test_use_amp_needs_cuda(dataset, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    cfg = config(tmp_path, "--steps=1")
    cfg = cfg.model_copy(update={"policy": cfg.policy.model_copy(update={"use_amp": True})})
    with pytest.raises(ConfigError, match="use_amp=true needs a CUDA device"):
        train(cfg, dataset=dataset)


def test_training_without_checkpoints(dataset, tmp_path):
    out = train(config(tmp_path, "--steps=2", "--save_checkpoint=false"), dataset=dataset)
    assert out == tmp_path / "run" and not (out / "checkpoints").exists()
    assert [r["step"] for r in read_metrics(out)] == [2]


class Stream(torch.utils.data.IterableDataset):
    """A streaming view of a map-style dataset that positions itself like the sampler does."""

    def __init__(self, frames, *, resumable: bool = True):
        self.frames, self.meta = frames, frames.meta
        self.position = None
        if not resumable:
            self.set_position = None

    def set_position(self, *, seed, rank, world_size, start):
        self.position = {"seed": seed, "rank": rank, "world_size": world_size, "start": start}

    def __iter__(self):
        from lr_policies.train.sampler import ResumableSampler

        p = self.position or {"seed": 0, "rank": 0, "world_size": 1, "start": 0}
        for i in ResumableSampler(len(self.frames), **p):
            yield self.frames[i]


def test_streams_plug_into_the_loop_and_resume_exactly(dataset, tmp_path):
    extra = ["--steps=6", "--save_freq=3"]
    straight = train(config(tmp_path, *extra, out="a"), dataset=Stream(dataset))
    stream = Stream(dataset)
    train(config(tmp_path, *extra, out="b"), dataset=stream, stop_after_steps=3)
    resumed = train(config(tmp_path, *extra, "--resume=true", out="b"), dataset=stream)
    assert stream.position == {"seed": 1000, "rank": 0, "world_size": 1, "start": 12}
    a, b = tensors(straight), tensors(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert "epochs" not in read_metrics(tmp_path / "a")[0]

    plain = Stream(dataset, resumable=False)
    train(config(tmp_path, *extra, out="c"), dataset=plain, stop_after_steps=3)
    with pytest.raises(ConfigError, match="cannot be sharded across processes or resumed"):
        train(config(tmp_path, *extra, "--resume=true", out="c"), dataset=plain)


def test_rename_map_renames_dataset_keys_for_the_policy(dataset, tmp_path):
    cfg = config(
        tmp_path, "--steps=2", '--rename_map={"observation.images.front": "observation.images.top"}'
    )
    last = train(cfg, dataset=dataset)
    policy = PreTrainedPolicy.from_pretrained(last / "pretrained_model")
    assert set(policy.config.input_features) == {"observation.state", "observation.images.top"}
    pre, _ = load_pre_post_processors(last / "pretrained_model")
    out = pre({k: v for k, v in dataset[0].items() if k.startswith("observation")})
    assert "observation.images.top" in out and "observation.images.front" not in out
    normaliser = pre.step("normalizer_processor")
    assert "observation.images.top" in normaliser.stats


def test_wandb_without_the_package_warns_and_trains(dataset, tmp_path):
    try:
        import wandb  # noqa: F401

        pytest.skip("wandb is installed here")
    except ImportError:
        pass
    with pytest.warns(UserWarning, match="wandb package is not installed"):
        train(config(tmp_path, "--steps=1", "--wandb.enable=true"), dataset=dataset)
    assert (tmp_path / "run" / "metrics.jsonl").is_file()


def test_periodic_evaluation_in_an_env_keeps_resume_exact(tiny_policy_registered, tmp_path):
    import lr_test_policy

    data = lr_test_policy.SyntheticDataset(state_dim=2, image_hw=(16, 16))
    extra = [
        "--steps=4",
        "--save_freq=2",
        "--env.type=reach_test",
        "--env.episode_length=5",
        "--eval_freq=2",
        "--eval.n_episodes=2",
        "--eval.batch_size=2",
        "--eval.max_videos=1",
    ]
    extra.append("--policy.inference_noise=0.1")  # evaluating draws random numbers
    straight = train(config(tmp_path, *extra, out="a"), dataset=data)
    train(config(tmp_path, *extra, out="b"), dataset=data, stop_after_steps=2)
    resumed = train(config(tmp_path, *extra, "--resume=true", out="b"), dataset=data)
    a, b = tensors(straight), tensors(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)

    for run in ("a", "b"):
        evals = [r for r in read_metrics(tmp_path / run) if "eval_pc_success" in r]
        assert [r["step"] for r in evals] == [2, 4]
        assert all(r["eval_n_episodes"] == 2 for r in evals)
        report = json.loads((tmp_path / run / "eval/000004/eval_info.json").read_text())
        assert [e["seed"] for e in report["per_episode"]] == [1000, 1001]
        assert (tmp_path / run / "eval/000004/videos/eval_episode_0.mp4").is_file()
    # Evaluating leaves the training run untouched: same weights as a run without evaluation.
    without = [x for x in extra if not x.startswith(("--env", "--eval"))]
    plain = train(config(tmp_path, *without, out="c"), dataset=data)
    c = tensors(plain)
    assert all(torch.equal(a[k], c[k]) for k in a)


def test_a_video_dataset_is_loaded_with_uint8_frame_transport(tiny_policy_registered, tmp_path):
    import numpy as np

    from lr_dataset.torch_dataset import LeRobotDataset
    from lr_dataset.torch_loader import DataLoader
    from lr_policies.train.data import make_data_loader
    from lr_policies.train.distributed import DistContext

    camera = "observation.images.top"
    features = {
        "observation.state": {"dtype": "float32", "shape": (2,), "names": ["a", "b"]},
        "action": {"dtype": "float32", "shape": (2,), "names": ["a", "b"]},
        camera: {"dtype": "video", "shape": (16, 24, 3), "names": ["height", "width", "channels"]},
    }
    ds = LeRobotDataset.create("t/video", 10, features, root=tmp_path / "ds")
    for i in range(8):
        ds.add_frame(
            {
                "observation.state": np.full(2, i, np.float32),
                "action": np.full(2, -i, np.float32),
                camera: np.full((16, 24, 3), 30 * i, np.uint8),
                "task": "t",
            }
        )
    ds.save_episode()
    ds.finalize()
    ds = LeRobotDataset("t/video", root=tmp_path / "ds")
    cfg = config(tmp_path, "--num_workers=2")
    loader, frames = make_data_loader(cfg, ds, cfg.policy, torch.device("cpu"), DistContext(), 0)
    assert isinstance(loader, DataLoader) and loader.ships_uint8_frames
    assert frames == 8
    it = iter(loader)  # the training sampler runs forever: take three epochs' worth
    batches = [next(it) for _ in range(6)]
    for batch in batches:
        for k, index in enumerate(batch["index"].tolist()):
            assert torch.equal(batch[camera][k], ds[index][camera])


def test_on_a_gpu_frames_cross_as_uint8_and_are_converted_on_the_device(
    tiny_policy_registered, tmp_path, monkeypatch
):
    """The CUDA branch of make_data_loader, run on the CPU: the device conversion is called
    with the uint8 frames (pinning and the GPU copy are what this machine cannot run)."""
    import numpy as np

    from lr_dataset.torch_dataset import LeRobotDataset
    from lr_policies.train import data
    from lr_policies.train.distributed import DistContext

    camera = "observation.images.top"
    features = {
        "observation.state": {"dtype": "float32", "shape": (2,), "names": ["a", "b"]},
        "action": {"dtype": "float32", "shape": (2,), "names": ["a", "b"]},
        camera: {"dtype": "video", "shape": (16, 24, 3), "names": ["height", "width", "channels"]},
    }
    ds = LeRobotDataset.create("t/gpu", 10, features, root=tmp_path / "ds")
    for i in range(8):
        ds.add_frame(
            {
                "observation.state": np.full(2, i, np.float32),
                "action": np.full(2, -i, np.float32),
                camera: np.full((16, 24, 3), 30 * i, np.uint8),
                "task": "t",
            }
        )
    ds.save_episode()
    ds.finalize()
    ds = LeRobotDataset("t/gpu", root=tmp_path / "ds")
    seen: list[tuple[torch.dtype, str]] = []
    convert = data.frames_to_device

    def on_cpu_instead(frames: torch.Tensor, device: torch.device) -> torch.Tensor:
        seen.append((frames.dtype, device.type))
        return convert(frames, torch.device("cpu"))

    monkeypatch.setattr(data, "frames_to_device", on_cpu_instead)
    cfg = config(tmp_path, "--num_workers=2")
    loader, _ = data.make_data_loader(cfg, ds, cfg.policy, torch.device("cuda"), DistContext(), 0)
    assert loader.ships_uint8_frames and not loader.pin_memory
    it = iter(loader)
    for _ in range(4):
        batch = next(it)
        for k, index in enumerate(batch["index"].tolist()):
            assert torch.equal(batch[camera][k], ds[index][camera])  # bit-identical
    assert seen and set(seen) == {(torch.uint8, "cuda")}


def test_frames_to_device_matches_the_datasets_conversion():
    from lr_dataset.torch_loader import frames_to_float
    from lr_policies.train.data import frames_to_device

    frames = torch.randint(0, 256, (4, 2, 3, 8, 8), dtype=torch.uint8)
    converted = frames_to_device(frames, torch.device("cpu"))
    assert converted.dtype == torch.float32
    assert torch.equal(converted, frames_to_float(frames))
    assert converted.data_ptr() != frames.data_ptr()
