"""``lr dataset ...`` subcommands (registered through the ``lr.commands`` entry point).

This module stays cheap to import: each command imports the dataset code when it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field

from lr_core.cli import Command, CommandGroup
from lr_dataset.cli_args import command as cli_command
from lr_dataset.cli_args import parse_command
from lr_dataset.tools.cli import TOOL_COMMANDS, SourceConfig


def summary(root: Path, repo_id: str = "local/dataset") -> dict[str, Any]:
    """A JSON-able description of the dataset at ``root`` (what ``lr dataset info`` prints)."""
    from lr_dataset.metadata import LeRobotDatasetMetadata

    meta = LeRobotDatasetMetadata(repo_id, root=root)
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]
    features = {}
    for key, spec in meta.features.items():
        entry: dict[str, Any] = {"dtype": spec.dtype, "shape": list(spec.shape)}
        info = spec.info or {}
        if spec.dtype == "video" and "video.codec" in info:
            entry["codec"] = info["video.codec"]
        features[key] = entry
    lengths = meta.episodes.column("length") if meta.episodes is not None else []
    per_task: dict[str, dict[str, int]] = {}
    if meta.episodes is not None:
        import polars as pl

        from lr_dataset.frames import scan_frames

        counts = (
            scan_frames(meta)
            .group_by("task")
            .agg(pl.col("episode_index").n_unique().alias("episodes"), pl.len().alias("frames"))
            .sort("frames", descending=True)
            .collect()
        )
        per_task = {
            row["task"]: {"episodes": row["episodes"], "frames": row["frames"]}
            for row in counts.to_dicts()
        }
    return {
        "repo_id": repo_id,
        "root": str(root),
        "codebase_version": meta.info.codebase_version,
        "fps": meta.fps,
        "robot_type": meta.robot_type,
        "total_episodes": meta.total_episodes,
        "total_frames": meta.total_frames,
        "duration_s": round(meta.total_frames / meta.fps, 3),
        "episode_length": {
            "min": int(min(lengths)) if len(lengths) else 0,
            "max": int(max(lengths)) if len(lengths) else 0,
        },
        "tasks": list(meta.tasks),
        "frames_per_task": per_task,
        "features": features,
        "files": len(files),
        "size_mb": round(sum(p.stat().st_size for p in files) / 1024**2, 3),
        "consistent": not meta.repaired,
    }


class InfoConfig(SourceConfig):
    """lr dataset info DATASET [--json]: summarise a LeRobot v3.0 dataset (a folder, or a repo
    id user/name: $HF_LEROBOT_HOME/<repo_id>, else the Hub's metadata)."""

    json_output: bool = Field(False, description="print JSON (also --json)")


def print_summary(data: dict[str, Any]) -> None:
    """The text form of :func:`summary`."""
    print(f"{data['repo_id']}  ({data['root']})")
    print(f"  format {data['codebase_version']}, {data['fps']} fps, robot {data['robot_type']}")
    print(
        f"  {data['total_episodes']} episodes, {data['total_frames']} frames "
        f"({data['duration_s']} s; episodes of {data['episode_length']['min']}-"
        f"{data['episode_length']['max']} frames)"
    )
    print(f"  {len(data['tasks'])} task(s):")
    for task, count in list(data["frames_per_task"].items())[:10]:
        print(f"    {count['episodes']:>5} episodes {count['frames']:>8} frames  {task!r}")
    if len(data["frames_per_task"]) > 10:
        print(f"    ... ({len(data['frames_per_task']) - 10} more; --json lists them all)")
    print("  features:")
    width = max(len(k) for k in data["features"])
    for key, entry in data["features"].items():
        codec = f"  [{entry['codec']}]" if "codec" in entry else ""
        print(f"    {key.ljust(width)}  {entry['dtype']:<8} {entry['shape']}{codec}")
    print(f"  {data['files']} files, {data['size_mb']} MB")
    if not data["consistent"]:
        print(
            "  warning: info.json disagrees with meta/episodes (an interrupted write); "
            "LeRobotDataset.resume() repairs it"
        )


@cli_command
def info(argv: list[str]) -> int:
    """``lr dataset info``: print a dataset's summary."""
    from lr_dataset.cli_args import resolve_dataset
    from lr_dataset.metadata import LeRobotDatasetMetadata

    prog = "lr dataset info"
    cfg = parse_command(
        InfoConfig, argv, prog=prog, positional="dataset", aliases={"--json": "--json_output"}
    )
    repo_id, root = resolve_dataset(cfg.dataset, cfg.repo_id, cfg.root, prog=prog)
    if root is None:  # a repo id: the metadata and data files (no videos), as LeRobotDataset
        from lr_dataset.dataset import LeRobotDataset

        meta = LeRobotDataset(repo_id, download_videos=False).meta
    else:
        meta = LeRobotDatasetMetadata(repo_id, root=root)
    data = summary(meta.root, repo_id)
    if cfg.json_output:
        print(json.dumps(data, indent=2))
    else:
        print_summary(data)
    return 0


class DatasetCommands(CommandGroup):
    """``lr dataset <tool>``, plus LeRobot's ``lerobot-edit-dataset`` flags given directly
    (``lr dataset --repo_id=... --operation.type=...``, the same as ``lr dataset edit ...``)."""

    def __call__(self, argv: list[str], *, prog: str = "lr dataset") -> int:
        """Dispatch to a subcommand, or to ``edit`` when the first argument is a flag."""
        if argv and argv[0].startswith("--") and argv[0] != "--help":
            return self.commands["edit"](argv)  # type: ignore[call-arg]
        return super().__call__(argv, prog=prog)


command_group = DatasetCommands(
    help="inspect, edit, convert and share LeRobot v3.0 datasets",
    commands={
        "info": Command(help="summarise a dataset", run="lr_dataset.commands:info"),
        "edit": Command(
            help="LeRobot's lerobot-edit-dataset (--operation.type=...)",
            run="lr_dataset.tools.edit_cli:edit_main",
        ),
        "viz": Command(
            help="show an episode in rerun or a local web viewer (--episode_index=N "
            "[--mode=web] [--save=FILE.rrd])",
            run="lr_dataset.viz.cli:viz_main",
        ),
        **TOOL_COMMANDS,
    },
)
#: the ``lr.commands`` entry point
command = command_group
