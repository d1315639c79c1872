"""``lr dataset <tool>``: the editing tools, the converter and the Hub as typed commands.

Each subcommand is an :class:`~lr_core.config.LrConfig` parsed like every ``lr`` command
(``--key=value`` flags, ``--config_path=FILE``, ``--help`` listing every field); the dataset may
also be given first, as before (``lr dataset split ROOT --split=train=0.8 ...``), see
:mod:`lr_dataset.cli_args`. LeRobot's ``lerobot-edit-dataset`` form is
:mod:`lr_dataset.tools.edit_cli` (``lr dataset edit`` or ``lr dataset --operation.type=...``).
Cheap to import: each command imports its tool when it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from lr_core.cli import Command
from lr_core.config import IndexList, LrConfig
from lr_core.errors import ConfigError
from lr_dataset.cli_args import command, parse_command, report_written, resolve_dataset


class SourceConfig(LrConfig):
    """The dataset a tool reads (give one of ``DATASET``, ``--root``, ``--repo_id``)."""

    dataset: str | None = Field(
        None, description="dataset folder, or Hub repo id user/name (given first, no flag)"
    )
    repo_id: str | None = Field(
        None, description="repo id user/name: $HF_LEROBOT_HOME/<repo_id>, else the Hub"
    )
    root: str | None = Field(None, description="dataset folder")
    progress_bar: bool = Field(True, description="show progress bars with ETA on stderr")

    def source(self, prog: str) -> Any:
        """The dataset's metadata (downloaded from the Hub for a repo id not found locally)."""
        from lr_dataset.metadata import LeRobotDatasetMetadata
        from lr_dataset.progress import show_progress

        show_progress(self.progress_bar)
        repo_id, root = resolve_dataset(self.dataset, self.repo_id, self.root, prog=prog)
        if root is None:
            from lr_dataset.dataset import LeRobotDataset

            return LeRobotDataset(repo_id).meta  # metadata and files, as LeRobot does
        return LeRobotDatasetMetadata(repo_id, root=root)


class DeleteEpisodesConfig(SourceConfig):
    """lr dataset delete-episodes DATASET --episodes=1,3,5-8 --output=OUT: write a copy of a
    dataset without some episodes (renumbered 0..N-1)."""

    episodes: IndexList = Field(description="episodes to delete: '1,3,5-8' or '[1, 3]'")
    output: str = Field(description="new dataset folder (must not exist or be empty)")
    new_repo_id: str | None = Field(None, description="repo id of the new dataset")


def _rejoin_splits(value: Any) -> Any:
    """``--split=val=0-3,9`` arrives split at its commas (a list flag): items without ``=``
    continue the previous split's episode list."""
    if not isinstance(value, list):
        return value
    out: list[str] = []
    for item in value:
        if isinstance(item, str) and "=" not in item and out:
            out[-1] = f"{out[-1]},{item}"
        else:
            out.append(item)
    return out


class SplitConfig(SourceConfig):
    """lr dataset split DATASET --split=train=0.8 --split=val=0.2 --output=OUT: one dataset per
    split in OUT/<name>. A split is NAME=FRACTION (consecutive episodes) or NAME=EPISODES
    ('0-7,9'); or all of them as LeRobot's JSON: --splits='{"train": 0.8, "val": [8, 9]}'."""

    split: Annotated[list[str], BeforeValidator(_rejoin_splits)] = Field(
        default_factory=list, description="NAME=FRACTION or NAME=EPISODES (repeatable)"
    )
    splits: dict[str, float | IndexList] | None = Field(
        None, description="LeRobot's form: JSON {name: fraction or episode list}"
    )
    output: str = Field(description="folder receiving one dataset per split")


class MergeConfig(LrConfig):
    """lr dataset merge DATASET DATASET... --output=OUT: merge datasets with the same fps,
    robot type and features, one after the other."""

    datasets: list[str] = Field(default_factory=list, description="dataset folders, in order")
    output: str = Field(description="new dataset folder (must not exist or be empty)")
    repo_id: str = Field("local/merged", description="repo id of the merged dataset")
    keep_video_files: bool = Field(
        False, description="copy each source MP4 as it is instead of joining them"
    )
    progress_bar: bool = Field(True, description="show progress bars with ETA on stderr")


class AddFeatureConfig(SourceConfig):
    """lr dataset add-feature DATASET --name=K --values=V.npy --output=OUT: write a copy with a
    numeric feature whose values (one row per frame, in 'index' order) come from a .npy file."""

    name: str = Field(description="feature name, e.g. observation.extra")
    values: str = Field(description=".npy file of shape (total_frames,) or (total_frames, n)")
    dtype: str | None = Field(None, description="dtype (default: the array's)")
    names: list[str] | None = Field(None, description="names of the n dimensions")
    output: str = Field(description="new dataset folder")


class RemoveFeatureConfig(SourceConfig):
    """lr dataset remove-feature DATASET --feature=K [--feature=K2] --output=OUT: write a copy
    without some features (a camera's videos too)."""

    feature: list[str] = Field(description="feature(s) to remove")
    output: str = Field(description="new dataset folder")


class RecomputeStatsConfig(SourceConfig):
    """lr dataset recompute-stats DATASET --output=OUT [--include_visual]: write a copy whose
    statistics (quantiles included) are computed again from the data."""

    output: str = Field(description="new dataset folder")
    include_visual: bool = Field(False, description="also decode every camera frame")


class ConvertConfig(SourceConfig):
    """lr dataset convert DATASET --output=OUT: convert a LeRobot v2.1 dataset folder to v3.0
    (a new folder)."""

    output: str = Field(description="new v3.0 dataset folder (must not exist or be empty)")
    data_file_size_in_mb: float | None = Field(None, description="data file size limit")
    video_file_size_in_mb: float | None = Field(None, description="video file size limit")


class PushConfig(LrConfig):
    """lr dataset push DATASET --repo_id=USER/NAME: upload a dataset folder to a Hugging Face
    dataset repo in one commit and tag it v3.0."""

    dataset: str = Field(description="dataset folder (given first, no flag)")
    repo_id: str = Field(description="Hub repo id user/name")
    branch: str | None = Field(None, description="branch to push to")
    private: bool = Field(False, description="create the repo private")
    videos: bool = Field(True, description="upload videos/ (--no-videos leaves them out)")
    tag: bool = Field(
        True,
        description="tag the pushed commit v3.0, moving an existing tag (--no-tag: do not)",
    )


class PullConfig(LrConfig):
    """lr dataset pull USER/NAME [--output=DIR]: download a dataset repo from the Hub."""

    repo_id: str = Field(description="Hub repo id user/name (given first, no flag)")
    output: str | None = Field(None, description="folder (default $HF_LEROBOT_HOME/<repo_id>)")
    revision: str | None = Field(None, description="branch, tag or commit (default: v3.0)")
    videos: bool = Field(True, description="download videos/ (--no-videos leaves them out)")


def _parse_splits(cfg: SplitConfig) -> dict[str, float | list[int]]:
    from lr_core.config import parse_index_list

    if cfg.splits and cfg.split:
        raise ConfigError("give --split=NAME=VALUE flags or --splits='{...}', not both")
    if cfg.splits:
        return dict(cfg.splits)
    if not cfg.split:
        raise ConfigError("no split given: --split=train=0.8 --split=val=0.2")
    out: dict[str, float | list[int]] = {}
    for item in cfg.split:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"--split={item}: expected NAME=FRACTION or NAME=EPISODES")
        if "." in value and "," not in value and "-" not in value:
            try:
                out[name] = float(value)
            except ValueError as exc:
                raise ConfigError(f"--split={item}: {value!r} is not a fraction") from exc
        else:
            try:
                out[name] = parse_index_list(value)
            except ValueError as exc:
                raise ConfigError(f"--split={item}: {exc}") from exc
    return out


PROG = "lr dataset"


@command
def delete_episodes_main(argv: list[str]) -> int:
    """``lr dataset delete-episodes``."""
    prog = f"{PROG} delete-episodes"
    cfg = parse_command(
        DeleteEpisodesConfig,
        argv,
        prog=prog,
        positional="dataset",
        aliases={"--episode_indices": "--episodes"},
    )
    from lr_dataset.tools.delete import delete_episodes

    meta = cfg.source(prog)
    report_written(delete_episodes(meta, cfg.episodes, cfg.output, cfg.new_repo_id).meta)
    return 0


@command
def split_main(argv: list[str]) -> int:
    """``lr dataset split``."""
    prog = f"{PROG} split"
    cfg = parse_command(SplitConfig, argv, prog=prog, positional="dataset")
    from lr_dataset.tools.split import split_dataset

    splits = _parse_splits(cfg)
    for ds in split_dataset(cfg.source(prog), splits, cfg.output).values():
        report_written(ds.meta)
    return 0


@command
def merge_main(argv: list[str]) -> int:
    """``lr dataset merge``."""
    prog = f"{PROG} merge"
    cfg = parse_command(MergeConfig, argv, prog=prog, positional="datasets")
    from lr_dataset.metadata import LeRobotDatasetMetadata
    from lr_dataset.progress import show_progress
    from lr_dataset.tools.merge import merge_datasets

    show_progress(cfg.progress_bar)
    if len(cfg.datasets) < 2:
        raise ConfigError(f"give at least two dataset folders, got {cfg.datasets}")
    metas = []
    for dataset in cfg.datasets:
        repo_id, root = resolve_dataset(dataset, None, None, prog=prog)
        metas.append(LeRobotDatasetMetadata(repo_id, root=root))
    merged = merge_datasets(
        metas, cfg.output, cfg.repo_id, concatenate_videos=not cfg.keep_video_files
    )
    report_written(merged.meta)
    return 0


@command
def add_feature_main(argv: list[str]) -> int:
    """``lr dataset add-feature``."""
    prog = f"{PROG} add-feature"
    cfg = parse_command(AddFeatureConfig, argv, prog=prog, positional="dataset")
    import numpy as np

    from lr_dataset.tools.features import add_features

    try:
        values = np.load(Path(cfg.values).expanduser())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--values={cfg.values}: cannot read a .npy array: {exc}") from exc
    if values.ndim == 1:
        values = values[:, None]
    info = {"dtype": cfg.dtype or str(values.dtype), "shape": [int(values.shape[1])]}
    info["names"] = cfg.names  # type: ignore[assignment]
    report_written(add_features(cfg.source(prog), {cfg.name: (values, info)}, cfg.output).meta)
    return 0


@command
def remove_feature_main(argv: list[str]) -> int:
    """``lr dataset remove-feature``."""
    prog = f"{PROG} remove-feature"
    cfg = parse_command(
        RemoveFeatureConfig,
        argv,
        prog=prog,
        positional="dataset",
        aliases={"--feature_names": "--feature"},
    )
    from lr_dataset.tools.features import remove_features

    report_written(remove_features(cfg.source(prog), cfg.feature, cfg.output).meta)
    return 0


@command
def recompute_stats_main(argv: list[str]) -> int:
    """``lr dataset recompute-stats``."""
    prog = f"{PROG} recompute-stats"
    cfg = parse_command(RecomputeStatsConfig, argv, prog=prog, positional="dataset")
    from lr_dataset.tools.recompute import recompute_stats

    out = recompute_stats(cfg.source(prog), cfg.output, include_visual=cfg.include_visual)
    report_written(out.meta)
    return 0


@command
def convert_main(argv: list[str]) -> int:
    """``lr dataset convert``: v2.1 -> v3.0."""
    prog = f"{PROG} convert"
    cfg = parse_command(ConvertConfig, argv, prog=prog, positional="dataset")
    from lr_dataset.progress import show_progress
    from lr_dataset.tools.convert import convert_v21

    show_progress(cfg.progress_bar)
    if cfg.dataset is None and cfg.root is None:
        raise ConfigError("give the v2.1 dataset folder (DATASET or --root=FOLDER)")
    root = Path(cfg.dataset or cfg.root or "").expanduser()
    if not root.exists():
        raise ConfigError(f"the folder {root} does not exist")
    meta = convert_v21(
        root,
        cfg.output,
        data_files_size_in_mb=cfg.data_file_size_in_mb,
        video_files_size_in_mb=cfg.video_file_size_in_mb,
    )
    report_written(meta)
    return 0


@command
def push_main(argv: list[str]) -> int:
    """``lr dataset push``."""
    prog = f"{PROG} push"
    cfg = parse_command(
        PushConfig,
        argv,
        prog=prog,
        positional="dataset",
        aliases={"--no_videos": "--videos=false", "--no_tag": "--tag=false"},
    )
    from lr_dataset.tools.hub import push

    _, root = resolve_dataset(cfg.dataset, None, None, prog=prog)
    if root is None:
        raise ConfigError(f"the folder {cfg.dataset} does not exist")
    url = push(
        root,
        cfg.repo_id,
        branch=cfg.branch,
        private=cfg.private,
        push_videos=cfg.videos,
        tag_version=cfg.tag,
    )
    print(f"pushed {root} to {url}")
    return 0


@command
def pull_main(argv: list[str]) -> int:
    """``lr dataset pull``."""
    prog = f"{PROG} pull"
    cfg = parse_command(
        PullConfig,
        argv,
        prog=prog,
        positional="repo_id",
        aliases={"--no_videos": "--videos=false"},
    )
    from lr_dataset.tools.hub import pull

    root = pull(cfg.repo_id, cfg.output, revision=cfg.revision, download_videos=cfg.videos)
    print(f"pulled {cfg.repo_id} to {root}")
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
