"""Motor bus loop benchmark: sync_read 6 positions + sync_write 6 goals per cycle.

Runs against the pty servo emulator (six STS3215, 1 Mbps) with lr's FeetechMotorsBus, then the
same loop with LeRobot 0.6.1's FeetechMotorsBus (peer venv, in a subprocess) against the same
emulator, alternating rounds; prints cycles/s and p50/p99 cycle latency (medians over rounds).

    uv run python tools/bench/motors.py [--cycles 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lr_core.motors import MotorCalibration
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

REPO = Path(__file__).resolve().parents[2]
CALIBRATION = {
    name: {"id": i + 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, name in enumerate(robot_motors("so101").motors)
}

PEER_SCRIPT = r"""
import json, sys, time
from lerobot.motors import Motor, MotorCalibration, MotorNormMode
from lerobot.motors.feetech import FeetechMotorsBus
port, cycles, calib = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
names = list(calib)
motors = {n: Motor(c["id"], "sts3215",
                   MotorNormMode.RANGE_0_100 if n == "gripper" else MotorNormMode.DEGREES)
          for n, c in calib.items()}
bus = FeetechMotorsBus(port, motors, {n: MotorCalibration(**c) for n, c in calib.items()})
bus.connect()
goals = {n: 0.0 if n != "gripper" else 50.0 for n in names}
for _ in range(50):
    bus.sync_read("Present_Position"); bus.sync_write("Goal_Position", goals)
lat = []
start = time.perf_counter()
for i in range(cycles):
    t = time.perf_counter()
    pos = bus.sync_read("Present_Position")
    bus.sync_write("Goal_Position", goals)
    lat.append(time.perf_counter() - t)
total = time.perf_counter() - start
bus.disconnect(disable_torque=False)
print(json.dumps({"total": total, "lat": lat}))
"""


def run_ours(port: str, cycles: int) -> tuple[float, list[float]]:
    """Our loop; returns (total seconds, per-cycle latencies)."""
    cal = {n: MotorCalibration(**c) for n, c in CALIBRATION.items()}
    bus = FeetechMotorsBus(port, robot_motors("so101").motors, cal)
    bus.connect()
    goals = {n: 0.0 if n != "gripper" else 50.0 for n in CALIBRATION}
    for _ in range(50):
        bus.sync_read("Present_Position")
        bus.sync_write("Goal_Position", goals)
    lat = []
    start = time.perf_counter()
    for _ in range(cycles):
        t = time.perf_counter()
        bus.sync_read("Present_Position")
        bus.sync_write("Goal_Position", goals)
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    bus.disconnect(disable_torque=False)
    return total, lat


def run_peer(python: Path, port: str, cycles: int) -> tuple[float, list[float]]:
    """LeRobot 0.6.1's loop in its own interpreter."""
    out = subprocess.run(
        [str(python), "-c", PEER_SCRIPT, port, str(cycles), json.dumps(CALIBRATION)],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["total"], data["lat"]


def _peer_python() -> Path | None:
    spec = importlib.util.spec_from_file_location("locate", REPO / "tools/peer/locate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python("0.6.1")


def summary(runs: list[tuple[float, list[float]]], cycles: int) -> dict[str, float]:
    """Median over rounds of cycles/s, p50 and p99 (ms)."""
    rates, p50, p99 = [], [], []
    for total, lat in runs:
        lat = sorted(lat)
        rates.append(cycles / total)
        p50.append(lat[len(lat) // 2] * 1e3)
        p99.append(lat[int(len(lat) * 0.99)] * 1e3)
    return {
        "cycles_s": statistics.median(rates),
        "p50_ms": statistics.median(p50),
        "p99_ms": statistics.median(p99),
    }


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    peer = _peer_python()
    ours_runs, peer_runs = [], []
    with ServoEmulator(robot_servos("so101", "follower")) as emu:
        for _ in range(args.rounds):
            ours_runs.append(run_ours(emu.port, args.cycles))
            if peer is not None:
                peer_runs.append(run_peer(peer, emu.port, args.cycles))
    ours = summary(ours_runs, args.cycles)
    print(f"motors loop: sync_read 6 + sync_write 6, STS3215 emulator, {args.cycles} cycles x "
          f"{args.rounds} rounds (medians)")  # fmt: skip
    print(f"{'':<22}{'cycles/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'lr FeetechMotorsBus':<22}{ours['cycles_s']:>10.0f}{ours['p50_ms']:>10.3f}"
          f"{ours['p99_ms']:>10.3f}")  # fmt: skip
    if peer_runs:
        theirs = summary(peer_runs, args.cycles)
        print(f"{'lerobot 0.6.1':<22}{theirs['cycles_s']:>10.0f}{theirs['p50_ms']:>10.3f}"
              f"{theirs['p99_ms']:>10.3f}")  # fmt: skip
        print(f"{'ratio (lr / lerobot)':<22}{ours['cycles_s'] / theirs['cycles_s']:>10.2f}x")
    else:
        print("lerobot 0.6.1 peer not installed (tools/peer/install.sh): no ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
