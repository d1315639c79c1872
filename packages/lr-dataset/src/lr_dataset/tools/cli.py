"""``lr dataset <tool>`` subcommands for the editing tools, the converter and the Hub.

Cheap to import: argparse only; each command imports its tool when it runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lr_core.cli import Command
from lr_core.errors import ConfigError


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"lr dataset {prog}", description=description)


def _episodes(text: str) -> list[int]:
    """``"1,3,5-8"`` -> ``[1, 3, 5, 6, 7, 8]``."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = part.split("-", 1)
                out.extend(range(int(lo), int(hi) + 1))
            else:
                out.append(int(part))
        except ValueError as exc:
            raise ConfigError(
                f"cannot read episode list {text!r}: use indices and ranges like '0,2,5-9'"
            ) from exc
    return out


def _report(ds: object) -> None:
    meta = ds.meta  # type: ignore[attr-defined]
    print(f"wrote {meta.root}: {meta.total_episodes} episodes, {meta.total_frames} frames")


def delete_episodes_main(argv: Sequence[str]) -> int:
    """``lr dataset delete-episodes ROOT --episodes 1,3 --output OUT``."""
    p = _parser("delete-episodes", "Write a copy of a dataset without some episodes.")
    p.add_argument("root", help="source dataset folder")
    p.add_argument("--episodes", required=True, help="episodes to delete, e.g. '1,3,5-8'")
    p.add_argument("--output", required=True, help="new dataset folder (must not exist)")
    args = p.parse_args(list(argv))
    from lr_dataset.tools.delete import delete_episodes

    _report(delete_episodes(args.root, _episodes(args.episodes), args.output))
    return 0


def split_main(argv: Sequence[str]) -> int:
    """``lr dataset split ROOT --split train=0.8 --split val=0.2 --output OUT``."""
    p = _parser(
        "split",
        "Split a dataset into several (OUT/<name> each). A split is NAME=FRACTION "
        "(consecutive episodes) or NAME=EPISODES ('0-7,9').",
    )
    p.add_argument("root", help="source dataset folder")
    p.add_argument("--split", action="append", required=True, metavar="NAME=VALUE")
    p.add_argument("--output", required=True, help="folder that receives one dataset per split")
    args = p.parse_args(list(argv))
    splits: dict[str, float | list[int]] = {}
    for item in args.split:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--split {item!r}: expected NAME=FRACTION or NAME=EPISODES")
        if "." in value and "," not in value and "-" not in value:
            splits[name] = float(value)
        else:
            splits[name] = _episodes(value)
    from lr_dataset.tools.split import split_dataset

    for ds in split_dataset(args.root, splits, args.output).values():
        _report(ds)
    return 0


def merge_main(argv: Sequence[str]) -> int:
    """``lr dataset merge ROOT1 ROOT2 [...] --output OUT``."""
    p = _parser("merge", "Merge datasets with the same fps, robot type and features.")
    p.add_argument("roots", nargs="+", help="source dataset folders, in order")
    p.add_argument("--output", required=True, help="new dataset folder (must not exist)")
    p.add_argument("--repo-id", default="local/merged")
    p.add_argument(
        "--keep-video-files",
        action="store_true",
        help="copy each source MP4 as it is instead of joining them into shared files",
    )
    args = p.parse_args(list(argv))
    from lr_dataset.tools.merge import merge_datasets

    _report(
        merge_datasets(
            args.roots,
            args.output,
            args.repo_id,
            concatenate_videos=not args.keep_video_files,
        )
    )
    return 0


def add_feature_main(argv: Sequence[str]) -> int:
    """``lr dataset add-feature ROOT --name K --values V.npy --output OUT``."""
    p = _parser(
        "add-feature",
        "Add a numeric feature whose values (one row per frame, in 'index' order) come from "
        "a .npy file.",
    )
    p.add_argument("root")
    p.add_argument("--name", required=True, help="feature name, e.g. 'observation.extra'")
    p.add_argument("--values", required=True, help=".npy file of shape (total_frames, n)")
    p.add_argument("--dtype", default=None, help="dtype (default: the array's)")
    p.add_argument("--names", default=None, help="comma-separated names of the n dimensions")
    p.add_argument("--output", required=True)
    args = p.parse_args(list(argv))
    import numpy as np

    from lr_dataset.tools.features import add_features

    values = np.load(args.values)
    if values.ndim == 1:
        values = values[:, None]
    dtype = args.dtype or str(values.dtype)
    names = args.names.split(",") if args.names else None
    info = {"dtype": dtype, "shape": [int(values.shape[1])], "names": names}
    _report(add_features(args.root, {args.name: (values, info)}, args.output))
    return 0


def remove_feature_main(argv: Sequence[str]) -> int:
    """``lr dataset remove-feature ROOT --feature K [--feature K2] --output OUT``."""
    p = _parser("remove-feature", "Remove features (a camera's videos too).")
    p.add_argument("root")
    p.add_argument("--feature", action="append", required=True)
    p.add_argument("--output", required=True)
    args = p.parse_args(list(argv))
    from lr_dataset.tools.features import remove_features

    _report(remove_features(args.root, args.feature, args.output))
    return 0


def recompute_stats_main(argv: Sequence[str]) -> int:
    """``lr dataset recompute-stats ROOT --output OUT [--include-visual]``."""
    p = _parser("recompute-stats", "Write a copy whose stats are computed again from the data.")
    p.add_argument("root")
    p.add_argument("--output", required=True)
    p.add_argument("--include-visual", action="store_true", help="also decode every camera frame")
    args = p.parse_args(list(argv))
    from lr_dataset.tools.recompute import recompute_stats

    _report(recompute_stats(args.root, args.output, include_visual=args.include_visual))
    return 0


def convert_main(argv: Sequence[str]) -> int:
    """``lr dataset convert ROOT --output OUT``: v2.1 -> v3.0."""
    p = _parser("convert", "Convert a LeRobot v2.1 dataset folder to v3.0 (a new folder).")
    p.add_argument("root", help="v2.1 dataset folder")
    p.add_argument("--output", required=True, help="new v3.0 dataset folder (must not exist)")
    p.add_argument("--data-file-size-in-mb", type=float, default=None)
    p.add_argument("--video-file-size-in-mb", type=float, default=None)
    args = p.parse_args(list(argv))
    from lr_dataset.tools.convert import convert_v21

    meta = convert_v21(
        args.root,
        args.output,
        data_files_size_in_mb=args.data_file_size_in_mb,
        video_files_size_in_mb=args.video_file_size_in_mb,
    )
    print(f"wrote {meta.root}: {meta.total_episodes} episodes, {meta.total_frames} frames")
    return 0


def push_main(argv: Sequence[str]) -> int:
    """``lr dataset push ROOT --repo-id USER/NAME``."""
    p = _parser("push", "Upload a dataset to a Hugging Face dataset repo and tag it 'v3.0'.")
    p.add_argument("root")
    p.add_argument("--repo-id", required=True)
    p.add_argument("--branch", default=None)
    p.add_argument("--private", action="store_true")
    p.add_argument("--no-videos", action="store_true", help="leave videos/ out")
    p.add_argument("--no-tag", action="store_true", help="do not (re)create the version tag")
    args = p.parse_args(list(argv))
    from lr_dataset.tools.hub import push

    url = push(
        args.root,
        args.repo_id,
        branch=args.branch,
        private=args.private,
        push_videos=not args.no_videos,
        tag_version=not args.no_tag,
    )
    print(f"pushed {args.root} to {url}")
    return 0


def pull_main(argv: Sequence[str]) -> int:
    """``lr dataset pull USER/NAME --output DIR``."""
    p = _parser("pull", "Download a dataset repo from the Hugging Face Hub.")
    p.add_argument("repo_id")
    p.add_argument("--output", default=None, help="folder (default $HF_LEROBOT_HOME/<repo_id>)")
    p.add_argument("--revision", default=None, help="branch, tag or commit (default: 'v3.0')")
    p.add_argument("--no-videos", action="store_true")
    args = p.parse_args(list(argv))
    from lr_dataset.tools.hub import pull

    root = pull(
        args.repo_id, args.output, revision=args.revision, download_videos=not args.no_videos
    )
    print(f"pulled {args.repo_id} to {root}")
    return 0


TOOL_COMMANDS: dict[str, Command] = {
    "delete-episodes": Command("write a copy without some episodes", delete_episodes_main),
    "split": Command("split into several datasets (episodes or fractions)", split_main),
    "merge": Command("merge datasets with the same fps and features", merge_main),
    "add-feature": Command("write a copy with a new numeric feature", add_feature_main),
    "remove-feature": Command("write a copy without some features", remove_feature_main),
    "recompute-stats": Command("write a copy with stats computed again", recompute_stats_main),
    "convert": Command("convert a v2.1 dataset to v3.0", convert_main),
    "push": Command("upload a dataset to the Hugging Face Hub", push_main),
    "pull": Command("download a dataset from the Hugging Face Hub", pull_main),
}
