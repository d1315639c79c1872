"""One stored episode in rerun, as LeRobot's ``lerobot-dataset-viz`` shows it.

Timelines ``frame_index`` (sequence) and ``timestamp`` (seconds); each numeric feature's
dimensions as ``<feature>/<name>`` scalars (sent as whole columns, one call per dimension), each
camera frame as an image (``observation.images.<cam>``, JPEG-compressed on request), the task as
a text log. ``save`` writes an ``.rrd`` file instead of showing a viewer; ``grpc_port`` serves
the recording to a viewer on another computer (LeRobot's ``--mode distant``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.errors import ConfigError, require


def _rerun() -> Any:
    return require("rerun", "viz", "lr-dataset")


def log_episode(
    dataset: Any,
    episode_index: int,
    *,
    save: str | Path | None = None,
    grpc_port: int | None = None,
    spawn: bool = True,
    compress_images: bool = False,
) -> int:
    """Send episode ``episode_index`` of ``dataset`` (an :class:`~lr_dataset.dataset.
    LeRobotDataset` over all its episodes) to rerun; returns the number of frames.

    Raises:
        ConfigError: the dataset has no such episode.
    """
    rr = _rerun()
    meta = dataset.meta
    if not 0 <= episode_index < meta.total_episodes:
        last = meta.total_episodes - 1
        raise ConfigError(f"--episode_index={episode_index}: {meta.root} has episodes 0..{last}")
    row = meta.episodes[episode_index]
    first, last = int(row["dataset_from_index"]), int(row["dataset_to_index"])
    n = last - first
    rr.init(re.sub(r"[^A-Za-z0-9_-]", "_", f"{meta.repo_id}_episode_{episode_index}"))
    if save is not None:
        Path(save).parent.mkdir(parents=True, exist_ok=True)
        rr.save(str(save))
    elif grpc_port is not None:
        rr.serve_grpc(grpc_port=grpc_port)
    elif spawn:
        rr.spawn()
    frame_index = np.arange(n)
    indexes = [
        rr.TimeColumn("frame_index", sequence=frame_index),
        rr.TimeColumn("timestamp", duration=frame_index / meta.fps),
    ]
    for key, spec in meta.features.items():
        if spec.dtype in ("video", "image", "string", "language") or key in (
            "timestamp", "frame_index", "episode_index", "index", "task_index"
        ):  # fmt: skip
            continue
        values = np.asarray(dataset.column(key, episode_index), dtype=np.float64)
        values = values.reshape(n, -1)
        names = list(spec.names or []) if spec.names and len(spec.names) == values.shape[1] else [
            str(j) for j in range(values.shape[1])
        ]  # fmt: skip
        for j, name in enumerate(names):
            rr.send_columns(f"{key}/{name}", indexes=indexes,
                            columns=rr.Scalars.columns(scalars=values[:, j]))  # fmt: skip
    rr.set_time("frame_index", sequence=0)
    rr.log("task", rr.TextLog(" | ".join(row["tasks"])))
    cameras = list(meta.camera_keys)
    if cameras:
        was = dataset.return_uint8
        dataset.set_return_uint8(True)
        try:
            for i in range(n):
                item = dataset[first + i]
                rr.set_time("frame_index", sequence=i)
                rr.set_time("timestamp", duration=i / meta.fps)
                for key in cameras:
                    image = np.asarray(item[key]).transpose(1, 2, 0)  # CHW -> HWC
                    logged = rr.Image(image)
                    rr.log(key, logged.compress() if compress_images else logged)
        finally:
            dataset.set_return_uint8(was)
    if save is not None:
        rr.rerun_shutdown()
    return n
