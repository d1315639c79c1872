"""Long episodes without recording them: one episode of any length whose MP4 holds only the
frames a test reads, each identifiable after lossy coding (:func:`frame_value`).

A 34-minute episode at 30 fps is 61,000 frames to encode; the data rows of that many frames are
cheap, the video is not. :func:`write_long_episode` writes every data row but puts into the
MP4 only the frames asked for, at their true times (``pts = frame_index``), so readers see a
normal dataset wherever they look.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from lr_dataset.testing.synthetic import CAMERA


def frame_value(i: int) -> int:
    """The flat grey level of frame ``i`` (levels 18 apart: told apart after lossy coding)."""
    return 20 + (i % 12) * 18


def write_sparse_video(
    path: Path, fps: int, frames: Sequence[int], *, size: int = 16, vcodec: str = "h264"
) -> float:
    """Write an MP4 holding only ``frames`` (frame ``i`` at ``i / fps`` s, flat grey
    :func:`frame_value`); return its duration in seconds (LeRobot's definition)."""
    from lr_dataset.video.encoder_gate import GatedEncoding
    from lr_dataset.video.files import duration_s
    from lr_dataset.video.pyav import import_av

    av = import_av()
    path.parent.mkdir(parents=True, exist_ok=True)
    with GatedEncoding(vcodec, f"writing {path}") as gated:
        out = av.open(str(path), "w", format="mp4")
        try:
            stream = out.add_stream(vcodec, rate=fps, options={"g": "1", "crf": "10"})
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, fps)
            gated.open(stream)
            for i in frames:
                pixels = np.full((size, size, 3), frame_value(i), np.uint8)
                video_frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                video_frame.pts = i
                video_frame.time_base = Fraction(1, fps)
                for packet in gated.encode(stream, video_frame):
                    out.mux(packet)
            for packet in gated.encode(stream, None):
                out.mux(packet)
        finally:
            gated.close(out)
    return duration_s(path)


def write_long_episode(root: Path, *, fps: int, length: int, video_frames: Sequence[int]) -> Path:
    """A dataset of one ``length``-frame episode (``observation.state`` = frame index, a 16×16
    video camera holding only ``video_frames``), written with lr's own file writers."""
    import pyarrow as pa

    from lr_core.features import FeatureSpec
    from lr_dataset import episodes as episodes_io
    from lr_dataset import layout, tabular
    from lr_dataset import tasks as tasks_io
    from lr_dataset.info import DatasetInfo
    from lr_dataset.parquet_io import write_tables
    from lr_dataset.tasks import TaskTable

    features = {
        "observation.state": FeatureSpec(dtype="float32", shape=(1,), names=["x"]),
        CAMERA: FeatureSpec(
            dtype="video", shape=(16, 16, 3), names=["height", "width", "channels"]
        ),
    }
    info = DatasetInfo.new(fps, features, use_videos=True)
    n = np.arange(length, dtype=np.int64)
    columns = {
        "observation.state": n.astype(np.float32),
        "timestamp": (n / fps).astype(np.float32),
        "frame_index": n,
        "episode_index": np.zeros(length, np.int64),
        "index": n,
        "task_index": np.zeros(length, np.int64),
    }
    schema = tabular.schema(info.features)
    table = pa.Table.from_arrays(
        [pa.array(columns[k]) for k in tabular.parquet_columns(info.features)], schema=schema
    )
    write_tables([table], schema, root / info.data_path.format(chunk_index=0, file_index=0))
    assert info.video_path is not None
    video = root / info.video_path.format(video_key=CAMERA, chunk_index=0, file_index=0)
    end = write_sparse_video(video, fps, video_frames)
    row = {
        "episode_index": 0,
        "tasks": ["t"],
        "length": length,
        "data/chunk_index": 0,
        "data/file_index": 0,
        "dataset_from_index": 0,
        "dataset_to_index": length,
        f"videos/{CAMERA}/chunk_index": 0,
        f"videos/{CAMERA}/file_index": 0,
        f"videos/{CAMERA}/from_timestamp": 0.0,
        f"videos/{CAMERA}/to_timestamp": end,
        "meta/episodes/chunk_index": 0,
        "meta/episodes/file_index": 0,
    }
    episodes_io.write_file([row], layout.episodes_path(root, 0, 0))
    tasks_io.save(TaskTable(["t"]), root)
    info.total_episodes, info.total_frames, info.total_tasks = 1, length, 1
    info.splits = {"train": "0:1"}
    info.save(root)
    return root
