"""The quickstart's ``report.html``: one self-contained page (plots and videos embedded).

It shows the success rate with its 95% Wilson interval, whether the main job's target was met
(≥ 80% success within 15 minutes), what the policy reads, the loss curve, videos of a
successful and a failed episode (the scene beside what each camera saw, at the env's real
frame rate), the dataset and checkpoint paths, the time of each stage and the command that
reproduces each stage.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

#: The main job's target (issue 17): success rate (%) and wall time (minutes).
TARGET_SUCCESS_PC = 80.0
TARGET_MINUTES = 15.0


def _data_uri(path: Path, mime: str) -> str | None:
    if not path.is_file():
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _rows(pairs: list[tuple[str, str]]) -> str:
    esc = html.escape
    return "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)


def _load(report: dict[str, Any]) -> str:
    load = report.get("load_average") or {}
    if load.get("start") is None:
        return "load average unknown"
    return (
        f"load average {load['start']:.1f} at the start, {load['end']:.1f} at the end "
        "(other programs slow every stage)"
    )


def _cpu_time(report: dict[str, Any]) -> str:
    cpu = report.get("cpu_s") or {}
    if not cpu:
        return "not measured"
    return (
        f"record {cpu['record_s']:.0f} s, train {cpu['train_s']:.0f} s (its main process "
        f"{cpu['train_main_process_s']:.0f} s, the rest data loading), evaluate "
        f"{cpu['eval_s']:.0f} s, report {cpu['report_s']:.0f} s (CPU seconds hardly change "
        "with load; wall time does)"
    )


def target_verdict(report: dict[str, Any]) -> str:
    """One sentence: whether this run met the main job's target, with the figures."""
    agg = report["evaluation"]
    minutes = report["timings_s"]["total_s"] / 60
    ok_success = agg["pc_success"] >= TARGET_SUCCESS_PC
    ok_time = minutes <= TARGET_MINUTES
    figures = f"{agg['pc_success']:.0f}% success in {minutes:.1f} min"
    goal = f"≥ {TARGET_SUCCESS_PC:.0f}% success within {TARGET_MINUTES:.0f} min"
    if report.get("fast"):
        return f"{figures}: a --fast smoke run, not a measurement (the target is {goal})."
    if ok_success and ok_time:
        return f"Target met: {figures} (the target is {goal})."
    missed = []
    if not ok_success:
        missed.append(f"success {agg['pc_success']:.0f}% < {TARGET_SUCCESS_PC:.0f}%")
    if not ok_time:
        missed.append(f"{minutes:.1f} min > {TARGET_MINUTES:.0f} min")
    return f"Target not met on this run: {'; '.join(missed)} (the target is {goal})."


def _videos(report: dict[str, Any], cameras: list[str]) -> str:
    esc = html.escape
    if not report.get("showcase"):
        return "<p>(no evaluation episode to show)</p>"
    cells = []
    for clip in report["showcase"]:
        uri = _data_uri(Path(clip["video"]), "video/mp4")
        outcome = "success" if clip["success"] else "failure"
        note = ""
        if clip["success"] != clip["eval_success"]:
            note = (
                f" (the rerun differs from the evaluation, which scored this seed a "
                f"{'success' if clip['eval_success'] else 'failure'})"
            )
        caption = (
            f"{outcome}: evaluation episode {clip['episode_ix']}, seed {clip['seed']}, "
            f"{clip['length']} steps{note}"
        )
        video = (
            f'<video class="rollout" controls loop autoplay muted playsinline src="{uri}"></video>'
            if uri
            else "<p>(video missing)</p>"
        )
        cells.append(
            f'<figure data-kind="{esc(outcome)}">{video}<figcaption>{esc(caption)}'
            "</figcaption></figure>"
        )
    legend = (
        "Left in each video: the scene (a 256×256 render of the front camera, for you; the "
        "policy does not see it). Right: "
        + ", ".join(f"the {c} camera" for c in cameras)
        + " exactly as the policy received them, enlarged. Played at the simulator's real "
        "frame rate."
    )
    return f'<div class="videos">{"".join(cells)}</div><p class="note">{esc(legend)}</p>'


def render_html(report: dict[str, Any], run_dir: Path) -> str:
    """The report page for ``report`` (as :func:`lr_sim.quickstart.run` builds it)."""
    esc = html.escape
    agg = report["evaluation"]
    low, high = agg["pc_success_ci95"]
    timings = report["timings_s"]
    runtime = report["runtime"]
    cameras = [
        k.removeprefix("observation.images.")
        for k in report["policy_inputs"]
        if k.startswith("observation.images.")
    ]
    reads = ", ".join(report["policy_inputs"])
    object_pose = "observation.environment_state" in report["policy_inputs"]
    summary = _rows(
        [
            ("task", f"so101 {report['env_task']}"),
            (
                "policy",
                f"{report['policy']}, {report['steps']} steps, batch {report['batch_size']}",
            ),
            ("policy inputs", reads),
            (
                "simulator object poses as input",
                "yes (observation.environment_state)" if object_pose else "no",
            ),
            ("success rate", f"{agg['pc_success']:.1f}% ({agg['n_success']}/{agg['n_episodes']})"),
            ("95% interval (Wilson)", f"{low:.1f}% – {high:.1f}%"),
            ("mean return", f"{agg['avg_sum_reward']:.2f}"),
            (
                "dataset",
                f"{report['dataset']['root']} ({report['dataset']['episodes']} episodes, "
                f"{report['dataset']['frames']} frames)",
            ),
            ("checkpoint", report["checkpoint"]),
            ("evaluation folder", report["eval_dir"]),
            (
                "machine use",
                f"{runtime['device']}, {runtime['threads']} torch thread(s), "
                f"{runtime['num_workers']} data worker(s); training {report['steps_per_s']:.1f} "
                "steps/s",
            ),
            ("machine", f"{report.get('cpu', 'unknown')}; {_load(report)}"),
            ("CPU time", _cpu_time(report)),
            (
                "time",
                f"record {timings['record_s']:.0f} s, train {timings['train_s']:.0f} s, "
                f"evaluate {timings['eval_s']:.0f} s, report {timings['report_s']:.0f} s; "
                f"total {timings['total_s'] / 60:.1f} min",
            ),
        ]
    )
    curve = _data_uri(Path(report["train_dir"]) / "loss_curve.png", "image/png")
    curve_html = (
        f'<img class="loss" alt="training loss" src="{curve}">'
        if curve
        else "<p>(no loss curve written)</p>"
    )
    commands = "".join(
        f"<h3>{esc(stage)}</h3><pre>{esc(line)}</pre>" for stage, line in report["commands"].items()
    )
    title = f"lr quickstart: so101 {report['env_task']}" + (
        " (--fast smoke run)" if report["fast"] else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 4px 12px;
  vertical-align: top; }}
th {{ color: #555; font-weight: 600; }} img.loss {{ max-width: 100%; border: 1px solid #ddd; }}
.headline {{ font-size: 1.3em; }} .verdict {{ padding: 8px 12px; background: #f4f4f4; }}
.videos {{ display: flex; gap: 16px; flex-wrap: wrap; }} figure {{ margin: 0; }}
video.rollout {{ width: 452px; border: 1px solid #ddd; image-rendering: pixelated; }}
pre {{ background: #f6f6f6; padding: 8px; white-space: pre-wrap; word-break: break-all; }}
.note {{ color: #555; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p class="headline"><b>{agg["pc_success"]:.0f}% success</b> ({agg["n_success"]}/{
        agg["n_episodes"]
    } episodes on seeds the policy never saw; 95% interval {low:.0f}–{high:.0f}%)</p>
<p class="verdict">{esc(target_verdict(report))}</p>
<table>{summary}</table>
<h2>Rollouts: a success and a failure</h2>{_videos(report, cameras)}
<h2>Training loss</h2>{curve_html}
<h2>Reproduce each stage</h2>
<p class="note">These are the commands this run executed (run folder <code>{
        esc(str(run_dir))
    }</code>).</p>{commands}
</body></html>
"""
