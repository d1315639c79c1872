"""``split_dataset``: several datasets from disjoint sets of a dataset's episodes."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lr_core.paths import dataset_root
from lr_dataset.errors import DatasetWriteError
from lr_dataset.staging import commit
from lr_dataset.tools.rebuild import Source, prepare_output, rebuild
from lr_dataset.tools.source import DatasetLike, load_result, open_meta

logger = logging.getLogger(__name__)


def fractions_to_episodes(total: int, fractions: Mapping[str, float]) -> dict[str, list[int]]:
    """Consecutive episode ranges from fractions (LeRobot's rule: ``int(total * f)`` each, the
    last split taking the remainder); fractions must be positive and sum to at most 1."""
    if any(f <= 0 for f in fractions.values()):
        raise DatasetWriteError(f"split fractions must be positive, got {dict(fractions)}")
    if sum(fractions.values()) > 1.0 + 1e-9:
        raise DatasetWriteError(
            f"split fractions sum to {sum(fractions.values()):.3f}; they must sum to at most 1"
        )
    out: dict[str, list[int]] = {}
    start = 0
    names = list(fractions)
    for name in names:
        count = int(total * fractions[name])
        end = (
            total if name == names[-1] and sum(fractions.values()) >= 1.0 - 1e-9 else start + count
        )
        if end <= start:
            raise DatasetWriteError(
                f"split {name!r} ({fractions[name]} of {total} episodes) would be empty"
            )
        out[name] = list(range(start, end))
        start = end
    return out


def split_dataset(
    dataset: DatasetLike,
    splits: Mapping[str, float | Sequence[int]],
    output_dir: str | Path | None = None,
    *,
    repo_id: str | None = None,
) -> dict[str, Any]:
    """Write each split to ``output_dir/<name>``; return ``{name: dataset}``.

    ``splits`` maps names to episode lists (``{"train": [0, 1, 2], "val": [3]}``) or to
    fractions (``{"train": 0.8, "val": 0.2}``, consecutive ranges). An episode may appear in
    one split only. Each split's repo id is ``<repo_id>_<name>`` (``repo_id``: the source's);
    without ``output_dir`` it is written to ``$HF_LEROBOT_HOME/<repo_id>_<name>``, as LeRobot
    does. The source is not modified; all splits are written, or none.
    """
    meta = open_meta(dataset)
    if not splits:
        raise DatasetWriteError("no splits given")
    values = list(splits.values())
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        chosen = fractions_to_episodes(
            meta.total_episodes, {k: float(v) for k, v in splits.items()}
        )
    elif all(not isinstance(v, (int, float)) for v in values):
        chosen = {k: sorted({int(e) for e in v}) for k, v in splits.items()}  # type: ignore[union-attr]
    else:
        raise DatasetWriteError("give every split as a fraction or every split as episode indices")
    seen: dict[int, str] = {}
    for name, eps in chosen.items():
        if not eps:
            raise DatasetWriteError(f"split {name!r} has no episodes")
        for e in eps:
            if not 0 <= e < meta.total_episodes:
                raise DatasetWriteError(
                    f"split {name!r}: episode {e} does not exist (the dataset has "
                    f"{meta.total_episodes})"
                )
            if e in seen:
                raise DatasetWriteError(f"episode {e} is in both split {seen[e]!r} and {name!r}")
            seen[e] = name
    prefix = repo_id or meta.repo_id
    if output_dir is not None:
        base = Path(output_dir).expanduser()
        targets = {name: base / name for name in chosen}
    else:
        targets = {name: dataset_root(f"{prefix}_{name}") for name in chosen}
    for target in targets.values():
        prepare_output(target, [meta])
    # every split is built before any is moved into place: all of them are written, or none
    created = {t.parent for t in targets.values() if not t.parent.exists()}
    staged: list[tuple[Path, Path]] = []
    try:
        for name, eps in chosen.items():
            logger.info("split %r: %d episodes", name, len(eps))
            staging, _ = rebuild([Source(meta, eps)], targets[name], commit=False, label=name)
            staged.append((staging, targets[name]))
        for staging, target in staged:
            commit(staging, target)
    except BaseException:
        for staging, _ in staged:
            shutil.rmtree(staging, ignore_errors=True)
        for folder in created:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return {name: load_result(targets[name], f"{prefix}_{name}") for name in chosen}
