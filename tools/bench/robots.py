"""Teleoperation benchmark: SO-101 leader -> follower with one 480x640 camera, lr vs LeRobot.

Two pty servo emulators (an SO-101 leader and follower, six STS3215 each, 1 Mbps) are started
once and calibrated alike. Then, alternating rounds, each side runs its own teleoperation loop
in its own process at the target rate for the given time:

- lr: ``lr_robots.control.loops.teleop_loop`` with ``SO101Follower`` / ``SO101Leader``, the loop
  ``lr teleoperate`` runs;
- LeRobot 0.6.1 (peer venv): ``lerobot.scripts.lerobot_teleoperate.teleop_loop`` with its
  ``SO101Follower`` / ``SO101Leader`` and default processors, the loop ``lerobot-teleoperate``
  runs (called directly so the same camera can be given to both).

Each iteration reads the follower's observation (positions and the camera's newest frame), the
leader's positions, and sends the action, as both commands do. The camera is the same stand-in
in both processes (:data:`CAMERA_SOURCE`: a thread producing 480x640 RGB frames at 30 fps; the
cameras of lr-robots plug in through ``lr.cameras`` and are not needed to compare the loops).
Reported per side: achieved loop rate, p50/p99 loop time (time between iteration starts) and the
client process's CPU use (% of one core). A third row runs lr with its own ``synthetic`` camera
given in the robot config (the path users take) instead of the stand-in.

    uv run python tools/bench/robots.py [--seconds 60] [--fps 200] [--rounds 1] [--busy]

``--busy`` keeps one core spinning in another process during the measurement.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from lr_core.motors import MotorCalibration, save_calibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.presets import robot_motors

REPO = Path(__file__).resolve().parents[2]

#: The stand-in camera, run by both sides: the newest frame of a 30 fps producer thread.
CAMERA_SOURCE = r"""
import threading, time
import numpy as np

class BenchCamera:
    height, width, fps = 480, 640, 30
    def __init__(self):
        self.is_connected = False
        self._frame = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
    def connect(self, warmup=True):
        base = np.arange(self.height * self.width * 3, dtype=np.uint32).astype(np.uint8)
        self._base = base.reshape(self.height, self.width, 3)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        while self._frame is None:
            time.sleep(0.001)
        self.is_connected = True
    def _run(self):
        period, k = 1 / self.fps, 0
        next_t = time.perf_counter()
        while not self._stop.is_set():
            frame = np.roll(self._base, k, axis=1)  # a moving pattern, a new array per frame
            with self._lock:
                self._frame = frame
            k += 4
            next_t += period
            time.sleep(max(0.0, next_t - time.perf_counter()))
    def read_latest(self, max_age_ms=500):
        with self._lock:
            return self._frame
    def disconnect(self):
        self._stop.set()
        self._thread.join()
        self.is_connected = False
"""

#: What both sides report: the start time of every iteration, CPU seconds, wall seconds.
MEASURE_SOURCE = r"""
import resource, time
class Probe:
    def __init__(self, robot):
        self.starts = []
        inner = robot.get_observation
        def observe():
            self.starts.append(time.perf_counter())
            return inner()
        robot.get_observation = observe
    def cpu(self):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
"""

OURS = r"""
import json, sys, time
exec(sys.argv[1]); exec(sys.argv[2])
follower_port, leader_port = sys.argv[3], sys.argv[4]
fps, seconds = int(sys.argv[5]), float(sys.argv[6])
from lr_robots.control.loops import teleop_loop
from lr_robots.robots.so_follower import SO101Follower, SO101FollowerConfig
from lr_robots.teleoperators.so_leader import SO101Leader, SO101LeaderConfig
cameras = {}
if sys.argv[7] == "synthetic":  # lr's own camera, through the config as a user gives it
    from lr_robots.cameras.synthetic.config import SyntheticCameraConfig
    cameras = {"front": SyntheticCameraConfig(width=640, height=480, fps=30)}
robot = SO101Follower(SO101FollowerConfig(port=follower_port, id="bench", cameras=cameras))
teleop = SO101Leader(SO101LeaderConfig(port=leader_port, id="bench"))
if not cameras:
    robot.cameras = {"front": BenchCamera()}
teleop.connect(); robot.connect()
probe = Probe(robot)
cpu0, t0 = probe.cpu(), time.perf_counter()
teleop_loop(teleop, robot, fps, seconds)
wall, cpu = time.perf_counter() - t0, probe.cpu() - cpu0
robot.disconnect(); teleop.disconnect()
print("RESULT " + json.dumps({"starts": probe.starts, "wall": wall, "cpu": cpu}))
"""

PEER = r"""
import json, os, sys, time
exec(sys.argv[1]); exec(sys.argv[2])
follower_port, leader_port = sys.argv[3], sys.argv[4]
fps, seconds = int(sys.argv[5]), float(sys.argv[6])
from lerobot.processor import make_default_processors
from lerobot.robots.so_follower import SO101Follower, SO101FollowerConfig
from lerobot.scripts.lerobot_teleoperate import teleop_loop
from lerobot.teleoperators.so_leader import SO101Leader, SO101LeaderConfig
robot = SO101Follower(SO101FollowerConfig(port=follower_port, id="bench"))
teleop = SO101Leader(SO101LeaderConfig(port=leader_port, id="bench"))
robot.cameras = {"front": BenchCamera()}
teleop.connect(); robot.connect()
probe = Probe(robot)
processors = make_default_processors()
out = sys.stdout
sys.stdout = open(os.devnull, "w")  # its per-loop status line, as a terminal would swallow it
cpu0, t0 = probe.cpu(), time.perf_counter()
teleop_loop(teleop=teleop, robot=robot, fps=fps, teleop_action_processor=processors[0],
            robot_action_processor=processors[1], robot_observation_processor=processors[2],
            duration=seconds)
wall, cpu = time.perf_counter() - t0, probe.cpu() - cpu0
sys.stdout = out
robot.disconnect(); teleop.disconnect()
print("RESULT " + json.dumps({"starts": probe.starts, "wall": wall, "cpu": cpu}))
"""


def _peer_python() -> Path | None:
    spec = importlib.util.spec_from_file_location("locate", REPO / "tools/peer/locate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python("0.6.1")


def _calibrate(emus: dict[str, ServoEmulator], home: Path) -> None:
    """The same calibration in both arms' registers and in both projects' files."""
    cal = {
        name: MotorCalibration(
            id=m.id,
            drive_mode=0,
            homing_offset=0,
            range_min=0 if name == "wrist_roll" else 1000,
            range_max=4095 if name == "wrist_roll" else 3000,
        )
        for name, m in robot_motors("so101").motors.items()
    }
    save_calibration(home / "robots/so_follower/bench.json", cal)
    save_calibration(home / "teleoperators/so_leader/bench.json", cal)
    for emu in emus.values():
        for name, c in cal.items():
            emu.set_register(name, "Min_Position_Limit", c.range_min)
            emu.set_register(name, "Max_Position_Limit", c.range_max)


def run_side(python: str, script: str, ports: tuple[str, str], fps: int, seconds: float,
             env: dict[str, str], camera: str = "standin") -> dict:  # fmt: skip
    """One loop in its own process; the measured figures."""
    out = subprocess.run(
        [
            python,
            "-c",
            script,
            CAMERA_SOURCE,
            MEASURE_SOURCE,
            *ports,
            str(fps),
            str(seconds),
            camera,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 300,
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"the loop failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    data = json.loads(lines[-1].removeprefix("RESULT "))
    starts = data["starts"]
    periods = sorted(b - a for a, b in itertools.pairwise(starts))
    return {
        "hz": (len(starts) - 1) / (starts[-1] - starts[0]),
        "p50_ms": periods[len(periods) // 2] * 1e3,
        "p99_ms": periods[min(len(periods) - 1, int(len(periods) * 0.99))] * 1e3,
        "cpu_pct": 100 * data["cpu"] / data["wall"],
    }


def _spin() -> None:  # pragma: no cover - a busy core for --busy
    while True:
        pass


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--busy", action="store_true", help="keep one core spinning meanwhile")
    args = parser.parse_args()
    peer = _peer_python()
    spinner = None
    if args.busy:
        spinner = multiprocessing.Process(target=_spin, daemon=True)
        spinner.start()
    ours, theirs, ours_synthetic = [], [], []
    with (
        tempfile.TemporaryDirectory() as home,
        ServoEmulator(robot_servos("so101", "follower")) as follower,
        ServoEmulator(robot_servos("so101", "leader")) as leader,
    ):
        _calibrate({"follower": follower, "leader": leader}, Path(home))
        env = {**os.environ, "HF_LEROBOT_CALIBRATION": home, "PYTHONUNBUFFERED": "1"}
        ports = (follower.port, leader.port)

        def measure(label: str, python: str, script: str, camera: str = "standin") -> dict:
            # a reply lost to a loaded machine ends a loop (LeRobot reads without retry, lr
            # after 3 tries of 250 ms on the emulator's pty): such a round is run again, and
            # stderr says so
            for attempt in range(3):
                try:
                    return run_side(python, script, ports, args.fps, args.seconds, env, camera)
                except RuntimeError as exc:
                    last = str(exc).strip().splitlines()[-1][:300]
                    print(f"{label} round failed (try {attempt + 1}/3): {last}", file=sys.stderr)
            raise SystemExit(f"{label}: three rounds failed in a row")

        for _ in range(args.rounds):
            ours.append(measure("lr", sys.executable, OURS))
            ours_synthetic.append(measure("lr, synthetic", sys.executable, OURS, "synthetic"))
            if peer is not None:
                theirs.append(measure("lerobot", str(peer), PEER))
    if spinner is not None:
        spinner.terminate()

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"teleoperate: SO-101 leader -> follower (pty emulators) + one 480x640 camera, "
          f"target {args.fps} Hz, {args.seconds:g} s x {args.rounds} rounds (medians)"
          f"{', one core kept busy' if args.busy else ''}")  # fmt: skip
    print(f"{'':<16}{'achieved Hz':>12}{'p50 ms':>9}{'p99 ms':>9}{'CPU %':>8}")
    rows = (("lr", ours), ("lerobot 0.6.1", theirs), ("lr, synthetic", ours_synthetic))
    for label, runs in rows:
        if runs:
            print(f"{label:<16}{med(runs, 'hz'):>12.1f}{med(runs, 'p50_ms'):>9.2f}"
                  f"{med(runs, 'p99_ms'):>9.2f}{med(runs, 'cpu_pct'):>8.0f}")  # fmt: skip
    if theirs:
        print(f"{'ratio lr/lerobot':<16}{med(ours, 'hz') / med(theirs, 'hz'):>11.2f}x"
              f"{med(theirs, 'p50_ms') / med(ours, 'p50_ms'):>8.2f}x"
              f"{med(theirs, 'p99_ms') / med(ours, 'p99_ms'):>8.2f}x"
              f"{med(theirs, 'cpu_pct') / med(ours, 'cpu_pct'):>7.2f}x")  # fmt: skip
        print("goal: achieved Hz >= 1.5x LeRobot's, lr p99 < 10 ms. The ratio compares the rows "
              "with the same stand-in camera; 'lr, synthetic' uses lr's own synthetic camera "
              "(--robot.cameras={front: {type: synthetic}}) instead")  # fmt: skip
    else:
        print("lerobot 0.6.1 peer not installed (tools/peer/install.sh): no ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
