"""Fast offscreen rendering of MuJoCo cameras, headless (``MUJOCO_GL=egl`` or ``osmesa``).

On a machine without a GPU, MuJoCo renders through Mesa's software rasteriser (llvmpipe).
Its defaults (4x multisample anti-aliasing, shadow maps, reflections) cost 10-30x there, so
:class:`RenderSettings` turns them off unless asked. :class:`CameraRenderer` keeps one
``mujoco.Renderer`` (one GL context and framebuffer) per camera and reuses it for every frame.

Set ``MUJOCO_GL`` before mujoco is first imported; :func:`lr_sim._mujoco.default_gl_backend`
picks ``egl`` when nothing is set and no display exists.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from lr_core.errors import LrError
from lr_sim._mujoco import import_mujoco

#: The process that first created a GL context (EGL state does not survive ``fork``).
_gl_owner_pid: int | None = None


class ForkedRendererError(LrError, RuntimeError):
    """Rendering was attempted in a process forked from one that had already rendered."""


def _check_not_forked() -> None:
    """Raise instead of hanging: Mesa's EGL deadlocks in a child forked after the parent
    initialised it (llvmpipe's worker threads and locks do not survive ``fork``)."""
    global _gl_owner_pid
    pid = os.getpid()
    if _gl_owner_pid is None:
        _gl_owner_pid = pid
    elif _gl_owner_pid != pid and os.environ.get("MUJOCO_GL") == "egl":
        raise ForkedRendererError(
            f"process {pid} was forked from process {_gl_owner_pid}, which had already "
            "rendered with MuJoCo's EGL backend; EGL cannot be used after fork. Start worker "
            "processes with 'spawn' or 'forkserver' (gymnasium.vector.AsyncVectorEnv(..., "
            "context='forkserver')), or render only in the workers."
        )


class RenderSettings(BaseModel):
    """What the renderer draws. The defaults favour speed on a CPU renderer.

    - ``antialias``: multisample anti-aliasing (``model.vis.quality.offsamples = 4`` instead of 0).
    - ``shadows``: shadow maps of lights that cast shadows.
    - ``reflections``: reflective materials.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    antialias: bool = False
    shadows: bool = False
    reflections: bool = False


class CameraRenderer:
    """Renders named cameras of one model into ``(H, W, 3)`` uint8 RGB arrays.

    One ``mujoco.Renderer`` per camera is created on first use and reused. Call :meth:`close`
    (or use ``with``) to release the GL contexts; EGL complains at exit about contexts left open.
    """

    def __init__(
        self,
        model: Any,
        height: int,
        width: int,
        settings: RenderSettings | None = None,
    ) -> None:
        self._mujoco = mujoco = import_mujoco()
        self.model = model
        self.height = int(height)
        self.width = int(width)
        self.settings = settings or RenderSettings()
        if self.width > model.vis.global_.offwidth or self.height > model.vis.global_.offheight:
            model.vis.global_.offwidth = max(self.width, model.vis.global_.offwidth)
            model.vis.global_.offheight = max(self.height, model.vis.global_.offheight)
        model.vis.quality.offsamples = 4 if self.settings.antialias else 0
        self._renderers: dict[str, Any] = {}
        self._option = mujoco.MjvOption()

    def _renderer(self, camera: str) -> Any:
        renderer = self._renderers.get(camera)
        if renderer is None:
            if self._mujoco.mj_name2id(self.model, self._mujoco.mjtObj.mjOBJ_CAMERA, camera) < 0:
                names = [self.model.camera(i).name for i in range(self.model.ncam)]
                from lr_core.errors import ConfigError

                raise ConfigError(f"camera {camera!r} is not in the scene; cameras: {names}")
            _check_not_forked()
            renderer = self._mujoco.Renderer(self.model, self.height, self.width)
            self._renderers[camera] = renderer
        return renderer

    def render(self, data: Any, camera: str) -> np.ndarray:
        """The view of ``camera`` for the state in ``data``: ``(H, W, 3)`` uint8, a new array."""
        renderer = self._renderer(camera)
        renderer.update_scene(data, camera=camera, scene_option=self._option)
        flags = renderer.scene.flags
        flags[self._mujoco.mjtRndFlag.mjRND_SHADOW] = int(self.settings.shadows)
        flags[self._mujoco.mjtRndFlag.mjRND_REFLECTION] = int(self.settings.reflections)
        return renderer.render()

    def close(self) -> None:
        """Free every GL context."""
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()

    def __enter__(self) -> CameraRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
