"""Goal clamps and the stop / shutdown helpers of the control loops."""

from __future__ import annotations

import os
import signal

import pytest

from lr_core.errors import ConfigError, DeviceNotConnectedError
from lr_robots.control.safety import (
    Stopped,
    check_max_relative_target,
    clamp_to_limits,
    deferred_signals,
    ensure_safe_goal_position,
    shutdown,
    stop_signals,
)


def test_relative_target_caps_like_lerobot(caplog):
    safe = ensure_safe_goal_position({"a": (10.0, 0.0), "b": (-3.0, 0.0), "c": (1.0, 0.5)}, 2.0)
    assert safe == {"a": 2.0, "b": -2.0, "c": 1.0}
    assert "had to be clamped" in caplog.text
    safe = ensure_safe_goal_position({"a": (10.0, 0.0)}, {"a": 4.0, "b": 1.0})
    assert safe == {"a": 4.0}
    with pytest.raises(ConfigError, match=r"no cap for \['a'\]"):
        ensure_safe_goal_position({"a": (1.0, 0.0)}, {"b": 1.0})


def test_caps_are_checked_when_the_robot_is_built():
    check_max_relative_target(None, ["a"], "robot")
    check_max_relative_target({"a": 1.0, "b": 2.0}, ["a", "b"], "robot")
    with pytest.raises(ConfigError, match=r"missing \['b'\], unknown \['c'\]"):
        check_max_relative_target({"a": 1.0, "c": 2.0}, ["a", "b"], "robot")
    with pytest.raises(ConfigError, match="positive and finite"):
        check_max_relative_target(float("inf"), ["a"], "robot")
    with pytest.raises(ConfigError, match="positive and finite"):
        check_max_relative_target({"a": -1.0}, ["a"], "robot")


def test_clamp_to_limits():
    assert clamp_to_limits({"a": 5.0, "b": -5.0}, {"a": (0.0, 1.0), "b": (-2.0, 2.0)}) == {
        "a": 1.0, "b": -2.0
    }  # fmt: skip


def test_sigterm_and_sighup_stop_like_ctrl_c():
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(KeyboardInterrupt) as info, stop_signals():
            os.kill(os.getpid(), sig)
            for _ in range(1000000):  # the handler runs between bytecodes
                pass
        assert isinstance(info.value, Stopped)
        assert info.value.args[0] == signal.Signals(sig).name
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


class Device:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.disconnected = False

    def disconnect(self) -> None:
        if isinstance(self.fail, DeviceNotConnectedError):
            raise self.fail
        self.disconnected = True
        if self.fail:
            raise self.fail


def test_shutdown_tries_every_device_with_signals_deferred():
    first, broken, absent, last = Device(), Device(RuntimeError("bus")), Device(
        DeviceNotConnectedError("x")), Device()  # fmt: skip
    errors = shutdown(first, broken, None, absent, last)
    assert [str(e) for e in errors] == ["bus"]
    assert first.disconnected and last.disconnected


def test_deferred_signals_note_instead_of_raising():
    with deferred_signals() as noted:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000000):
            pass
    assert noted == ["SIGINT"]
