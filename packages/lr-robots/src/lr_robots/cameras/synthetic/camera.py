"""``synthetic``: a moving test pattern delivered at a true frame rate (no hardware).

Frame ``k`` is due at ``t0 + k / fps``; the capture thread sleeps until then, so the rate is
the configured one and does not drift. When the thread falls behind by more than a frame
(machine stalled) it skips to the current slot, as a real camera drops frames: the stamp's
frame index counts slots, so gaps show the drops.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from lr_robots.cameras.frames import capture_size
from lr_robots.cameras.synthetic.config import SyntheticCameraConfig
from lr_robots.cameras.synthetic.pattern import PatternGenerator
from lr_robots.cameras.threaded import ThreadedCamera


class SyntheticCamera(ThreadedCamera):
    """See the module docstring; config :class:`SyntheticCameraConfig`."""

    config_class = SyntheticCameraConfig

    def __init__(self, config: SyntheticCameraConfig) -> None:
        super().__init__(config)
        self.config: SyntheticCameraConfig = config
        self._generator: PatternGenerator | None = None
        self._t0 = 0.0
        self._slot = 0
        self._delivered = 0

    def _describe(self) -> str:
        return f"synthetic {self.width}x{self.height}@{self.fps}"

    def _open(self) -> None:
        self.fps = self.fps or 30
        self._set_source_size(640, 480)
        width, height = capture_size(self.width, self.height, self.rotation)
        assert width is not None and height is not None
        self._generator = PatternGenerator(width, height)
        self._t0 = time.perf_counter()
        self._slot = 0
        self._delivered = 0

    def _grab(self) -> np.ndarray:
        assert self._generator is not None and self.fps is not None
        cfg = self.config
        if cfg.fail_after_frames is not None and self._delivered >= cfg.fail_after_frames:
            time.sleep(1.0 / self.fps)
            raise OSError("synthetic camera fault: the device stopped answering")
        if cfg.stall_after_frames is not None and self._delivered >= cfg.stall_after_frames:
            while not self._stop.wait(0.05):
                pass
            raise OSError("stopped")
        period = 1.0 / self.fps
        due = self._t0 + self._slot * period
        now = time.perf_counter()
        if now - due > period:  # fell behind: drop the missed slots
            self._slot = int((now - self._t0) / period)
            due = self._t0 + self._slot * period
        if due > now:
            self._stop.wait(due - now)
        frame = self._generator.frame(self._slot, time.time())
        self._slot += 1
        self._delivered += 1
        return frame

    @staticmethod
    def find_cameras() -> list[dict[str, Any]]:
        """One synthetic camera is always available."""
        return [
            {
                "name": "Synthetic test pattern",
                "type": "synthetic",
                "id": "synthetic",
                "default_stream_profile": {
                    "format": "rgb24",
                    "width": 640,
                    "height": 480,
                    "fps": 30,
                },
            }
        ]
