"""Import mujoco with a headless GL backend chosen first (``MUJOCO_GL`` is read at import)."""

from __future__ import annotations

import os
from typing import Any


def default_gl_backend() -> str | None:
    """Set ``MUJOCO_GL=egl`` when unset and there is no X display; return the backend in use.

    mujoco reads ``MUJOCO_GL`` once, when it is first imported, so this must run before that.
    """
    if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["MUJOCO_GL"] = "egl"
    if os.environ.get("MUJOCO_GL") in ("egl", "osmesa"):
        os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
    return os.environ.get("MUJOCO_GL")


def import_mujoco() -> Any:
    """The ``mujoco`` module, imported after :func:`default_gl_backend`."""
    default_gl_backend()
    from lr_core.errors import require

    return require("mujoco", "mujoco", "lr-sim")
