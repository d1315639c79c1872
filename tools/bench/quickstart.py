"""The main job, timed: ``lr quickstart`` on an idle machine and with one core kept busy.

    uv run python tools/bench/quickstart.py                 # idle, then one core busy
    uv run python tools/bench/quickstart.py --fast          # a smoke test of this script
    uv run python tools/bench/quickstart.py --scenarios idle -- --steps=4000
    uv run python tools/bench/quickstart.py --train-study     # threads x workers, idle and busy

Each scenario runs the real command (``python -m lr_core.cli quickstart``, extra flags after
``--`` are passed on) in a fresh process and reads the run's ``report.json``. ``one-busy``
keeps one core busy for the whole run with a spinning process (as ``stress --cpu 1`` does);
``all-busy`` spins one process per core. The table gives the wall time of each stage, the total,
the CPU seconds of each stage (which hardly depend on load), the success rate with its 95%
Wilson interval, and the threads, workers, batch and device the quickstart chose; the last
column is the ratio to the idle run (goal of issue 17: at most 1.5 with one core busy, at most
15 min and at least 80% success idle). The CPU model and its
vector extensions are printed because training speed depends on them. LeRobot 0.6.1 has no
equivalent of the whole pipeline, so there is no peer figure here (its training and evaluation
speeds are compared in tools/bench/policies.py). ``--json`` writes every figure to a file.

``--train-study`` backs the quickstart's choice of one torch thread and one data-loading worker
on CPU: it records a small dataset once, then times ``lr train`` (the default policy, batch and
data, ``--train-steps`` steps after a warm-up) for each combination of torch threads (1, 2) and
workers (0, 1) in each scenario, and prints steps/s with the ratio of the busy to the idle run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lr_sim.quickstart_stages import cpu_description

SCENARIOS = {"idle": 0, "one-busy": 1, "all-busy": os.cpu_count() or 1}


def _spin() -> None:  # pragma: no cover - runs in the busy processes
    while True:
        pass


def run_quickstart(busy: int, output_root: Path, extra: list[str]) -> dict[str, Any]:
    """One ``lr quickstart`` run with ``busy`` spinning processes beside it."""
    spinners = [multiprocessing.get_context("spawn").Process(target=_spin) for _ in range(busy)]
    for p in spinners:
        p.start()
    try:
        load = os.getloadavg()[0]
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "lr_core.cli",
                "quickstart",
                f"--output_root={output_root}",
                "--progress=false",
                *extra,
            ],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
    finally:
        for p in spinners:
            p.terminate()
            p.join()
    if result.returncode != 0:
        raise SystemExit(f"lr quickstart failed:\n{result.stderr[-4000:]}")
    (run_dir,) = sorted(p for p in output_root.iterdir() if p.is_dir())[-1:]
    report = json.loads((run_dir / "report.json").read_text())
    report["wall_s"] = wall
    report["load_at_start"] = load
    report["run_dir"] = str(run_dir)
    return report


def train_rate(dataset: Path, threads: int, workers: int, steps: int, out: Path) -> float:
    """Steps/s of ``lr train`` with the quickstart's default policy on ``dataset`` (median
    per-step time of the logged steps after the first tenth, which includes start-up)."""
    from lr_sim.quickstart import QuickstartConfig, stage_commands
    from lr_sim.quickstart_stages import Runtime

    config = QuickstartConfig(steps=steps)
    runtime = Runtime("cpu", threads, workers, os.cpu_count() or 1)
    argv = stage_commands(config, out, runtime)["train"]["argv"][2:]
    argv = [a for a in argv if not a.startswith(("--dataset.root=", "--log_freq="))]
    argv += [f"--dataset.root={dataset}", "--log_freq=1", "--progress_bar=false"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, "-m", "lr_core.cli", "train", *argv]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    records = [
        json.loads(line) for line in (out / "train" / "metrics.jsonl").read_text().splitlines()
    ]
    times = sorted(r["data_s"] + r["update_s"] for r in records[len(records) // 10 :])
    return 1.0 / times[len(times) // 2]


def train_study(scenarios: list[str], steps: int, root: Path) -> None:
    """Print training steps/s for threads x workers in each scenario (see the docstring)."""
    dataset = root / "dataset"
    subprocess.run(
        [sys.executable, "-m", "lr_core.cli", "sim", "record", "--env.type=so101",
         "--env.task=pick-and-place", '--env.cameras=["front","wrist"]', "--env.image_height=64",
         "--env.image_width=64", "--episodes=10", "--expert", "--dataset.repo_id=local/bench",
         f"--dataset.root={dataset}", "--progress=false"],
        check=True, capture_output=True,
    )  # fmt: skip
    print(
        "| threads | workers | "
        + " | ".join(f"{s} steps/s" for s in scenarios)
        + " | busy / idle |"
    )
    print("|---|---|" + "---|" * (len(scenarios) + 1))
    for threads in (1, 2):
        for workers in (0, 1):
            rates = {}
            for name in scenarios:
                spinners = [
                    multiprocessing.get_context("spawn").Process(target=_spin)
                    for _ in range(SCENARIOS[name])
                ]
                for p in spinners:
                    p.start()
                try:
                    out = root / f"t{threads}w{workers}_{name}"
                    rates[name] = train_rate(dataset, threads, workers, steps, out)
                finally:
                    for p in spinners:
                        p.terminate()
                        p.join()
            ratio = ""
            if "idle" in rates and len(rates) > 1:
                slowest = min(v for k, v in rates.items() if k != "idle")
                ratio = f"{rates['idle'] / slowest:.2f}"
            cells = " | ".join(f"{rates[s]:.1f}" for s in scenarios)
            print(f"| {threads} | {workers} | {cells} | {ratio} |", flush=True)


def row(name: str, report: dict[str, Any], idle: dict[str, Any] | None) -> str:
    t = report["timings_s"]
    agg = report["evaluation"]
    low, high = agg["pc_success_ci95"]
    rt = report["runtime"]
    ratio = f"{report['wall_s'] / idle['wall_s']:.2f}" if idle else "1.00"
    cpu = report.get("cpu_s", {})
    cpu_cell = "/".join(
        f"{cpu.get(k, 0):.0f}" for k in ("record_s", "train_s", "eval_s", "report_s")
    )
    return (
        f"| {name} | {t['record_s']:.0f} | {t['train_s']:.0f} | {t['eval_s']:.0f} | "
        f"{t['report_s']:.0f} | {report['wall_s'] / 60:.1f} | {cpu_cell} | "
        f"{report['steps_per_s']:.1f} | "
        f"{agg['pc_success']:.0f}% ({low:.0f}–{high:.0f}) | {rt['device']}, {rt['threads']} thr, "
        f"{rt['num_workers']} wkr, batch {report['batch_size']} | {report['load_at_start']:.1f} | "
        f"{ratio} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="+", default=["idle", "one-busy"], choices=SCENARIOS)
    parser.add_argument("--fast", action="store_true", help="pass --fast (a smoke test)")
    parser.add_argument("--output_root", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--train-study", action="store_true", help="threads x workers table")
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("extra", nargs="*", help="flags for lr quickstart (after --)")
    args = parser.parse_args()
    if args.train_study:
        print(f"CPU: {cpu_description()}")
        root = args.output_root or Path(tempfile.mkdtemp(prefix="bench_quickstart_train_"))
        train_study(args.scenarios, args.train_steps, root)
        return
    extra = (["--fast"] if args.fast else []) + list(args.extra)
    root = args.output_root or Path(tempfile.mkdtemp(prefix="bench_quickstart_"))

    print(f"CPU: {cpu_description()}")
    print(f"lr quickstart {' '.join(extra)}  (runs under {root})", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for name in args.scenarios:
        print(f"running {name} ({SCENARIOS[name]} busy process(es))...", flush=True)
        results[name] = run_quickstart(SCENARIOS[name], root / name, extra)
        print(f"  {results[name]['wall_s'] / 60:.1f} min", flush=True)

    print()
    print(
        "| scenario | record s | train s | eval s | report s | total min | "
        "CPU s record/train/eval/report | train steps/s | success (95% CI) | chosen | "
        "load at start | ratio to idle |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    idle = results.get("idle")
    for name, report in results.items():
        print(row(name, report, idle if name != "idle" else None))
    print("\nLeRobot 0.6.1: no equivalent end-to-end command (n/a).")
    if args.json:
        summary = {"cpu": cpu_description(), "extra": extra, "results": results}
        args.json.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
