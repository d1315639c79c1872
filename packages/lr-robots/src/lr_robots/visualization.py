"""Live view of a control loop in rerun (``--display_data=true``; the ``viz`` extra).

LeRobot 0.6.1's names and layout (``lerobot/utils/rerun_visualization.py``): :func:`init_rerun`
spawns a local viewer, or connects to a remote one at ``rerun+http://<ip>:<port>/proxy``;
:func:`log_rerun_data` logs each observation scalar as ``observation.<key>``, each action as
``action.<key>`` (``rr.Scalars``), each camera frame as ``observation.<cam>`` (``rr.Image``,
JPEG-compressed on request), and on the first call sends a blueprint with one image view per
camera and two time-series views (observation, action). lr adds ``save_path`` (write a
``.rrd`` file instead of showing a viewer: for a robot without a screen, and for tests) and the
``episode_index`` / ``frame_index`` timelines while recording, so a recording session can be
scrubbed episode by episode.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lr_core.errors import require

#: LeRobot's default memory limit of a spawned viewer
DEFAULT_MEMORY_LIMIT = "10%"


def _rerun() -> Any:
    return require("rerun", "viz", "lr-robots")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.ndim == 0)


class RerunDisplay:
    """One rerun recording stream fed with a loop's observations and actions.

    Args:
        session_name: rerun's application id (LeRobot: ``"recording"`` / ``"teleoperation"``).
        ip, port: a remote viewer (both, or neither: spawn a local viewer).
        save_path: write everything to this ``.rrd`` file instead (no viewer).
        compress_images: log camera frames as JPEG (always with a remote viewer, as LeRobot).
    """

    def __init__(
        self,
        session_name: str,
        *,
        ip: str | None = None,
        port: int | None = None,
        save_path: str | Path | None = None,
        compress_images: bool = False,
    ) -> None:
        rr = _rerun()
        os.environ.setdefault("RERUN_FLUSH_NUM_BYTES", "8000")
        self.rr = rr
        self.compress_images = compress_images or (ip is not None and port is not None)
        self._blueprint_sent = False
        rr.init(session_name)
        if save_path is not None:
            Path(save_path).parent.mkdir(parents=True, exist_ok=True)
            rr.save(str(save_path))
        elif ip and port:
            rr.connect_grpc(url=f"rerun+http://{ip}:{port}/proxy")
        else:
            rr.spawn(memory_limit=os.getenv("LEROBOT_RERUN_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT))

    def set_frame(self, episode_index: int | None, frame_index: int | None) -> None:
        """Put the following logs on the ``episode_index`` / ``frame_index`` timelines
        (``None``: leave that timeline out, e.g. during a reset phase)."""
        rr = self.rr
        if episode_index is None or frame_index is None:
            rr.disable_timeline("frame_index")
            rr.disable_timeline("episode_index")
            return
        rr.set_time("episode_index", sequence=episode_index)
        rr.set_time("frame_index", sequence=frame_index)

    def log(self, observation: Mapping[str, Any] | None, action: Mapping[str, Any] | None) -> None:
        """Log one step (see the module docstring)."""
        rr = self.rr
        obs_paths: set[str] = set()
        act_paths: set[str] = set()
        image_paths: set[str] = set()
        for key, value in (observation or {}).items():
            if value is None:
                continue
            path = key if key.startswith("observation.") else f"observation.{key}"
            if _is_scalar(value):
                rr.log(path, rr.Scalars(float(value)))
                obs_paths.add(path)
                continue
            array = np.asarray(value)
            if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
                array = np.transpose(array, (1, 2, 0))  # CHW -> HWC
            if array.ndim == 1:
                rr.log(path, rr.Scalars(array.astype(float)))
                obs_paths.add(path)
            elif array.ndim == 3 and array.shape[-1] == 1:
                rr.log(path, rr.DepthImage(array[..., 0]))
                image_paths.add(path)
            else:
                image = rr.Image(array)
                rr.log(path, image.compress() if self.compress_images else image)
                image_paths.add(path)
        for key, value in (action or {}).items():
            if value is None:
                continue
            path = key if key.startswith("action") else f"action.{key}"
            if _is_scalar(value):
                rr.log(path, rr.Scalars(float(value)))
            else:
                rr.log(path, rr.Scalars(np.asarray(value, dtype=float).reshape(-1)))
            act_paths.add(path)
        if not self._blueprint_sent and (obs_paths or act_paths or image_paths):
            self._send_blueprint(obs_paths, act_paths, image_paths)

    def _send_blueprint(self, obs: set[str], act: set[str], images: set[str]) -> None:
        import rerun.blueprint as rrb

        views: list[Any] = [rrb.Spatial2DView(origin=p, name=p) for p in sorted(images)]
        if obs:
            views.append(rrb.TimeSeriesView(name="observation", contents=sorted(obs)))
        if act:
            views.append(rrb.TimeSeriesView(name="action", contents=sorted(act)))
        self.rr.send_blueprint(rrb.Blueprint(rrb.Grid(*views)))
        self._blueprint_sent = True

    def close(self) -> None:
        """Flush and close the stream (the file is complete after this)."""
        self.rr.rerun_shutdown()


_display: RerunDisplay | None = None


def init_rerun(
    session_name: str = "lerobot_control_loop", ip: str | None = None, port: int | None = None
) -> None:
    """LeRobot's function: start the process-wide display used by :func:`log_rerun_data`."""
    global _display
    _display = RerunDisplay(session_name, ip=ip, port=port)


def log_rerun_data(
    observation: Mapping[str, Any] | None = None,
    action: Mapping[str, Any] | None = None,
    compress_images: bool = False,
) -> None:
    """LeRobot's function: log one step to the display :func:`init_rerun` started."""
    global _display
    if _display is None:
        _display = RerunDisplay("lerobot_control_loop", compress_images=compress_images)
    _display.compress_images = _display.compress_images or compress_images
    _display.log(observation, action)


def shutdown_rerun() -> None:
    """LeRobot's function: close the display."""
    global _display
    if _display is not None:
        _display.close()
        _display = None
