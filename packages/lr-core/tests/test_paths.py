"""LeRobot-compatible data and calibration locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from lr_core.errors import ConfigError
from lr_core.paths import calibration_dir, dataset_root, lerobot_home


def test_locations_follow_lerobot_environment_variables(monkeypatch, tmp_path):
    for name in ("HF_LEROBOT_HOME", "HF_HOME", "HF_LEROBOT_CALIBRATION", "LEROBOT_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert lerobot_home() == Path(tmp_path) / ".cache/huggingface/lerobot"
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert lerobot_home() == tmp_path / "hf/lerobot"
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "lr"))
    assert dataset_root("user/set") == tmp_path / "lr/user/set"
    assert (
        calibration_dir("robots", "so_follower") == tmp_path / "lr/calibration/robots/so_follower"
    )
    monkeypatch.setenv("HF_LEROBOT_CALIBRATION", str(tmp_path / "cal"))
    assert calibration_dir("teleoperators", "so_leader") == tmp_path / "cal/teleoperators/so_leader"


def test_obsolete_lerobot_home_is_an_error(monkeypatch):
    monkeypatch.setenv("LEROBOT_HOME", "/somewhere")
    with pytest.raises(ConfigError, match="HF_LEROBOT_HOME"):
        lerobot_home()
