"""Where lr keeps datasets and calibration files (LeRobot-compatible locations)."""

from __future__ import annotations

import os
from pathlib import Path

from lr_core.errors import ConfigError


def lerobot_home() -> Path:
    """``$HF_LEROBOT_HOME``, else ``$HF_HOME/lerobot``, else ``~/.cache/huggingface/lerobot``."""
    if "LEROBOT_HOME" in os.environ:
        raise ConfigError(
            "LEROBOT_HOME is no longer used (as in LeRobot); set HF_LEROBOT_HOME instead"
        )
    if env := os.environ.get("HF_LEROBOT_HOME"):
        return Path(env).expanduser()
    hf_home = os.environ.get("HF_HOME")
    base = Path(hf_home).expanduser() if hf_home else Path.home() / ".cache" / "huggingface"
    return base / "lerobot"


def calibration_dir(kind: str, name: str) -> Path:
    """``$HF_LEROBOT_CALIBRATION/<kind>/<name>`` (kind: ``robots`` or ``teleoperators``)."""
    env = os.environ.get("HF_LEROBOT_CALIBRATION")
    root = Path(env).expanduser() if env else lerobot_home() / "calibration"
    return root / kind / name


def dataset_root(repo_id: str) -> Path:
    """The default local folder of a dataset: ``<lerobot_home>/<repo_id>``."""
    return lerobot_home() / repo_id
