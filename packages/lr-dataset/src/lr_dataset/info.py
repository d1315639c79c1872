"""``meta/info.json``: the dataset's schema, counters and path templates.

:class:`DatasetInfo` reads and writes the file exactly as LeRobot v3.0 does (same keys, same
order, indent 4). Keys it does not know (``total_videos`` from a v2.x conversion, ``tools``...)
are kept, so a read-modify-write round trip loses nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from lr_core.features import (
    DEFAULT_FEATURES,
    FeatureSpec,
    features_from_json,
    features_to_json,
)
from lr_core.fileio import atomic_write_text
from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError


class DatasetInfo(BaseModel):
    """The content of ``meta/info.json`` (LeRobot ``DatasetInfo``), features as lr-core specs."""

    model_config = ConfigDict(extra="allow", validate_assignment=False)

    codebase_version: str = layout.CODEBASE_VERSION
    fps: int
    features: dict[str, FeatureSpec]
    total_episodes: int = 0
    total_frames: int = 0
    total_tasks: int = 0
    chunks_size: int = layout.DEFAULT_CHUNK_SIZE
    data_files_size_in_mb: float = layout.DEFAULT_DATA_FILE_SIZE_IN_MB
    video_files_size_in_mb: float = layout.DEFAULT_VIDEO_FILE_SIZE_IN_MB
    data_path: str = layout.DATA_PATH
    video_path: str | None = layout.VIDEO_PATH
    robot_type: str | None = None
    splits: dict[str, str] = {}

    @field_validator("features", mode="before")
    @classmethod
    def _parse_features(cls, value: Any) -> Any:
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            return features_from_json(value)
        return value

    @field_validator("fps", "chunks_size")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError(f"must be positive, got {value}")
        return value

    @classmethod
    def new(
        cls,
        fps: int,
        features: dict[str, FeatureSpec],
        *,
        use_videos: bool,
        robot_type: str | None = None,
        chunks_size: int | None = None,
        data_files_size_in_mb: float | None = None,
        video_files_size_in_mb: float | None = None,
    ) -> DatasetInfo:
        """An empty dataset's info: user features followed by the five default columns."""
        return cls(
            fps=fps,
            features={**features, **DEFAULT_FEATURES},
            robot_type=robot_type,
            chunks_size=chunks_size or layout.DEFAULT_CHUNK_SIZE,
            data_files_size_in_mb=data_files_size_in_mb or layout.DEFAULT_DATA_FILE_SIZE_IN_MB,
            video_files_size_in_mb=video_files_size_in_mb or layout.DEFAULT_VIDEO_FILE_SIZE_IN_MB,
            video_path=layout.VIDEO_PATH if use_videos else None,
        )

    # ------------------------------------------------------------------ derived views
    @property
    def video_keys(self) -> list[str]:
        """Features stored as MP4 videos."""
        return [k for k, f in self.features.items() if f.dtype == "video"]

    @property
    def image_keys(self) -> list[str]:
        """Features stored as PNG bytes inside the data parquet."""
        return [k for k, f in self.features.items() if f.dtype == "image"]

    @property
    def camera_keys(self) -> list[str]:
        """Image and video features."""
        return [k for k, f in self.features.items() if f.is_visual]

    @property
    def depth_keys(self) -> list[str]:
        """Visual features flagged ``info.is_depth_map``."""
        return [k for k in self.camera_keys if (self.features[k].info or {}).get("is_depth_map")]

    # ------------------------------------------------------------------ (de)serialisation
    def to_json(self) -> dict[str, Any]:
        """The ``info.json`` dict, in LeRobot's key order, extra keys last."""
        out: dict[str, Any] = {
            "codebase_version": self.codebase_version,
            "fps": self.fps,
            "features": features_to_json(self.features),
            "total_episodes": self.total_episodes,
            "total_frames": self.total_frames,
            "total_tasks": self.total_tasks,
            "chunks_size": self.chunks_size,
            "data_files_size_in_mb": _num(self.data_files_size_in_mb),
            "video_files_size_in_mb": _num(self.video_files_size_in_mb),
            "data_path": self.data_path,
            "video_path": self.video_path,
            "robot_type": self.robot_type,
            "splits": dict(self.splits),
        }
        out.update(self.model_extra or {})
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str = "info.json") -> DatasetInfo:
        """Parse an ``info.json`` dict; errors name ``source``."""
        try:
            return cls.model_validate(data)
        except ValueError as exc:
            raise DatasetFormatError(f"{source} is invalid: {exc}") from exc

    @classmethod
    def load(cls, root: Path) -> DatasetInfo:
        """Read ``<root>/meta/info.json``."""
        path = root / layout.INFO_PATH
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError as exc:
            legacy = (root / layout.LEGACY_EPISODES_PATH).exists()
            hint = " (this looks like a v2.1 dataset: convert it to v3.0)" if legacy else ""
            raise DatasetFormatError(f"{path} not found: not a LeRobot v3.0 dataset{hint}") from exc
        except json.JSONDecodeError as exc:
            raise DatasetFormatError(f"{path} is not valid JSON: {exc}") from exc
        info = cls.from_json(data, source=str(path))
        check_version(info.codebase_version, path)
        return info

    def save(self, root: Path) -> None:
        """Atomically replace ``<root>/meta/info.json`` (indent 4, as LeRobot writes it)."""
        atomic_write_text(root / layout.INFO_PATH, json.dumps(self.to_json(), indent=4))


def check_version(version: str, path: Path | str) -> None:
    """Accept v3.x; a v2.x or v1.x dataset is an error that says how to convert it."""
    major = version.lstrip("v").split(".")[0]
    if major != "3":
        raise DatasetFormatError(
            f"{path}: codebase_version {version!r} is not supported; lr reads v3.0 datasets "
            f"(convert a v2.1 dataset to v3.0 first)"
        )


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
