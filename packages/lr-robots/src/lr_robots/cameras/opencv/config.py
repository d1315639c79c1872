"""Config of the ``opencv`` camera (cheap to import): LeRobot 0.6.1's ``OpenCVCameraConfig``."""

from __future__ import annotations

from typing import ClassVar, Literal

from lr_robots.cameras.pyav.config import OpenCVStyleFields


class OpenCVCameraConfig(OpenCVStyleFields):
    """A camera read with OpenCV's ``cv2.VideoCapture`` (needs ``lr-robots[opencv]``).

    The fields and defaults of LeRobot 0.6.1's ``opencv`` camera (see
    :class:`~lr_robots.cameras.pyav.config.OpenCVStyleFields`). The ``av`` camera takes the
    same fields without OpenCV.
    """

    type: Literal["opencv"] = "opencv"
    implementation: ClassVar[str] = "lr_robots.cameras.opencv.camera:OpenCVCamera"
