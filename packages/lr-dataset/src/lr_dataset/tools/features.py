"""``add_features`` / ``remove_features``: a copy of a dataset with columns added or dropped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lr_core.features import FeatureSpec, check_feature_key
from lr_dataset.errors import DatasetWriteError
from lr_dataset.specs import check_feature
from lr_dataset.tools.rebuild import DEFAULT_KEYS, FeatureValues, Source, rebuild
from lr_dataset.tools.source import DatasetLike, load_result, open_meta


def _spec(name: str, value: FeatureSpec | Mapping[str, Any]) -> FeatureSpec:
    if isinstance(value, FeatureSpec):
        return value
    if "dtype" not in value or "shape" not in value:
        raise DatasetWriteError(f"feature {name!r}: its info must give 'dtype' and 'shape'")
    return FeatureSpec.from_json({**value, "shape": tuple(value["shape"])}, key=name)


def add_features(
    dataset: DatasetLike,
    features: Mapping[str, tuple[FeatureValues, FeatureSpec | Mapping[str, Any]]],
    output_dir: str | Path,
    repo_id: str | None = None,
) -> Any:
    """Write ``dataset`` with new numeric columns to ``output_dir``; return the new dataset.

    ``features`` maps a name to ``(values, feature_info)``: ``values`` is an array with one row
    per frame (in global ``index`` order) or ``fn(row, episode_index, frame_index)``; the info is
    ``{"dtype": "float32", "shape": [n], "names": ...}``. Their stats are computed.
    """
    meta = open_meta(dataset)
    if not features:
        raise DatasetWriteError("no features to add")
    specs = dict(meta.features)
    values: dict[str, FeatureValues] = {}
    for name, (vals, info) in features.items():
        check_feature_key(name)
        if name in meta.features:
            raise DatasetWriteError(f"feature {name!r} already exists in {meta.root}")
        spec = _spec(name, info)
        if spec.is_visual or spec.dtype in ("string", "language"):
            raise DatasetWriteError(
                f"feature {name!r}: add_features adds numeric columns, not {spec.dtype!r}"
            )
        check_feature(name, spec)
        specs[name] = spec
        values[name] = vals
    # user features first, the five default columns last (LeRobot's order)
    ordered = {k: v for k, v in specs.items() if k not in DEFAULT_KEYS}
    ordered.update({k: specs[k] for k in DEFAULT_KEYS})
    root, _ = rebuild(
        [Source(meta, list(range(meta.total_episodes)))], output_dir, features=ordered, add=values
    )
    return load_result(root, repo_id or f"{meta.repo_id}_modified")


def remove_features(
    dataset: DatasetLike,
    feature_names: str | Iterable[str],
    output_dir: str | Path,
    repo_id: str | None = None,
) -> Any:
    """Write ``dataset`` without ``feature_names`` (a camera's videos go too) to ``output_dir``."""
    meta = open_meta(dataset)
    names = [feature_names] if isinstance(feature_names, str) else list(feature_names)
    if not names:
        raise DatasetWriteError("no features to remove")
    for name in names:
        if name in DEFAULT_KEYS:
            raise DatasetWriteError(f"{name!r} is one of the default columns {DEFAULT_KEYS}")
        if name not in meta.features:
            raise DatasetWriteError(
                f"feature {name!r} is not in {meta.root}; features: {sorted(meta.features)}"
            )
    kept = {k: v for k, v in meta.features.items() if k not in names}
    root, _ = rebuild([Source(meta, list(range(meta.total_episodes)))], output_dir, features=kept)
    return load_result(root, repo_id or f"{meta.repo_id}_modified")
