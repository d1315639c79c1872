"""``lr quickstart``: the whole stack in one command, on a laptop, without hardware.

    lr quickstart            # the default: demos -> dataset -> ACT -> evaluation -> report
    lr quickstart --fast     # every stage, tiny sizes (a smoke test, about a minute)

1. **record**: the scripted IK expert performs the SO-101 sim task (``reach`` by default); its
   episodes are written as a LeRobotDataset v3.0 (state, environment state, action, the task
   string and an MP4 camera);
2. **train**: an ACT policy learns from it (``lr_policies.train``), with checkpoints, a
   ``metrics.jsonl`` and a loss-curve PNG;
3. **evaluate**: the trained policy runs in the simulator on seeds it never saw (the dataset
   uses seeds ``0..``, evaluation ``100000..``): success rate with a 95% Wilson interval, mean
   return, rollout videos (``lr_policies.eval``);
4. **report**: ``report.html`` (loss curve, success rate, a rollout video, the paths of the
   dataset and checkpoint, the time of each stage) and the same figures in ``report.json``.

Every run writes a new folder ``<output_root>/<date>_<time>/`` (nothing earlier is touched).
The default policy reads the arm's joint state and the environment state (cube pose and
target: ``observation.state`` + ``observation.environment_state``); the camera is recorded into
the dataset and the rollout videos but the default policy does not look at it, which keeps
training within the time budget of a 2-core CPU. ``--policy.input_features`` chooses other inputs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field

from lr_core.config import LrConfig, parse_cli
from lr_core.errors import require
from lr_core.features import FeatureType, PolicyFeature
from lr_core.fileio import atomic_write_text
from lr_core.policy import PolicyConfig
from lr_sim.configs import SO101EnvConfig

#: Seeds of evaluation episodes start here, far from the recorded episodes' seeds (0, 1, ...).
EVAL_SEED = 100_000
REPORT_HTML = "report.html"
REPORT_JSON = "report.json"

T = TypeVar("T")


def default_env() -> SO101EnvConfig:
    """The quickstart's task: bring the gripper to a target drawn anew at every reset (within
    2 cm), recorded with one 96×96 camera."""
    return SO101EnvConfig(task="reach", cameras=["front"], image_height=96, image_width=96)


def default_policy() -> PolicyConfig:
    """A compact ACT (LeRobot's architecture, narrower: 1.08 M parameters) on joint state and
    the environment state (cube pose and target), run closed-loop with temporal ensembling
    (a new chunk every step, as in the ACT paper)."""
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
        device="cpu",
    )


class QuickstartConfig(LrConfig):
    """Options of ``lr quickstart``; the defaults are the main job.

    ``--fast`` shrinks every stage (episodes, steps, evaluation) to a smoke test of the whole
    pipeline; explicit flags still override.
    """

    output_root: Path = Path("outputs/quickstart")
    """Where run folders go (each run makes <output_root>/<date>_<time>/)."""
    fast: bool = False
    """Every stage at toy sizes: a smoke test of the installation in about a minute."""
    env: SO101EnvConfig = Field(default_factory=default_env)
    """The simulated task and what is recorded."""
    policy: PolicyConfig = Field(default_factory=default_policy)
    """The policy trained (a compact ACT on joint and environment state)."""
    episodes: int = Field(default=100, gt=0)
    """Expert episodes recorded."""
    steps: int = Field(default=6000, gt=0)
    """Training steps."""
    batch_size: int = Field(default=32, gt=0)
    """Training batch size."""
    num_workers: int = Field(default=0, ge=0)
    """Data-loader workers while training."""
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


FAST_OVERRIDES: dict[str, Any] = {
    "episodes": 3,
    "steps": 20,
    "batch_size": 8,
    "eval_episodes": 2,
    "eval_batch_size": 2,
    "max_videos": 1,
}


def run(config: QuickstartConfig, *, explicit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Run every stage; return the report (also written as ``report.json``/``report.html``).

    ``explicit`` names the options the user set, which ``--fast`` does not override.
    """
    require("lr_dataset", "quickstart", "lr-sim")
    require("lr_policies", "quickstart", "lr-sim")
    if config.fast:
        config = config.model_copy(
            update={k: v for k, v in FAST_OVERRIDES.items() if k not in explicit}
        )
    stamp = dt.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    run_dir = config.output_root / stamp
    run_dir.mkdir(parents=True, exist_ok=False)
    config.save(run_dir / "quickstart_config.json")
    timings: dict[str, float] = {}
    started = time.perf_counter()

    say(f"lr quickstart: writing everything to {run_dir}")
    say(f"[1/4] recording {config.episodes} expert episodes of so101 {config.env.task}")
    t0 = time.perf_counter()
    recorded = in_child_process(_record, config, run_dir / "dataset")
    timings["record_s"] = time.perf_counter() - t0
    say(
        f"      {recorded['episodes']} episodes, {recorded['frames']} frames in "
        f"{timings['record_s']:.0f} s -> {recorded['root']}"
    )

    say(f"[2/4] training {config.policy.type} for {config.steps} steps")
    t0 = time.perf_counter()
    checkpoint = in_child_process(_train, config, run_dir)
    timings["train_s"] = time.perf_counter() - t0
    say(f"      done in {timings['train_s']:.0f} s -> {checkpoint}")

    say(f"[3/4] evaluating on {config.eval_episodes} unseen seeds")
    t0 = time.perf_counter()
    evaluation = in_child_process(_evaluate, config, checkpoint, run_dir / "eval")
    timings["eval_s"] = time.perf_counter() - t0
    agg = evaluation["aggregated"]
    low, high = agg["pc_success_ci95"]
    say(
        f"      success {agg['pc_success']:.0f}% (95% CI {low:.0f}-{high:.0f}%) over "
        f"{agg['n_episodes']} episodes in {timings['eval_s']:.0f} s"
    )

    timings["total_s"] = time.perf_counter() - started
    report = {
        "task": config.env.task,
        "policy": config.policy.type,
        "fast": config.fast,
        "dataset": recorded,
        "checkpoint": str(checkpoint),
        "train_dir": str(run_dir / "train"),
        "eval_dir": str(run_dir / "eval"),
        "evaluation": agg,
        "videos": [
            str(run_dir / "eval" / e["video"]) for e in evaluation["per_episode"] if e["video"]
        ],
        "timings_s": timings,
    }
    atomic_write_text(run_dir / REPORT_JSON, json.dumps(report, indent=2) + "\n")
    atomic_write_text(run_dir / REPORT_HTML, render_html(report, run_dir))
    say(f"[4/4] report: {run_dir / REPORT_HTML} ({timings['total_s'] / 60:.1f} min in all)")
    return report


def say(message: str) -> None:
    """Print a progress line to stderr (stdout stays free for the final summary)."""
    print(message, file=sys.stderr, flush=True)


def in_child_process(stage: Callable[..., T], *args: Any) -> T:
    """Run one stage in a fresh interpreter and return its result.

    Stages are isolated because MuJoCo's EGL renderer (Mesa's llvmpipe, which loads LLVM) and
    the CUDA build of torch (whose optimizers import triton, which bundles another LLVM) crash
    with a segmentation fault when triton is loaded after the renderer in one process. A fresh
    process per stage also returns the memory of each stage to the system.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(stage, *args).result()


def _record(config: QuickstartConfig, root: Path) -> dict[str, Any]:
    from lr_sim.record import DatasetTarget, SimRecordConfig, record

    return record(
        SimRecordConfig(
            env=config.env,
            dataset=DatasetTarget(repo_id="local/quickstart", root=root),
            episodes=config.episodes,
            expert=True,
            seed=config.seed,
            progress=config.progress,
        )
    )


def _train(config: QuickstartConfig, run_dir: Path) -> Path:
    from lr_policies.train import DatasetConfig, TrainConfig, train

    last = train(
        TrainConfig(
            policy=config.policy,
            dataset=DatasetConfig(repo_id="local/quickstart", root=str(run_dir / "dataset")),
            output_dir=str(run_dir / "train"),
            seed=config.seed,
            steps=config.steps,
            batch_size=config.batch_size,
            num_workers=config.num_workers,
            log_freq=max(1, min(100, config.steps // 10)),
            save_freq=0,
            progress_bar=config.progress,
        )
    )
    return Path(last) / "pretrained_model"


def _evaluate(config: QuickstartConfig, checkpoint: Path, output_dir: Path) -> dict[str, Any]:
    from lr_policies.eval.config import EvalConfig, EvalRunConfig, PolicyRef
    from lr_policies.eval.rollout import evaluate

    return evaluate(
        EvalRunConfig(
            policy=PolicyRef(path=str(checkpoint), device="cpu"),
            env=config.env,
            eval=EvalConfig(
                n_episodes=config.eval_episodes,
                batch_size=config.eval_batch_size,
                max_videos=config.max_videos,
            ),
            output_dir=str(output_dir),
            seed=EVAL_SEED,
        )
    )


def _data_uri(path: Path, mime: str) -> str | None:
    if not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def render_html(report: dict[str, Any], run_dir: Path) -> str:
    """A self-contained HTML page (images and video embedded) summarising ``report``."""
    agg = report["evaluation"]
    low, high = agg["pc_success_ci95"]
    esc = html.escape
    curve = _data_uri(Path(report["train_dir"]) / "loss_curve.png", "image/png")
    video = _data_uri(Path(report["videos"][0]), "video/mp4") if report["videos"] else None
    timings = report["timings_s"]
    rows = "".join(
        f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>"
        for label, value in [
            ("task", f"so101 {report['task']}"),
            ("policy", report["policy"]),
            ("success rate", f"{agg['pc_success']:.1f}% ({agg['n_success']}/{agg['n_episodes']})"),
            ("95% interval (Wilson)", f"{low:.1f}% – {high:.1f}%"),
            ("mean return", f"{agg['avg_sum_reward']:.2f}"),
            ("dataset", report["dataset"]["root"]),
            (
                "dataset size",
                f"{report['dataset']['episodes']} episodes, {report['dataset']['frames']} frames",
            ),
            ("checkpoint", report["checkpoint"]),
            ("evaluation folder", report["eval_dir"]),
            (
                "time",
                f"record {timings['record_s']:.0f} s, train {timings['train_s']:.0f} s, "
                f"eval {timings['eval_s']:.0f} s, total {timings['total_s'] / 60:.1f} min",
            ),
        ]
    )
    curve_html = (
        f'<img alt="training loss" src="{curve}">' if curve else "<p>(no loss curve written)</p>"
    )
    video_html = (
        f'<video controls loop autoplay muted src="{video}"></video>'
        if video
        else "<p>(no rollout video written)</p>"
    )
    title = "lr quickstart" + (" (--fast smoke run)" if report["fast"] else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 920px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 4px 12px; }}
th {{ color: #555; font-weight: 600; }} img, video {{ max-width: 100%; border: 1px solid #ddd; }}
video {{ width: 384px; image-rendering: pixelated; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>Run folder: <code>{esc(str(run_dir))}</code></p>
<table>{rows}</table>
<h2>Training loss</h2>{curve_html}
<h2>A rollout of the trained policy</h2>{video_html}
</body></html>
"""


def main(argv: list[str]) -> int:
    """``lr quickstart`` entry point."""
    args = ["--fast=true" if a == "--fast" else a for a in argv]
    explicit = frozenset(
        a[2:].split("=")[0].split(".")[0] for a in args if a.startswith("--") and a != "--fast"
    )
    # The built-in run is the base, so --policy.chunk_size=… adjusts the default policy.
    defaults = QuickstartConfig().to_dict()
    config = parse_cli(QuickstartConfig, args, prog="lr quickstart", defaults=defaults)
    report = run(config, explicit=explicit)
    agg = report["evaluation"]
    print(
        f"success {agg['pc_success']:.0f}% over {agg['n_episodes']} episodes; "
        f"report: {Path(report['eval_dir']).parent / REPORT_HTML}"
    )
    return 0
