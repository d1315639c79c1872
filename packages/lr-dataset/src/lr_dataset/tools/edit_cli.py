"""LeRobot's ``lerobot-edit-dataset``, flag for flag: ``lr dataset edit --repo_id=... [--root=...]
--operation.type=delete_episodes|split|merge|remove_feature|recompute_stats|info --operation.*``
(also ``lr dataset --operation.type=...``), with LeRobot 0.6.1's meanings:

- the dataset is ``--root``, else ``$HF_LEROBOT_HOME/<repo_id>``, else the Hub (as
  ``LeRobotDataset(repo_id)``); the result goes to ``--new_root``, else
  ``$HF_LEROBOT_HOME/<new_repo_id or repo_id>``;
- when the result would replace the source (same folder) the edit is in place, and the original
  is kept as ``<name>_old``. Unlike LeRobot (which moves the original first, so a failed edit
  left the user with a renamed dataset, issue #2712), lr builds the result beside it first and
  swaps the two only once it is complete, and never deletes an existing ``<name>_old``;
- ``split`` writes ``<new_root>/<split>`` (default ``$HF_LEROBOT_HOME/<repo_id>_<split>``);
  ``merge`` reads ``--operation.repo_ids`` (with ``--operation.roots``) into ``--new_repo_id``;
  ``recompute_stats`` writes ``<repo_id>_recomputed_stats`` unless ``--new_repo_id`` /
  ``--new_root`` say otherwise, in place only with ``--operation.overwrite=true``;
- ``--push_to_hub=true`` uploads the result (each split) to the Hub as its repo id.

Operations lr does not do (``modify_tasks``, ``convert_image_to_video``, ``reencode_videos``,
relative-action stats) are refused with a message saying so.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, create_model

from lr_core.config import IndexList, LrConfig
from lr_core.errors import ConfigError
from lr_core.paths import dataset_root
from lr_dataset.cli_args import StrList, command, parse_command, python_literal, report_written

logger = logging.getLogger(__name__)

PROG = "lr dataset edit"


class EditConfig(LrConfig):
    """LeRobot's lerobot-edit-dataset: --repo_id=USER/NAME [--root=DIR]
    --operation.type=OPERATION --operation.<field>=...; see docs/dataset.md."""

    repo_id: str | None = Field(None, description="input dataset repo id (all but merge)")
    root: str | None = Field(None, description="input dataset folder")
    new_repo_id: str | None = Field(None, description="edited dataset repo id (merge: required)")
    new_root: str | None = Field(None, description="edited dataset folder (split: base folder)")
    push_to_hub: bool = Field(False, description="upload the result to the Hub")
    progress_bar: bool = Field(True, description="show progress bars with ETA on stderr")


class Operation(LrConfig):
    """Base of the ``--operation.*`` sections: the ``type`` field every operation has."""

    type: str
    """The edit: delete_episodes, split, merge, remove_feature, recompute_stats or info (add
    --operation.type=NAME --help for its options)."""


class DeleteEpisodesOperation(Operation):
    """Delete episodes (renumbering the rest)."""

    type: Literal["delete_episodes"] = "delete_episodes"
    episode_indices: IndexList | None = Field(None, description="'[0, 2, 5]' or 0,2,5-9")


class SplitOperation(Operation):
    """Split into datasets by fractions or episode lists."""

    type: Literal["split"] = "split"
    splits: Annotated[dict[str, float | IndexList], BeforeValidator(python_literal)] | None = Field(
        None, description='{"train": 0.8, "val": 0.2} or {"train": [0, 1], ...}'
    )


class MergeOperation(Operation):
    """Merge datasets with the same fps, robot type and features."""

    type: Literal["merge"] = "merge"
    repo_ids: StrList | None = Field(None, description="datasets to merge, in order")
    roots: StrList | None = Field(None, description="their folders (same length)")
    concatenate_videos: bool = Field(True, description="join MP4s (false: copy each file)")
    concatenate_data: bool = Field(True, description="join data files (lr always does)")


class RemoveFeatureOperation(Operation):
    """Remove features (a camera's videos too)."""

    type: Literal["remove_feature"] = "remove_feature"
    feature_names: StrList | None = Field(None, description="features to remove")


class RecomputeStatsOperation(Operation):
    """Compute the statistics again from the data."""

    type: Literal["recompute_stats"] = "recompute_stats"
    skip_image_video: bool = Field(True, description="keep camera stats (false: decode all)")
    relative_action: bool = Field(False, description="relative-action stats (not in lr)")
    relative_exclude_joints: StrList | None = Field(
        None, description="joints kept absolute in relative-action stats (not in lr)"
    )
    chunk_size: int = Field(
        50, description="action chunk length of relative-action stats (not in lr)"
    )
    num_workers: int = Field(0, description="accepted; lr computes stats in one process")
    overwrite: bool = Field(False, description="allow writing over the input dataset")


class InfoOperation(Operation):
    """Print a summary of the dataset."""

    type: Literal["info"] = "info"
    show_features: bool = Field(False, description="also print the features")


OPERATIONS: dict[str, type[Operation]] = {
    "delete_episodes": DeleteEpisodesOperation,
    "split": SplitOperation,
    "merge": MergeOperation,
    "remove_feature": RemoveFeatureOperation,
    "recompute_stats": RecomputeStatsOperation,
    "info": InfoOperation,
}
#: LeRobot operations lr does not do, and what to use instead
NOT_IN_LR = {
    "modify_tasks": "lr has no task editing tool yet",
    "convert_image_to_video": "lr has no image-to-video conversion tool yet",
    "reencode_videos": "lr has no re-encoding tool yet (the tools stream-copy video)",
}


def _operation_type(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg.startswith("--operation.type="):
            return arg.split("=", 1)[1]
        if arg == "--operation.type" and i + 1 < len(argv):
            return argv[i + 1]
    names = ", ".join(sorted(OPERATIONS))
    raise ConfigError(f"--operation.type is required: one of {names}")


def parse_edit(argv: list[str]) -> Any:
    """The :class:`EditConfig` (with its ``operation``) of LeRobot-style ``argv``."""
    if any(a in ("-h", "--help") for a in argv) and not any("--operation.type" in a for a in argv):
        argv = [*argv, "--operation.type=delete_episodes"]  # help shows one operation's flags
    kind = _operation_type(argv)
    if kind in NOT_IN_LR:
        raise ConfigError(f"--operation.type={kind}: {NOT_IN_LR[kind]}")
    if kind not in OPERATIONS:
        raise ConfigError(
            f"--operation.type={kind} is not an operation; lr does "
            f"{', '.join(sorted(OPERATIONS))} (LeRobot's {', '.join(sorted(NOT_IN_LR))} not yet)"
        )
    model = create_model(
        "EditDatasetConfig",
        __base__=EditConfig,
        __doc__=EditConfig.__doc__,
        operation=(OPERATIONS[kind], ...),
    )
    return parse_command(model, argv, prog=PROG)


def _input(cfg: Any) -> tuple[str, Any]:
    """The input dataset's repo id and metadata (--root, else the home, else the Hub)."""
    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.metadata import LeRobotDatasetMetadata

    if not cfg.repo_id:
        raise ConfigError(f"--repo_id is required for {cfg.operation.type} (the input dataset)")
    if cfg.root is not None:
        root = Path(cfg.root).expanduser()
        if not root.exists():
            raise ConfigError(f"--root={cfg.root}: the folder does not exist")
        return cfg.repo_id, LeRobotDatasetMetadata(cfg.repo_id, root=root)
    return cfg.repo_id, LeRobotDataset(cfg.repo_id).meta


def _output(cfg: Any, default_repo_id: str | None = None) -> tuple[str, Path]:
    repo_id = cfg.new_repo_id or default_repo_id or cfg.repo_id
    root = Path(cfg.new_root).expanduser() if cfg.new_root else dataset_root(repo_id)
    return repo_id, root


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _write(meta: Any, output: Path, build: Any) -> Path:
    """Run ``build(output_dir)``; in place (``output`` is the source) build beside the source,
    then keep the source as ``<name>_old`` and move the result into its place."""
    if not _same_folder(meta.root, output):
        build(output)
        return output
    backup = output.with_name(output.name + "_old")
    if backup.exists():
        raise ConfigError(
            f"editing {output} in place keeps the original as {backup}, which already "
            f"exists (from an earlier edit); move it away or delete it first"
        )
    staged = output.with_name(f".{output.name}.edit-{os.getpid()}")
    shutil.rmtree(staged, ignore_errors=True)
    try:
        build(staged)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    os.replace(output, backup)
    os.replace(staged, output)
    print(f"edited {output} in place; the original is kept as {backup}", file=sys.stderr)
    return output


def _push(repo_id: str, root: Path) -> None:
    from lr_dataset.tools.hub import push

    print(f"pushed {root} to {push(root, repo_id)}")


def _delete(cfg: Any) -> None:
    from lr_dataset.metadata import LeRobotDatasetMetadata
    from lr_dataset.tools.delete import delete_episodes

    if not cfg.operation.episode_indices:
        raise ConfigError("--operation.episode_indices is required, e.g. '[0, 2, 5]'")
    _, meta = _input(cfg)
    repo_id, output = _output(cfg)
    root = _write(
        meta, output, lambda out: delete_episodes(meta, cfg.operation.episode_indices, out)
    )
    report_written(LeRobotDatasetMetadata(repo_id, root=root))
    if cfg.push_to_hub:
        _push(repo_id, root)


def _split(cfg: Any) -> None:
    from lr_dataset.tools.split import split_dataset

    if not cfg.operation.splits:
        raise ConfigError("--operation.splits is required, e.g. '{\"train\": 0.8}'")
    if cfg.new_repo_id is not None:
        print(
            "split names its datasets <repo_id>_<split>; --new_repo_id is ignored",
            file=sys.stderr,
        )
    repo_id, meta = _input(cfg)
    out = split_dataset(meta, dict(cfg.operation.splits), cfg.new_root, repo_id=repo_id)
    for ds in out.values():
        report_written(ds.meta)
        if cfg.push_to_hub:
            _push(ds.repo_id, ds.root)


def _merge(cfg: Any) -> None:
    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.metadata import LeRobotDatasetMetadata
    from lr_dataset.tools.merge import merge_datasets

    op = cfg.operation
    if not cfg.new_repo_id:
        raise ConfigError("--new_repo_id is required for merge (the merged dataset)")
    if not op.repo_ids:
        raise ConfigError("--operation.repo_ids is required, e.g. \"['a/b', 'a/c']\"")
    if op.roots and len(op.roots) != len(op.repo_ids):
        raise ConfigError("--operation.repo_ids and --operation.roots differ in length")
    if not op.concatenate_data:
        print(
            "lr always joins data files up to data_files_size_in_mb; "
            "--operation.concatenate_data=false changes nothing",
            file=sys.stderr,
        )
    if op.roots:
        metas = [
            LeRobotDatasetMetadata(r, root=Path(p).expanduser())
            for r, p in zip(op.repo_ids, op.roots)
        ]
    else:
        metas = [LeRobotDataset(r).meta for r in op.repo_ids]
    repo_id, output = _output(cfg)
    merged = merge_datasets(metas, output, repo_id, concatenate_videos=op.concatenate_videos)
    report_written(merged.meta)
    if cfg.push_to_hub:
        _push(repo_id, output)


def _remove_feature(cfg: Any) -> None:
    from lr_dataset.metadata import LeRobotDatasetMetadata
    from lr_dataset.tools.features import remove_features

    if not cfg.operation.feature_names:
        raise ConfigError("--operation.feature_names is required, e.g. \"['a.b']\"")
    _, meta = _input(cfg)
    repo_id, output = _output(cfg)
    root = _write(meta, output, lambda out: remove_features(meta, cfg.operation.feature_names, out))
    report_written(LeRobotDatasetMetadata(repo_id, root=root))
    if cfg.push_to_hub:
        _push(repo_id, root)


def _recompute_stats(cfg: Any) -> None:
    from lr_dataset.metadata import LeRobotDatasetMetadata
    from lr_dataset.tools.recompute import recompute_stats

    op = cfg.operation
    if op.relative_action:
        raise ConfigError(
            "--operation.relative_action=true: lr does not compute relative-action stats yet"
        )
    _, meta = _input(cfg)
    repo_id, output = _output(cfg, default_repo_id=f"{cfg.repo_id}_recomputed_stats")
    if _same_folder(meta.root, output) and not op.overwrite:
        raise ConfigError(
            f"recompute_stats would overwrite {output}; pass "
            f"--operation.overwrite=true, or --new_repo_id / --new_root for another folder"
        )
    include_visual = not op.skip_image_video
    root = _write(
        meta, output, lambda out: recompute_stats(meta, out, include_visual=include_visual)
    )
    report_written(LeRobotDatasetMetadata(repo_id, root=root))
    if cfg.push_to_hub:
        _push(repo_id, root)


def _info(cfg: Any) -> None:
    import json

    from lr_dataset.commands import print_summary, summary

    repo_id, meta = _input(cfg)
    data = summary(meta.root, repo_id)
    print_summary(data)
    if cfg.operation.show_features:
        print("Features:")
        print(
            json.dumps(
                {k: dict(v) for k, v in meta.features.items()},
                indent=4,
                sort_keys=True,
                default=list,
            )
        )


HANDLERS = {
    "delete_episodes": _delete,
    "split": _split,
    "merge": _merge,
    "remove_feature": _remove_feature,
    "recompute_stats": _recompute_stats,
    "info": _info,
}


@command
def edit_main(argv: list[str]) -> int:
    """``lr dataset edit ...`` / ``lr dataset --operation.type=...``."""
    from lr_dataset.progress import show_progress

    cfg = parse_edit(list(argv))
    show_progress(cfg.progress_bar)
    # LeRobot's _validate_config: merge names its output, every other operation its input
    if cfg.operation.type == "merge" and not cfg.new_repo_id:
        raise ConfigError("--new_repo_id is required for merge (the merged dataset)")
    if cfg.operation.type != "merge" and not cfg.repo_id:
        raise ConfigError(
            f"--repo_id is required for {cfg.operation.type} (the input dataset identifier)"
        )
    HANDLERS[cfg.operation.type](cfg)
    return 0
