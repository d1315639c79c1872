"""Frame post-processing shared by the cameras: channel order, rotation and size checks.

Frames are ``(H, W, 3)`` uint8 arrays. Rotation follows OpenCV's ``cv2.rotate`` codes as
LeRobot uses them: ``90`` = clockwise, ``-90`` = counter-clockwise, ``180``.
"""

from __future__ import annotations

import numpy as np

from lr_robots.cameras.configs import ColorMode, Cv2Rotation


def capture_size(
    width: int | None, height: int | None, rotation: Cv2Rotation
) -> tuple[int | None, int | None]:
    """The ``(width, height)`` to capture so that frames are ``width x height`` after
    ``rotation`` (swapped for quarter turns)."""
    if rotation in (Cv2Rotation.ROTATE_90, Cv2Rotation.ROTATE_270):
        return height, width
    return width, height


def postprocess(
    frame: np.ndarray, source: ColorMode, wanted: ColorMode, rotation: Cv2Rotation
) -> np.ndarray:
    """Convert ``frame`` (``(H, W, 3)`` in ``source`` order) to ``wanted`` order and rotate it.

    One copy at most: a frame needing neither step is returned as is.
    """
    out = frame
    if source != wanted:
        out = out[..., ::-1]
    if rotation == Cv2Rotation.ROTATE_90:
        out = np.rot90(out, k=-1)
    elif rotation == Cv2Rotation.ROTATE_270:
        out = np.rot90(out, k=1)
    elif rotation == Cv2Rotation.ROTATE_180:
        out = out[::-1, ::-1]
    return out if out is frame else np.ascontiguousarray(out)


def check_frame(frame: np.ndarray, width: int | None, height: int | None, name: str) -> None:
    """Raise ``RuntimeError`` unless ``frame`` is ``(height, width, 3)`` uint8 (``None`` =
    any size)."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise RuntimeError(
            f"{name}: frame has shape {frame.shape} and dtype {frame.dtype}, "
            "expected (height, width, 3) uint8"
        )
    h, w = frame.shape[:2]
    if (width is not None and w != width) or (height is not None and h != height):
        raise RuntimeError(f"{name}: frame is {w}x{h}, expected {width}x{height} (width x height)")
