"""LeRobotDataset: one class to read a LeRobot v3.0 dataset and to record one.

Reading::

    ds = LeRobotDataset("user/pick", root="data/pick",
                        delta_timestamps={"action": [i / 30 for i in range(30)]})
    item = ds[0]          # {"observation.state": ndarray, "action": (30, 6), "action_is_pad": ...}

Writing::

    ds = LeRobotDataset.create("user/pick", fps=30, features=..., root="data/pick")
    ds.add_frame({"observation.state": s, "action": a, "task": "pick the cube"})
    ds.save_episode()
    ds.finalize()

This class returns numpy arrays; ``from lr_dataset import LeRobotDataset`` gives the torch
flavour (:mod:`lr_dataset.torch_dataset`) whenever torch is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lr_core.features import FeatureSpec
from lr_dataset.errors import DatasetWriteError
from lr_dataset.metadata import LeRobotDatasetMetadata, user_features
from lr_dataset.reader import DatasetReader
from lr_dataset.specs import check_features
from lr_dataset.video.encode import VideoEncoderConfig
from lr_dataset.writer import DatasetWriter


class LeRobotDataset:
    """A LeRobot v3.0 dataset on local disk; ``ds[i]`` is frame ``i`` of the selected episodes.

    Items hold every parquet column (shape-(1,) columns as scalars), each camera as float32
    ``(C, H, W)`` in [0, 1], ``task`` (str) and, with ``delta_timestamps``, windows of shape
    ``(len(deltas), ...)`` plus boolean ``<key>_is_pad`` masks (positions outside the episode
    repeat its first/last frame).
    """

    def __init__(
        self,
        repo_id: str,
        root: str | Path | None = None,
        episodes: Sequence[int] | None = None,
        delta_timestamps: Mapping[str, Sequence[float]] | None = None,
        image_transforms: Callable[[Any], Any] | None = None,
        tolerance_s: float = 1e-4,
        revision: str | None = None,
        *,
        episode_filter: Callable[[dict[str, Any]], bool] | None = None,
        return_uint8: bool = False,
        video_backend: str | None = None,
        force_cache_sync: bool = False,
        download_videos: bool = True,
        token: str | bool | None = None,
    ) -> None:
        """Open the dataset at ``root`` (a folder or URL).

        Without ``root``: ``$HF_LEROBOT_HOME/<repo_id>`` when a dataset is there, else the Hub
        repo ``repo_id`` at ``revision`` (default: its ``v3.0`` tag), downloaded into
        ``$HF_LEROBOT_HOME/hub`` as LeRobot does: the metadata, then the data files of the
        selected episodes and, unless ``download_videos=False``, their videos; files already
        cached are reused, ``force_cache_sync=True`` fetches the metadata again (see
        :mod:`lr_dataset.hub_cache`). ``token`` is the Hub token (default: huggingface_hub's).

        ``episode_filter`` keeps the episodes whose metadata row (a dict without stats) it
        accepts, within ``episodes`` when both are given. ``video_backend`` is accepted so
        LeRobot code runs unchanged; lr decodes with PyAV.
        """
        if image_transforms is not None and not callable(image_transforms):
            raise TypeError("image_transforms must be callable or None")
        if video_backend not in (None, "pyav", "torchcodec", "video_reader"):
            raise ValueError(f"unknown video_backend {video_backend!r}")
        self.repo_id = repo_id
        self.meta = LeRobotDatasetMetadata(
            repo_id, root=root, revision=revision, force_cache_sync=force_cache_sync, token=token
        )
        if episode_filter is not None and self.meta.episodes is not None:
            candidates = set(episodes) if episodes is not None else None
            episodes = [
                row["episode_index"]
                for row in self.meta.episodes
                if (candidates is None or row["episode_index"] in candidates)
                and episode_filter(row)
            ]
        if self.meta.hub is not None:
            from lr_dataset.hub_cache import fetch_files

            fetch_files(self.meta.hub, self.meta.files_of(episodes, videos=download_videos))
        self.root = self.meta.root
        self.revision = revision
        self.tolerance_s = tolerance_s
        self.image_transforms = image_transforms
        self.delta_timestamps = dict(delta_timestamps) if delta_timestamps else None
        self.episodes = list(episodes) if episodes is not None else None
        self.return_uint8 = return_uint8
        self.writer: DatasetWriter | None = None
        self._reader: DatasetReader | None = None
        self._reader = self._make_reader()

    def _make_reader(self) -> DatasetReader:
        return DatasetReader(
            self.meta,
            episodes=self.episodes,
            delta_timestamps=self.delta_timestamps,
            tolerance_s=self.tolerance_s,
            return_uint8=self.return_uint8,
        )

    # ------------------------------------------------------------------ writing
    @classmethod
    def create(
        cls,
        repo_id: str,
        fps: int,
        features: Mapping[str, FeatureSpec | Mapping[str, Any]],
        root: str | Path | None = None,
        robot_type: str | None = None,
        use_videos: bool = True,
        tolerance_s: float = 1e-4,
        *,
        video_encoder: VideoEncoderConfig | None = None,
        vcodec: str | None = None,
        encoder_threads: int | None = None,
        encoder_queue_maxsize: int = 120,
        chunks_size: int | None = None,
        data_files_size_in_mb: float | None = None,
        video_files_size_in_mb: float | None = None,
        rgb_encoder: Any = None,
        **lerobot_options: Any,
    ) -> LeRobotDataset:
        """Start recording a new dataset at ``root`` (default ``$HF_LEROBOT_HOME/<repo_id>``).

        ``features`` maps names to :class:`FeatureSpec` (or their ``info.json`` dicts); the five
        default columns are added. ``vcodec`` (``"libsvtav1"``, ``"h264"``...) is a shortcut for
        ``video_encoder=VideoEncoderConfig(vcodec=...)``; a LeRobot ``rgb_encoder`` config is read
        the same way. LeRobot's tuning options (``image_writer_threads``,
        ``batch_encoding_size``, ``streaming_encoding``...) are accepted and have no effect:
        frames are always encoded in the background. Any other keyword is a ``TypeError``.
        """
        _check_lerobot_options("create", lerobot_options)
        video_encoder = _encoder(video_encoder, vcodec, rgb_encoder) or VideoEncoderConfig()
        specs = user_features(features)
        if use_videos and any(spec.dtype == "video" for spec in specs.values()):
            video_encoder.check_available()
        # every feature (video sizes with this encoder) before the folder is created
        check_features(specs, video_encoder=video_encoder if use_videos else None)
        meta = LeRobotDatasetMetadata.create(
            repo_id,
            fps,
            features,
            robot_type=robot_type,
            root=root,
            use_videos=use_videos,
            chunks_size=chunks_size,
            data_files_size_in_mb=data_files_size_in_mb,
            video_files_size_in_mb=video_files_size_in_mb,
        )
        try:
            writer = DatasetWriter(
                meta,
                video_encoder=video_encoder,
                encoder_threads=encoder_threads,
                encoder_queue_maxsize=encoder_queue_maxsize,
            )
        except BaseException:
            import shutil

            shutil.rmtree(meta.root, ignore_errors=True)
            raise
        return cls._writing(repo_id, meta, writer, tolerance_s)

    @classmethod
    def resume(
        cls,
        repo_id: str,
        root: str | Path | None = None,
        tolerance_s: float = 1e-4,
        revision: str | None = None,
        *,
        video_encoder: VideoEncoderConfig | None = None,
        vcodec: str | None = None,
        encoder_threads: int | None = None,
        encoder_queue_maxsize: int = 120,
        rgb_encoder: Any = None,
        **lerobot_options: Any,
    ) -> LeRobotDataset:
        """Reopen an existing dataset to add episodes (repairing an interrupted write first).

        New episodes go to new data/video/episodes files, as in LeRobot. The encoder defaults to
        the settings recorded in ``info.json``.
        """
        from lr_dataset.metadata import resolve_root
        from lr_dataset.recovery import repair

        _check_lerobot_options("resume", lerobot_options)
        path = resolve_root(repo_id, root)
        repair(path, repo_id)
        meta = LeRobotDatasetMetadata(repo_id, root=path, revision=revision)
        video_encoder = _encoder(video_encoder, vcodec, rgb_encoder)
        if video_encoder is None and meta.video_keys:
            video_encoder = VideoEncoderConfig.from_info(meta.features[meta.video_keys[0]].info)
        writer = DatasetWriter(
            meta,
            video_encoder=video_encoder,
            encoder_threads=encoder_threads,
            encoder_queue_maxsize=encoder_queue_maxsize,
            resume=True,
        )
        return cls._writing(repo_id, meta, writer, tolerance_s)

    @classmethod
    def _writing(
        cls, repo_id: str, meta: LeRobotDatasetMetadata, writer: DatasetWriter, tolerance_s: float
    ) -> LeRobotDataset:
        obj = cls.__new__(cls)
        obj.repo_id = repo_id
        obj.meta = meta
        obj.root = meta.root
        obj.revision = None
        obj.tolerance_s = tolerance_s
        obj.image_transforms = None
        obj.delta_timestamps = None
        obj.episodes = None
        obj.return_uint8 = False
        obj.writer = writer
        obj._reader = None
        return obj

    def _require_writer(self, what: str) -> DatasetWriter:
        if self.writer is None:
            raise DatasetWriteError(
                f"{what}() needs a dataset opened with LeRobotDataset.create() or .resume()"
            )
        return self.writer

    def add_frame(self, frame: dict[str, Any]) -> None:
        """Add one frame (every feature plus ``frame["task"]``) to the current episode."""
        self._require_writer("add_frame").add_frame(frame)

    def save_episode(self, *, background: bool = False) -> int:
        """Commit the current episode to disk (crash-safe); returns its index.

        ``background=True`` returns at once and commits on a writer thread while the next
        episode is recorded; the episode is durable after :meth:`wait_for_saves` (or
        ``finalize``). See :class:`~lr_dataset.writer.DatasetWriter`.
        """
        return self._require_writer("save_episode").save_episode(background=background)

    def prepare_episode(self, *, wait: bool = True) -> None:
        """Open the next episode's video encoders now rather than at its first frame (see
        :meth:`~lr_dataset.writer.DatasetWriter.prepare_episode`)."""
        self._require_writer("prepare_episode").prepare_episode(wait=wait)

    def discard_last_episode(self) -> int:
        """Remove the last episode saved by this session (re-record it); returns its index
        (see :meth:`~lr_dataset.writer.DatasetWriter.discard_last_episode`)."""
        return self._require_writer("discard_last_episode").discard_last_episode()

    def wait_for_saves(self) -> None:
        """Block until every episode given to ``save_episode`` is on disk."""
        self._require_writer("wait_for_saves").wait_for_saves()

    def clear_episode_buffer(self) -> None:
        """Discard the frames of the current, unsaved episode."""
        self._require_writer("clear_episode_buffer").clear_episode_buffer()

    @property
    def has_pending_frames(self) -> bool:
        """True when frames were added since the last ``save_episode``."""
        return self.writer is not None and self.writer.num_buffered_frames > 0

    def finalize(self) -> None:
        """Stop the background workers; the dataset becomes readable (idempotent)."""
        if self.writer is not None:
            self.writer.finalize()
        self.meta = LeRobotDatasetMetadata(self.repo_id, root=self.root)

    # ------------------------------------------------------------------ reading
    @property
    def reader(self) -> DatasetReader:
        """The frame reader (after ``finalize`` for a dataset being written)."""
        if self._reader is None:
            if self.writer is not None and not self.writer.finalized:
                raise DatasetWriteError(
                    "the dataset is being recorded: call finalize() before reading frames"
                )
            self._reader = self._make_reader()
        return self._reader

    @property
    def fps(self) -> int:
        """Frames per second."""
        return self.meta.fps

    @property
    def features(self) -> dict[str, FeatureSpec]:
        """All features."""
        return self.meta.features

    @property
    def num_frames(self) -> int:
        """Frames in the selected episodes."""
        if self._reader is None and self.writer is not None:
            return self.meta.total_frames
        return self.reader.num_frames

    @property
    def num_episodes(self) -> int:
        """Selected episodes."""
        if self._reader is None and self.writer is not None:
            return self.meta.total_episodes
        return self.reader.num_episodes

    def __len__(self) -> int:
        return self.num_frames

    def column(self, key: str, episode_index: int | None = None) -> Any:
        """All values of a numeric column (``action``, ``timestamp``...) as one numpy array,
        over the selected episodes or only ``episode_index``; no video is decoded."""
        return self.reader.column(key, episode_index)

    def scan_frames(self) -> Any:
        """The selected episodes' frames as a lazy polars view joined with their task and episode
        row (no video decoded): see :func:`lr_dataset.frames.scan_frames`."""
        from lr_dataset.frames import scan_frames

        return scan_frames(self.meta, self.episodes)

    def set_return_uint8(self, flag: bool) -> None:
        """Return camera frames as uint8 ``(C, H, W)`` in [0, 255] (``True``) or float32 in
        [0, 1] (``False``) from now on."""
        self.return_uint8 = bool(flag)
        if self._reader is not None:
            self._reader.return_uint8 = self.return_uint8

    def get_raw_item(self, idx: int) -> dict[str, Any]:
        """Frame ``idx`` as numpy, before image transforms."""
        return self.reader.get_item(int(idx))

    def __getitem__(self, idx: int) -> dict[str, Any]:
        item = self.get_raw_item(idx)
        if self.image_transforms is not None:
            for key in self.meta.camera_keys:
                if key not in self.meta.depth_keys:
                    item[key] = self.image_transforms(item[key])
        return item

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(repo_id={self.repo_id!r}, root='{self.root}', "
            f"episodes={self.meta.total_episodes}, frames={self.meta.total_frames}, "
            f"fps={self.fps}, features={list(self.features)})"
        )


#: LeRobot ``create``/``resume`` options that have no counterpart here (background encoding is
#: always on, files are local); accepted so that ported code runs.
LEROBOT_NOOP_OPTIONS = frozenset(
    {
        "image_writer_processes",
        "image_writer_threads",
        "video_backend",
        "batch_encoding_size",
        "depth_encoder",
        "metadata_buffer_size",
        "streaming_encoding",
        "force_cache_sync",
        "token",
    }
)


def _check_lerobot_options(method: str, options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - LEROBOT_NOOP_OPTIONS)
    if unknown:
        raise TypeError(f"LeRobotDataset.{method}() got unexpected keyword argument(s) {unknown}")


def _encoder(
    video_encoder: VideoEncoderConfig | None, vcodec: str | None, rgb_encoder: Any
) -> VideoEncoderConfig | None:
    """The encoder settings from lr's or LeRobot's way of giving them (or ``None``)."""
    if video_encoder is not None:
        return video_encoder
    if vcodec:
        return VideoEncoderConfig(vcodec=vcodec)
    if rgb_encoder is not None:
        fields = ("vcodec", "pix_fmt", "g", "crf", "preset", "fast_decode", "extra_options")
        return VideoEncoderConfig(
            **{
                f: getattr(rgb_encoder, f)
                for f in fields
                if getattr(rgb_encoder, f, None) is not None
            }
        )
    return None
