"""Writing rollout videos as MP4 (H.264, yuv420p) with PyAV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lr_core.fileio import atomic_path


def write_mp4(path: str | Path, frames: Sequence[np.ndarray], fps: int) -> Path:
    """Encode ``frames`` (each ``(H, W, 3)`` uint8 RGB) into ``path``; odd sizes are padded by
    one pixel (yuv420p needs even dimensions)."""
    import av

    if not frames:
        raise ValueError(f"no frames to write to {path}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    ph, pw = h + h % 2, w + w % 2
    with atomic_path(path) as tmp, av.open(str(tmp), mode="w", format="mp4") as container:
        stream = container.add_stream("h264", rate=int(fps))
        stream.width, stream.height = pw, ph
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for frame in frames:
            image = np.asarray(frame, dtype=np.uint8)
            if (ph, pw) != (h, w):
                image = np.pad(image, ((0, ph - h), (0, pw - w), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
