"""The record controls from a terminal (as over SSH: no display), and the key bindings left
when a keyboard teleoperator reads keys too."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import pytest

from lr_robots.record.events import RecordControls
from lr_robots.teleoperators.events import TeleopEvents, no_events

LeRobotDatasetMetadata = pytest.importorskip("lr_dataset.metadata").LeRobotDatasetMetadata
LR = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]


class InTerminal:
    """``lr record`` with a pseudo-terminal as its standard input (its controlling keys)."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = os.openpty()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)  # fmt: skip
        os.close(slave)
        self.output = b""

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def _pump(self, timeout: float) -> None:
        fds = [self.proc.stdout.fileno(), self.master]  # type: ignore[union-attr]
        for fd in select.select(fds, [], [], timeout)[0]:
            try:
                data = os.read(fd, 65536)
            except OSError:
                continue
            if fd != self.master:  # the master end only carries the terminal queries
                self.output += data

    def expect(self, text: str, timeout: float = 60, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.text.count(text) < count:
            assert time.monotonic() < deadline, f"{text!r} not printed:\n{self.text[-3000:]}"
            assert self.proc.poll() is None or self._drain(), self.text[-3000:]
            self._pump(0.1)

    def _drain(self) -> bool:
        self._pump(0.1)
        return True

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def wait(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            assert time.monotonic() < deadline, self.text[-3000:]
            self._pump(0.1)
        self._pump(0.1)
        rest = self.proc.stdout.read()  # type: ignore[union-attr]
        self.output += rest or b""
        os.close(self.master)
        return self.proc.returncode


@pytest.mark.slow
def test_keys_end_a_phase_rerecord_and_stop_from_a_terminal(calibrated_so101, tmp_path,
                                                            record_args):  # fmt: skip
    follower, leader = calibrated_so101
    root = tmp_path / "pick"
    args = record_args(follower, leader, root, "--dataset.num_episodes=5",
                       "--dataset.episode_time_s=60", "--dataset.reset_time_s=60",
                       "--keyboard=terminal")  # fmt: skip
    term = InTerminal([*LR, *args])
    try:
        term.expect("Right arrow / n: end this phase")
        term.expect("Recording episode 0")
        time.sleep(0.5)
        term.type(b"n")  # end episode 0 early: saved
        term.expect("Reset the environment")
        term.type(b"\x1b[C")  # Right arrow: end the reset
        term.expect("Recording episode 1")
        time.sleep(0.3)
        term.type(b"r")  # re-record episode 1
        term.expect("Re-record episode 1")
        term.expect("Reset the environment", count=2)
        term.type(b"n")
        term.expect("Recording episode 1", count=2)
        time.sleep(0.3)
        term.type(b"n")  # end episode 1: saved
        term.expect("Reset the environment", count=3)
        term.expect("Episode 1 saved")
        term.type(b"\x1b[D")  # Left arrow during the reset: re-record episode 1 after all
        term.expect("Re-record episode 1: the saved episode was removed")
        term.expect("Recording episode 1", count=3)
        time.sleep(0.3)
        term.type(b"q")  # stop: episode 1 (third take) is saved, no more episodes
        assert term.wait() == 0, term.text
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    assert "Episode 0 saved" in term.text and term.text.count("Episode 1 saved") == 2
    assert "Recording episode 2" not in term.text
    meta = LeRobotDatasetMetadata("me/pick", root=root)
    assert meta.total_episodes == 2
    assert all(0 < n < 60 * 30 for n in meta.episodes["length"])  # both ended by a key


class _Teleop:
    def __init__(self, keys: frozenset[str] = frozenset()) -> None:
        self.keys_used = keys
        self.flags = no_events()

    def get_teleop_events(self):
        return dict(self.flags)


def test_keys_a_keyboard_teleoperator_reads_are_left_to_it():
    from lr_robots.teleoperators.keyboard.config import KeyboardEndEffectorTeleopConfig
    from lr_robots.teleoperators.keyboard.end_effector import KeyboardEndEffectorTeleop

    teleop = KeyboardEndEffectorTeleop(KeyboardEndEffectorTeleopConfig())
    controls = RecordControls.open("none", teleop)
    # keyboard_ee moves with the arrows and uses r / q for its own episode events
    assert controls.bindings == {
        "exit_early": ("n",), "rerecord_episode": (), "stop_recording": ("esc",),
    }  # fmt: skip
    plain = RecordControls.open("none", None)
    assert plain.bindings["rerecord_episode"] == ("left", "r")


def test_teleoperator_events_act_once_per_press():
    teleop = _Teleop()
    controls = RecordControls.open("none", teleop)
    teleop.flags[TeleopEvents.TERMINATE_EPISODE] = True
    assert controls.poll().exit_early and controls.events.source == "teleoperator"
    controls.events.exit_early = False
    assert not controls.poll().exit_early  # still held: not a new press
    teleop.flags[TeleopEvents.TERMINATE_EPISODE] = False
    controls.poll()
    teleop.flags[TeleopEvents.RERECORD_EPISODE] = True
    events = controls.poll()
    assert events.rerecord_episode and events.exit_early
