"""LeRobotDatasetMetadata: everything under ``meta/`` (info, stats, tasks, episodes).

Loading is cheap: ``meta/episodes`` is read without its ``stats/*`` columns, so a
10,000-episode dataset opens in a fraction of a second.

Crash consistency: the episodes table is the record of which episodes exist. A writer commits
an episode's data and video files before its episode row, and ``info.json`` / ``stats.json``
after it, so after a crash ``info.json`` may lag behind or (for files written by LeRobot, which
buffers episode rows) run ahead of the episodes table. Either way the counters are re-derived
from the episodes table and :attr:`LeRobotDatasetMetadata.repaired` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lr_core.features import DEFAULT_FEATURES, FeatureSpec, check_feature_key
from lr_core.paths import dataset_root
from lr_dataset import episodes as episodes_io
from lr_dataset import layout
from lr_dataset import stats as stats_io
from lr_dataset import tasks as tasks_io
from lr_dataset.consistency import check_episodes
from lr_dataset.errors import DatasetFormatError, DatasetWriteError
from lr_dataset.info import DatasetInfo
from lr_dataset.specs import check_features
from lr_dataset.tasks import TaskTable

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.hub_cache import HubSource

logger = logging.getLogger(__name__)


def resolve_root(repo_id: str, root: str | Path | None) -> Path:
    """``root`` or ``$HF_LEROBOT_HOME/<repo_id>``; a URL root is mirrored into a local cache."""
    from lr_dataset.remote import is_url

    if is_url(root):
        from lr_dataset.remote import materialize

        return materialize(str(root))
    return Path(root).expanduser() if root is not None else dataset_root(repo_id)


class LeRobotDatasetMetadata:
    """Metadata of a LeRobot v3.0 dataset.

    ``root`` is a local folder or a URL (:mod:`lr_dataset.remote`). Without it the dataset is
    ``$HF_LEROBOT_HOME/<repo_id>`` when one is there, else ``meta/`` is downloaded from the Hub
    into ``$HF_LEROBOT_HOME/hub`` as LeRobot does (:mod:`lr_dataset.hub_cache`; again with
    ``force_cache_sync=True``), and :attr:`hub` says from where.

    Attributes: ``info`` (:class:`DatasetInfo`), ``stats`` (``{feature: {stat: ndarray}}`` or
    ``None``), ``tasks`` (:class:`TaskTable`), ``episodes`` (:class:`EpisodeTable` or ``None``).
    """

    def __init__(
        self,
        repo_id: str,
        root: str | Path | None = None,
        revision: str | None = None,
        force_cache_sync: bool = False,
        *,
        token: str | bool | None = None,
    ) -> None:
        self.repo_id = repo_id
        self.hub: HubSource | None = None
        if root is None and (
            force_cache_sync or not (dataset_root(repo_id) / layout.INFO_PATH).exists()
        ):
            from lr_dataset.hub_cache import fetch_metadata

            self.root, self.hub = fetch_metadata(repo_id, revision=revision, token=token)
        else:
            self.root = resolve_root(repo_id, root)
        self.revision = revision or layout.CODEBASE_VERSION
        self.repaired = False
        self._load()

    def _load(self) -> None:
        if not self.root.exists():
            raise DatasetFormatError(
                f"dataset folder {self.root} does not exist (repo id {self.repo_id!r})"
            )
        self.info = DatasetInfo.load(self.root)
        self.tasks = tasks_io.load(self.root)
        self.episodes = episodes_io.load(self.root)
        if self.episodes is not None:
            check_episodes(
                self.root, self.episodes, fps=self.info.fps, video_keys=self.info.video_keys
            )
        self.stats = stats_io.load(self.root)
        self._reconcile()

    def _reconcile(self) -> None:
        """Re-derive counters from the episodes table when ``info.json`` disagrees with it."""
        n = 0 if self.episodes is None else len(self.episodes)
        frames = int(self.episodes.column("dataset_to_index")[-1]) if n else 0
        if (n, frames, len(self.tasks)) != (
            self.info.total_episodes,
            self.info.total_frames,
            self.info.total_tasks,
        ):
            logger.warning(
                "%s: info.json counts %d episodes / %d frames / %d tasks but meta/episodes and "
                "meta/tasks hold %d / %d / %d (an interrupted write); using those",
                self.root,
                self.info.total_episodes,
                self.info.total_frames,
                self.info.total_tasks,
                n,
                frames,
                len(self.tasks),
            )
            self.info.total_episodes = n
            self.info.total_frames = frames
            self.info.total_tasks = len(self.tasks)
            self.info.splits = {"train": f"0:{n}"}
            self.repaired = True

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(
        cls,
        repo_id: str,
        fps: int,
        features: Mapping[str, FeatureSpec | Mapping[str, Any]],
        robot_type: str | None = None,
        root: str | Path | None = None,
        use_videos: bool = True,
        chunks_size: int | None = None,
        data_files_size_in_mb: float | None = None,
        video_files_size_in_mb: float | None = None,
    ) -> LeRobotDatasetMetadata:
        """Start a new, empty dataset at ``root`` (which must not exist or be empty).

        Every feature is checked first (:func:`lr_dataset.specs.check_features`): nothing is
        created for a feature lr cannot store.
        """
        specs = user_features(features)
        check_features(specs)
        if any(s.dtype == "video" for s in specs.values()) and not use_videos:
            raise DatasetWriteError(
                "features declare video keys but use_videos=False: use dtype 'image' instead"
            )
        root_path = resolve_root(repo_id, root)
        if root_path.exists() and any(root_path.iterdir()):
            raise DatasetWriteError(
                f"{root_path} already exists and is not empty; choose a new root, or use "
                f"LeRobotDataset.resume(...) to add episodes to it"
            )
        root_path.mkdir(parents=True, exist_ok=True)
        obj = cls.__new__(cls)
        obj.repo_id = repo_id
        obj.root = root_path
        obj.revision = None
        obj.repaired = False
        obj.info = DatasetInfo.new(
            fps,
            specs,
            use_videos=use_videos,
            robot_type=robot_type,
            chunks_size=chunks_size,
            data_files_size_in_mb=data_files_size_in_mb,
            video_files_size_in_mb=video_files_size_in_mb,
        )
        obj.tasks = TaskTable()
        obj.episodes = None
        obj.stats = None
        obj.info.save(obj.root)
        return obj

    # ------------------------------------------------------------------ views
    @property
    def fps(self) -> int:
        """Frames per second."""
        return self.info.fps

    @property
    def features(self) -> dict[str, FeatureSpec]:
        """All features, the five default columns included."""
        return self.info.features

    @property
    def robot_type(self) -> str | None:
        """Robot type recorded in ``info.json``."""
        return self.info.robot_type

    @property
    def total_episodes(self) -> int:
        """Number of episodes."""
        return self.info.total_episodes

    @property
    def total_frames(self) -> int:
        """Number of frames."""
        return self.info.total_frames

    @property
    def total_tasks(self) -> int:
        """Number of distinct tasks."""
        return len(self.tasks)

    @property
    def chunks_size(self) -> int:
        """Files per chunk folder."""
        return self.info.chunks_size

    @property
    def data_path(self) -> str:
        """Template of data file paths."""
        return self.info.data_path

    @property
    def video_path(self) -> str | None:
        """Template of video file paths (``None`` for image-only datasets)."""
        return self.info.video_path

    @property
    def video_keys(self) -> list[str]:
        """Features stored as MP4."""
        return self.info.video_keys

    @property
    def image_keys(self) -> list[str]:
        """Features stored as PNG bytes in the data parquet."""
        return self.info.image_keys

    @property
    def camera_keys(self) -> list[str]:
        """Image and video features."""
        return self.info.camera_keys

    @property
    def depth_keys(self) -> list[str]:
        """Depth cameras."""
        return self.info.depth_keys

    @property
    def names(self) -> dict[str, Any]:
        """``names`` of every feature."""
        return {k: f.names for k, f in self.features.items()}

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """``shape`` of every feature."""
        return {k: tuple(f.shape) for k, f in self.features.items()}

    def get_task_index(self, task: str) -> int | None:
        """``task_index`` of ``task`` or ``None``."""
        return self.tasks.get(task)

    def episode(self, episode_index: int) -> dict[str, Any]:
        """The row of ``episode_index`` (without stats)."""
        if self.episodes is None:
            raise IndexError(f"episode {episode_index}: the dataset has no episodes")
        return self.episodes[episode_index]

    def get_data_file_path(self, ep_index: int) -> Path:
        """Relative path of the data file holding episode ``ep_index``."""
        ep = self.episode(ep_index)
        return Path(
            self.data_path.format(
                chunk_index=ep["data/chunk_index"], file_index=ep["data/file_index"]
            )
        )

    def get_video_file_path(self, ep_index: int, vid_key: str) -> Path:
        """Relative path of the MP4 holding ``vid_key`` of episode ``ep_index``."""
        ep = self.episode(ep_index)
        if self.video_path is None:
            raise DatasetFormatError(f"{self.root}: the dataset has no videos (video_path null)")
        return Path(
            self.video_path.format(
                video_key=vid_key,
                chunk_index=ep[f"videos/{vid_key}/chunk_index"],
                file_index=ep[f"videos/{vid_key}/file_index"],
            )
        )

    def files_of(self, episodes: Sequence[int] | None = None, *, videos: bool = True) -> list[str]:
        """Relative paths of the data files (and MP4s, with ``videos``) holding ``episodes``
        (all when ``None``), sorted."""
        if self.episodes is None:
            return []
        eps = self.episodes
        selected = range(len(eps)) if episodes is None else sorted({int(e) for e in episodes})
        chunks, files = eps.column("data/chunk_index"), eps.column("data/file_index")
        out = {
            self.data_path.format(chunk_index=int(chunks[e]), file_index=int(files[e]))
            for e in selected
            if 0 <= e < len(eps)
        }
        if videos and self.video_path is not None:
            for key in self.video_keys:
                vc = eps.column(f"videos/{key}/chunk_index")
                vf = eps.column(f"videos/{key}/file_index")
                out.update(
                    self.video_path.format(
                        video_key=key, chunk_index=int(vc[e]), file_index=int(vf[e])
                    )
                    for e in selected
                    if 0 <= e < len(eps)
                )
        return sorted(out)

    def episode_stats(self) -> list[dict[str, dict[str, np.ndarray]]]:
        """Per-episode stats read from the ``stats/*`` columns of ``meta/episodes``."""
        return episodes_io.load_stats(self.root)

    def __repr__(self) -> str:
        return (
            f"LeRobotDatasetMetadata(repo_id={self.repo_id!r}, root='{self.root}', "
            f"episodes={self.total_episodes}, frames={self.total_frames}, fps={self.fps}, "
            f"features={list(self.features)})"
        )


def user_features(
    features: Mapping[str, FeatureSpec | Mapping[str, Any]],
) -> dict[str, FeatureSpec]:
    """The user's features as specs (``info.json`` dicts parsed), without the five default
    columns; errors name the feature."""
    specs: dict[str, FeatureSpec] = {}
    for key, value in features.items():
        check_feature_key(key)
        if key in DEFAULT_FEATURES:
            continue
        specs[key] = (
            value
            if isinstance(value, FeatureSpec)
            else FeatureSpec.from_json(_plain(value), key=key)
        )
    return specs


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(value)
    if "shape" in out:
        out["shape"] = tuple(out["shape"])
    return out


def as_metadata(dataset: Any, repo_id: str | None = None) -> LeRobotDatasetMetadata:
    """The metadata of ``dataset``: a root folder, metadata, or anything with ``.meta`` (a
    ``LeRobotDataset``)."""
    if isinstance(dataset, LeRobotDatasetMetadata):
        return dataset
    meta = getattr(dataset, "meta", None)
    if isinstance(meta, LeRobotDatasetMetadata):
        return meta
    if isinstance(dataset, (str, Path)):
        root = Path(dataset).expanduser()
        return LeRobotDatasetMetadata(repo_id or f"local/{root.name}", root=root)
    raise TypeError(
        f"expected a dataset folder, LeRobotDatasetMetadata or LeRobotDataset, got "
        f"{type(dataset).__name__}"
    )
