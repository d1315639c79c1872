"""A small LeRobot v2.1 dataset (the layout LeRobot 0.1-0.3 wrote), for converter tests.

Follows the v2.1 format: one parquet per episode with the HF ``datasets`` schema metadata,
one AV1 MP4 per episode and camera, ``meta/{info.json, episodes.jsonl, tasks.jsonl,
episodes_stats.jsonl}`` with per-episode stats (min/max/mean/std/count, no quantiles), and
``info.json`` carrying ``total_chunks`` / ``total_videos`` and the v2.1 path templates.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from lr_core.features import DEFAULT_FEATURES, FeatureSpec
from lr_dataset import stats as stats_io
from lr_dataset import tabular
from lr_dataset.stats import ImageStats
from lr_dataset.testing.synthetic import CAMERA, NAMES, frame
from lr_dataset.video.encode import EpisodeEncoder, VideoEncoderConfig
from lr_dataset.video.files import probe

V21_DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
V21_VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"


def _features(h: int, w: int, camera: str) -> dict[str, FeatureSpec]:
    out = {
        "observation.state": FeatureSpec(dtype="float32", shape=(6,), names=NAMES),
        "action": FeatureSpec(dtype="float32", shape=(6,), names=NAMES),
        "next.reward": FeatureSpec(dtype="float32", shape=(1,), names=None),
        CAMERA: FeatureSpec(dtype=camera, shape=(h, w, 3), names=["height", "width", "channels"]),
    }
    return {**out, **DEFAULT_FEATURES}


def _basic_stats(values: np.ndarray) -> dict[str, list]:
    s = stats_io.vector_stats(values)
    return {k: np.asarray(s[k]).tolist() for k in ("min", "max", "mean", "std", "count")}


def write_v21(
    root: Path,
    *,
    episodes: int = 3,
    frames: int = 5,
    h: int = 24,
    w: int = 32,
    camera: str = "video",
) -> Path:
    """Write the dataset (``camera``: "video" for MP4s, "image" for PNGs in the parquet)."""
    fps = 30
    features = _features(h, w, camera)
    schema = tabular.schema(features)
    tasks: list[str] = []
    ep_lines, stats_lines = [], []
    index = 0
    for ep in range(episodes):
        items = [frame(ep, i, camera=True, h=h, w=w) for i in range(frames)]
        task = items[0]["task"]
        if task not in tasks:
            tasks.append(task)
        cols = {
            "observation.state": np.stack([f["observation.state"] for f in items]),
            "action": np.stack([f["action"] for f in items]),
            "next.reward": np.stack([f["next.reward"] for f in items]).reshape(-1),
            "timestamp": np.arange(frames, dtype=np.float32) / fps,
            "frame_index": np.arange(frames, dtype=np.int64),
            "episode_index": np.full(frames, ep, dtype=np.int64),
            "index": np.arange(index, index + frames, dtype=np.int64),
            "task_index": np.full(frames, tasks.index(task), dtype=np.int64),
        }
        if camera == "image":
            cols[CAMERA] = [tabular.encode_png(f[CAMERA]) for f in items]
        table = pa.Table.from_arrays(
            [tabular.column_array(features[k], list(cols[k])) for k in schema.names],
            schema=schema,
        )
        path = root / V21_DATA_PATH.format(episode_chunk=0, episode_index=ep)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        if camera == "video":
            video = root / V21_VIDEO_PATH.format(
                episode_chunk=0, episode_index=ep, video_key=CAMERA
            )
            encoder = EpisodeEncoder(video, fps, VideoEncoderConfig())
            for f in items:
                encoder.put(f[CAMERA])
            image_stats = encoder.finish()
        else:
            running = ImageStats()
            for f in items:
                running.update(f[CAMERA])
            image_stats = running.result()
        ep_stats = {k: _basic_stats(v) for k, v in cols.items() if k != CAMERA}
        ep_stats[CAMERA] = {
            k: np.asarray(image_stats[k]).tolist() for k in ("min", "max", "mean", "std", "count")
        }
        ep_lines.append({"episode_index": ep, "tasks": [task], "length": frames})
        stats_lines.append({"episode_index": ep, "stats": ep_stats})
        index += frames
    has_video = camera == "video"
    if has_video:
        video_info = {**probe(video), "video.is_depth_map": False, "video.fps": float(fps)}
    info = {
        "codebase_version": "v2.1",
        "robot_type": "so100",
        "total_episodes": episodes,
        "total_frames": index,
        "total_tasks": len(tasks),
        "total_videos": episodes if camera == "video" else 0,
        "total_chunks": 1,
        "chunks_size": 1000,
        "fps": fps,
        "splits": {"train": f"0:{episodes}"},
        "data_path": V21_DATA_PATH,
        "video_path": V21_VIDEO_PATH if camera == "video" else None,
        "features": {
            k: {**f.to_json(), **({"info": video_info} if k == CAMERA and has_video else {})}
            for k, f in features.items()
        },
    }
    meta = root / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "info.json").write_text(json.dumps(info, indent=4))
    (meta / "episodes.jsonl").write_text("".join(json.dumps(e) + "\n" for e in ep_lines))
    (meta / "tasks.jsonl").write_text(
        "".join(json.dumps({"task_index": i, "task": t}) + "\n" for i, t in enumerate(tasks))
    )
    (meta / "episodes_stats.jsonl").write_text("".join(json.dumps(s) + "\n" for s in stats_lines))
    return root
