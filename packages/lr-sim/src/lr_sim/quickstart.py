"""``lr quickstart``: the whole stack in one command, on a laptop, without hardware.

    lr quickstart                 # the main job: pick-and-place learnt from cameras
    lr quickstart --task=reach    # the state-based reach demonstration (ACT on object poses)
    lr quickstart --fast          # every stage at toy sizes (a smoke test, about a minute)

1. **record** (``lr sim record``): the scripted expert performs the SO-101 sim task; its
   episodes are written as a LeRobotDataset v3.0 (joint state, cameras as h264 video, AV1
   for ``--task=reach``; the simulator's object poses, action, task string);
2. **train** (``lr train``): a policy learns from that dataset, with checkpoints, a
   ``metrics.jsonl`` and a loss-curve PNG;
3. **evaluate** (``lr eval``): the trained policy runs in the simulator on seeds it never saw
   (the dataset uses seeds ``0..``, evaluation ``100000..``): success rate with a 95% Wilson
   interval, mean return, rollout videos;
4. **report**: ``report.html`` (loss curve, success with its interval, videos of a success and
   a failure beside what the cameras saw, paths, the command of each stage, the time of each
   stage) and the same figures in ``report.json``.

The default (``--task=pick-and-place``) learns to pick up the red cube and put it on the green
marker **from two 64×64 cameras (front and wrist) plus the joint state only**: the simulator's
object poses are recorded in the dataset but are not among the policy's inputs. The expert's
200 demonstrations are recorded with DART noise (``--expert_noise=1.5``: the arm executes the
expert's action plus noise, the dataset keeps the expert's action), and the policy is
``visuomotor`` (a small CNN with spatial soft-argmax keypoints per camera and an MLP to chunks
of actions) trained for 5,000 steps, sized to learn within minutes on a 2-core CPU (the trials
behind these choices: ``docs/quickstart-trials.md``). ``--task=reach`` keeps the earlier
state-based demonstration: ACT reading the joint state and the object poses.

Each stage runs in a fresh process and prints a progress bar with an ETA. Training and
evaluation use one torch thread and one data-loading worker on CPU, a GPU when there is one
(:func:`lr_sim.quickstart_stages.choose_runtime`); ``--device``, ``--threads`` and
``--num_workers`` override the choice. Every run writes a new folder
``<output_root>/<date>_<time>/``; nothing earlier is touched.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from lr_core.config import LrConfig, parse_cli
from lr_core.errors import require
from lr_core.features import FeatureType, PolicyFeature
from lr_core.fileio import atomic_write_text
from lr_core.policy import PolicyConfig
from lr_sim.configs import SO101EnvConfig
from lr_sim.quickstart_stages import (
    EVAL_SEED,
    REPO_ID,
    children_cpu_s,
    choose_runtime,
    config_flags,
    cpu_description,
    cuda_available,
    in_child_process,
    load_average,
    run_eval,
    run_record,
    run_train,
    shell_command,
)

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
PRESETS = ("pick-and-place", "reach")


def vision_env() -> SO101EnvConfig:
    """The main job's env: pick-and-place seen by a front and a wrist camera at 64×64."""
    return SO101EnvConfig(
        task="pick-and-place", cameras=["front", "wrist"], image_height=64, image_width=64
    )


def vision_policy(env: SO101EnvConfig | None = None) -> PolicyConfig:
    """The main job's policy: ``visuomotor`` on the joint state and the env's cameras only."""
    from lr_policies.visuomotor.config import VisuomotorConfig

    env = env or vision_env()
    inputs = {"observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,))}
    for cam in env.cameras:
        inputs[f"observation.images.{cam}"] = PolicyFeature(
            type=FeatureType.VISUAL, shape=(3, env.image_height, env.image_width)
        )
    return VisuomotorConfig(input_features=inputs, device=None)


def reach_env() -> SO101EnvConfig:
    """The reach demonstration's env: a target drawn anew at every reset (within 2 cm),
    recorded with one 96×96 camera that the policy does not read."""
    return SO101EnvConfig(task="reach", cameras=["front"], image_height=96, image_width=96)


def reach_policy() -> PolicyConfig:
    """A compact ACT (1.08 M parameters) on the joint state and the environment state (cube
    pose and target), with temporal ensembling."""
    from lr_policies.act.config import ACTConfig

    return ACTConfig(
        input_features={
            "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,)),
            "observation.environment_state": PolicyFeature(type=FeatureType.ENV, shape=(10,)),
        },
        chunk_size=20,
        n_action_steps=1,
        temporal_ensemble_coeff=0.01,
        dim_model=128,
        n_heads=8,
        dim_feedforward=512,
        n_encoder_layers=2,
        n_decoder_layers=1,
        n_vae_encoder_layers=2,
        optimizer_lr=1e-4,
        device=None,
    )


class QuickstartConfig(LrConfig):
    """Options of ``lr quickstart``; the defaults are the main job.

    ``task`` picks a preset (``pick-and-place``: from cameras; ``reach``: from object poses)
    whose env, policy and sizes the other flags then adjust. ``--fast`` shrinks every stage to
    a smoke test of the pipeline; explicit flags still override. ``device``, ``threads`` and
    ``num_workers`` left unset are chosen for the machine.
    """

    task: Literal["pick-and-place", "reach"] = "pick-and-place"
    """Which preset: pick-and-place learnt from cameras, or the state-based reach demo."""
    output_root: Path = Path("outputs/quickstart")
    """Where run folders go (each run makes <output_root>/<date>_<time>/)."""
    fast: bool = False
    """Every stage at toy sizes: a smoke test of the installation in about a minute."""
    env: SO101EnvConfig = Field(default_factory=vision_env)
    """The simulated task and what is recorded."""
    policy: PolicyConfig = Field(default_factory=vision_policy)
    """The policy trained (default: visuomotor on the cameras and the joint state)."""
    episodes: int = Field(default=200, gt=0)
    """Expert episodes recorded."""
    expert_noise: float = Field(default=1.5, ge=0.0)
    """DART noise of the recording (lr sim record --expert_noise): the robot executes the
    expert's action plus Gaussian noise of this std (joint units), the dataset keeps the
    expert's own action, so demonstrations show how to recover from small errors."""
    vcodec: str | None = "h264"
    """Video codec of the recorded cameras (lr sim record --dataset.vcodec; null: the dataset
    writer's, libsvtav1 as in LeRobot). h264 here: two of five recordings of this job with
    libsvtav1 hung inside SVT-AV1 (docs/quickstart-trials.md); h264 cost the same CPU time and
    gave the same success."""
    steps: int = Field(default=5000, gt=0)
    """Training steps."""
    batch_size: int = Field(default=64, gt=0)
    """Training batch size."""
    device: str | None = None
    """Torch device for training and evaluation (default: cuda when present, else cpu)."""
    threads: int | None = Field(default=None, gt=0)
    """Torch threads in training and evaluation (default: 1 on CPU)."""
    num_workers: int | None = Field(default=None, ge=0)
    """Data-loader workers while training (default: 1 on CPU)."""
    eval_episodes: int = Field(default=50, gt=0)
    """Evaluation episodes, on seeds the dataset never used."""
    eval_batch_size: int = Field(default=10, gt=0)
    """Envs run in parallel while evaluating."""
    max_videos: int = Field(default=3, ge=0)
    """Evaluation episodes saved as videos."""
    seed: int = 0
    """Seed of recording and training."""
    progress: bool = True
    """Show progress bars."""

    @model_validator(mode="after")
    def _cameras_follow_the_env(self) -> QuickstartConfig:
        """A policy that reads cameras reads exactly the env's cameras at the env's image size,
        so ``--env.cameras`` / ``--env.image_height`` / ``--env.image_width`` change both."""
        inputs = self.policy.input_features
        if not any(ft.type == FeatureType.VISUAL for ft in inputs.values()):
            return self
        shape = (3, self.env.image_height, self.env.image_width)
        wanted = {k: ft for k, ft in inputs.items() if ft.type != FeatureType.VISUAL}
        for cam in self.env.cameras:
            wanted[f"observation.images.{cam}"] = PolicyFeature(
                type=FeatureType.VISUAL, shape=shape
            )
        if wanted != inputs:
            self.policy = self.policy.model_copy(update={"input_features": wanted})
        return self


def preset(task: str) -> QuickstartConfig:
    """The built-in run of ``task`` (one of :data:`PRESETS`)."""
    if task == "reach":
        return QuickstartConfig(
            task="reach",
            env=reach_env(),
            policy=reach_policy(),
            episodes=100,
            expert_noise=0.0,
            vcodec=None,
            steps=6000,
            batch_size=32,
        )
    return QuickstartConfig()


FAST_OVERRIDES: dict[str, Any] = {
    "episodes": 3,
    "steps": 20,
    "batch_size": 8,
    "eval_episodes": 2,
    "eval_batch_size": 2,
}


def stage_commands(config: QuickstartConfig, run_dir: Path, runtime: Any) -> dict[str, Any]:
    """The argument lists of ``lr sim record``, ``lr train`` and ``lr eval`` for this run."""
    dataset = run_dir / "dataset"
    record = [
        *config_flags("env", config.env),
        f"--dataset.repo_id={REPO_ID}",
        f"--dataset.root={dataset}",
        *([f"--dataset.vcodec={config.vcodec}"] if config.vcodec else []),
        f"--episodes={config.episodes}",
        "--expert",
        f"--expert_noise={config.expert_noise}",
        f"--seed={config.seed}",
    ]
    train = [
        *config_flags("policy", config.policy),
        f"--policy.device={runtime.device}",
        f"--dataset.repo_id={REPO_ID}",
        f"--dataset.root={dataset}",
        "--dataset.use_imagenet_stats=false",
        f"--output_dir={run_dir / 'train'}",
        f"--seed={config.seed}",
        f"--steps={config.steps}",
        f"--batch_size={config.batch_size}",
        f"--num_workers={runtime.num_workers}",
        f"--log_freq={max(1, min(100, config.steps // 10))}",
        "--save_freq=0",
    ]
    checkpoint = run_dir / "train" / "checkpoints" / "last" / "pretrained_model"
    evaluate = [
        f"--policy.path={checkpoint}",
        f"--policy.device={runtime.device}",
        *config_flags("env", config.env),
        f"--eval.n_episodes={config.eval_episodes}",
        f"--eval.batch_size={min(config.eval_batch_size, config.eval_episodes)}",
        f"--eval.max_videos={min(config.max_videos, config.eval_episodes)}",
        f"--output_dir={run_dir / 'eval'}",
        f"--seed={EVAL_SEED}",
    ]
    threads = {"OMP_NUM_THREADS": str(runtime.threads)}
    return {
        "record": {"argv": ["lr", "sim", "record", *record], "env": {}},
        "train": {"argv": ["lr", "train", *train], "env": threads},
        "eval": {"argv": ["lr", "eval", *evaluate], "env": threads},
    }


def run(config: QuickstartConfig, *, explicit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Run every stage; return the report (also written as ``report.json``/``report.html``).

    ``explicit`` names the options the user set, which ``--fast`` does not override.
    """
    require("lr_dataset", "quickstart", "lr-sim")
    require("lr_policies", "quickstart", "lr-sim")
    from lr_sim.quickstart_report import render_html
    from lr_sim.quickstart_showcase import record_showcase

    if config.fast:
        config = config.model_copy(
            update={k: v for k, v in FAST_OVERRIDES.items() if k not in explicit}
        )
    stamp = dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    run_dir = config.output_root / stamp
    run_dir.mkdir(parents=True, exist_ok=False)
    config.save(run_dir / "quickstart_config.json")
    started = time.perf_counter()
    load_at_start = load_average()
    cuda = config.device is None and in_child_process(cuda_available)
    runtime = choose_runtime(config.device, config.threads, config.num_workers, cuda)
    commands = stage_commands(config, run_dir, runtime)
    progress = [] if config.progress else ["--progress=false"]
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    inputs = ", ".join(sorted(config.policy.input_features))

    say(f"lr quickstart ({config.task}): writing everything to {run_dir}")
    say(f"[1/4] recording {config.episodes} expert episodes of so101 {config.env.task}")
    t0, c0 = time.perf_counter(), children_cpu_s()
    recorded = in_child_process(run_record, commands["record"]["argv"][3:] + progress)
    timings["record_s"] = time.perf_counter() - t0
    cpu["record_s"] = children_cpu_s() - c0
    say(
        f"      {recorded['episodes']} episodes, {recorded['frames']} frames in "
        f"{timings['record_s']:.0f} s -> {recorded['root']}"
    )

    say(
        f"[2/4] training {config.policy.type} for {config.steps} steps, batch "
        f"{config.batch_size}, on {runtime.describe()}; inputs: {inputs}"
    )
    t0, c0 = time.perf_counter(), children_cpu_s()
    train_bar = [] if config.progress else ["--progress_bar=false"]
    trained = in_child_process(
        run_train, commands["train"]["argv"][2:] + train_bar, runtime.threads
    )
    timings["train_s"] = time.perf_counter() - t0
    cpu["train_s"] = children_cpu_s() - c0
    cpu["train_main_process_s"] = trained["main_cpu_s"]
    say(
        f"      {trained['steps_per_s']:.1f} steps/s, done in {timings['train_s']:.0f} s "
        f"-> {trained['checkpoint']}"
    )

    say(f"[3/4] evaluating on {config.eval_episodes} unseen seeds ({EVAL_SEED}..)")
    t0, c0 = time.perf_counter(), children_cpu_s()
    evaluation = in_child_process(run_eval, commands["eval"]["argv"][2:], runtime.threads)
    timings["eval_s"] = time.perf_counter() - t0
    cpu["eval_s"] = children_cpu_s() - c0
    agg = evaluation["aggregated"]
    low, high = agg["pc_success_ci95"]
    say(
        f"      success {agg['pc_success']:.0f}% (95% CI {low:.0f}-{high:.0f}%) over "
        f"{agg['n_episodes']} episodes in {timings['eval_s']:.0f} s"
    )

    say("[4/4] report: videos of a success and a failure with every camera")
    t0, c0 = time.perf_counter(), children_cpu_s()
    showcase = in_child_process(
        record_showcase,
        trained["checkpoint"],
        config.env,
        evaluation["per_episode"],
        min(config.eval_batch_size, config.eval_episodes),
        runtime.device,
        run_dir / "videos",
    )
    timings["report_s"] = time.perf_counter() - t0
    cpu["report_s"] = children_cpu_s() - c0
    timings["total_s"] = time.perf_counter() - started
    report = {
        "task": config.task,
        "env_task": config.env.task,
        "policy": config.policy.type,
        "policy_inputs": sorted(config.policy.input_features),
        "fast": config.fast,
        "runtime": runtime.__dict__,
        "cpu": cpu_description(),
        "load_average": {"start": load_at_start, "end": load_average()},
        "steps": config.steps,
        "batch_size": config.batch_size,
        "steps_per_s": trained["steps_per_s"],
        "dataset": recorded,
        "checkpoint": trained["checkpoint"],
        "train_dir": trained["train_dir"],
        "eval_dir": str(run_dir / "eval"),
        "evaluation": agg,
        "showcase": showcase,
        "commands": {k: shell_command(v["argv"], v["env"]) for k, v in commands.items()},
        "timings_s": timings,
        "cpu_s": cpu,
    }
    atomic_write_text(run_dir / REPORT_JSON, json.dumps(report, indent=2) + "\n")
    atomic_write_text(run_dir / REPORT_HTML, render_html(report, run_dir))
    say(f"      {run_dir / REPORT_HTML} ({timings['total_s'] / 60:.1f} min in all)")
    return report


def say(message: str) -> None:
    """Print a progress line to stderr (stdout stays free for the final summary)."""
    print(message, file=sys.stderr, flush=True)


def _task_flag(args: list[str]) -> str:
    for i, arg in enumerate(args):
        if arg.startswith("--task="):
            return arg.split("=", 1)[1]
        if arg == "--task" and i + 1 < len(args):
            return args[i + 1]
    return "pick-and-place"


def parse_args(argv: list[str]) -> tuple[QuickstartConfig, frozenset[str]]:
    """The config of ``lr quickstart <argv>`` and the options given explicitly.

    ``--task`` picks the preset that the other flags adjust (``--policy.chunk_size=…`` changes
    one field of the preset's policy).
    """
    args = ["--fast=true" if a == "--fast" else a for a in argv]
    explicit = frozenset(
        a[2:].split("=")[0].split(".")[0] for a in args if a.startswith("--") and a != "--fast"
    )
    task = _task_flag(args)
    defaults = preset(task if task in PRESETS else "pick-and-place").to_dict()
    return parse_cli(QuickstartConfig, args, prog="lr quickstart", defaults=defaults), explicit


def main(argv: list[str]) -> int:
    """``lr quickstart`` entry point."""
    config, explicit = parse_args(argv)
    report = run(config, explicit=explicit)
    agg = report["evaluation"]
    print(
        f"success {agg['pc_success']:.0f}% over {agg['n_episodes']} episodes; "
        f"report: {Path(report['eval_dir']).parent / REPORT_HTML}"
    )
    return 0
