"""Motor bus loop benchmark: sync_read 6 positions + sync_write 6 goals per cycle.

Runs against the pty servo emulator (1 Mbps) with lr's bus, then the same loop with LeRobot
0.6.1's bus (peer venv, in a subprocess) against the same emulator, alternating rounds; prints
cycles/s, p50/p99 cycle latency and client CPU per cycle (medians over rounds).
``--robot so101`` (default) uses six STS3215 and the Feetech buses; ``--robot koch`` the Koch
follower's Dynamixels (both projects go through dynamixel-sdk there).

    uv run python tools/bench/motors.py [--robot so101|koch] [--cycles 2000] [--rounds 3]
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
from lr_motors.cli import bus_class
from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.presets import robot_motors

REPO = Path(__file__).resolve().parents[2]
CALIBRATION = {
    name: {"id": i + 1, "drive_mode": 0, "homing_offset": 0, "range_min": 1000, "range_max": 3000}
    for i, name in enumerate(robot_motors("so101").motors)
}

PEER_SCRIPT = r"""
import json, sys, time
from lerobot.motors import Motor, MotorCalibration, MotorNormMode
from lerobot.motors.dynamixel import DynamixelMotorsBus
from lerobot.motors.feetech import FeetechMotorsBus
port, cycles, calib = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
vendor, spec = sys.argv[4], json.loads(sys.argv[5])
names = list(calib)
motors = {n: Motor(c["id"], spec[n][0], MotorNormMode(spec[n][1])) for n, c in calib.items()}
cls = FeetechMotorsBus if vendor == "feetech" else DynamixelMotorsBus
bus = cls(port, motors, {n: MotorCalibration(**c) for n, c in calib.items()})
bus.connect()
goals = {n: 0.0 if n != "gripper" else 50.0 for n in names}
for _ in range(50):
    bus.sync_read("Present_Position", num_retry=2); bus.sync_write("Goal_Position", goals)
lat = []
start, cpu = time.perf_counter(), time.process_time()
for i in range(cycles):
    t = time.perf_counter()
    pos = bus.sync_read("Present_Position", num_retry=2)  # as SOFollower.get_observation
    bus.sync_write("Goal_Position", goals)
    lat.append(time.perf_counter() - t)
total, cpu = time.perf_counter() - start, time.process_time() - cpu
bus.disconnect(disable_torque=False)
print(json.dumps({"total": total, "cpu": cpu, "lat": lat}))
"""


def run_ours(robot: str, port: str, cycles: int) -> tuple[float, float, list[float]]:
    """Our loop; returns (wall seconds, client CPU seconds, per-cycle latencies)."""
    cal = {n: MotorCalibration(**c) for n, c in CALIBRATION.items()}
    preset = robot_motors(robot)
    bus = bus_class(preset.vendor)(port, preset.motors, cal)
    bus.connect()
    goals = {n: 0.0 if n != "gripper" else 50.0 for n in CALIBRATION}
    for _ in range(50):
        bus.sync_read("Present_Position")
        bus.sync_write("Goal_Position", goals)
    lat = []
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(cycles):
        t = time.perf_counter()
        bus.sync_read("Present_Position")
        bus.sync_write("Goal_Position", goals)
        lat.append(time.perf_counter() - t)
    total, cpu = time.perf_counter() - start, time.process_time() - cpu
    bus.disconnect(disable_torque=False)
    return total, cpu, lat


def run_peer(python: Path, robot: str, port: str, cycles: int) -> tuple[float, float, list[float]]:
    """LeRobot 0.6.1's loop in its own interpreter, on the same motors and norm modes."""
    preset = robot_motors(robot)
    spec = {n: (m.model, m.norm_mode.value) for n, m in preset.motors.items()}
    out = subprocess.run(
        [
            str(python),
            "-c",
            PEER_SCRIPT,
            port,
            str(cycles),
            json.dumps(CALIBRATION),
            preset.vendor,
            json.dumps(spec),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the lerobot loop failed:\n{out.stderr[-3000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["total"], data["cpu"], data["lat"]


def _peer_python() -> Path | None:
    spec = importlib.util.spec_from_file_location("locate", REPO / "tools/peer/locate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python("0.6.1")


def summary(runs: list[tuple[float, float, list[float]]], cycles: int) -> dict[str, float]:
    """Median over rounds of cycles/s, p50 and p99 (ms), and client CPU µs per cycle."""
    rates, p50, p99, cpu = [], [], [], []
    for total, cpu_s, lat in runs:
        lat = sorted(lat)
        rates.append(cycles / total)
        cpu.append(cpu_s / cycles * 1e6)
        p50.append(lat[len(lat) // 2] * 1e3)
        p99.append(lat[int(len(lat) * 0.99)] * 1e3)
    return {
        "cycles_s": statistics.median(rates),
        "p50_ms": statistics.median(p50),
        "p99_ms": statistics.median(p99),
        "cpu_us": statistics.median(cpu),
    }


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--robot", choices=["so101", "koch"], default="so101")
    args = parser.parse_args()
    peer = _peer_python()
    ours_runs, peer_runs = [], []
    with ServoEmulator(robot_servos(args.robot, "follower")) as emu:
        for _ in range(args.rounds):
            ours_runs.append(run_ours(args.robot, emu.port, args.cycles))
            if peer is not None:
                peer_runs.append(run_peer(peer, args.robot, emu.port, args.cycles))
    ours = summary(ours_runs, args.cycles)
    vendor = robot_motors(args.robot).vendor
    print(f"motors loop: sync_read 6 + sync_write 6, {args.robot} follower emulator, "
          f"{args.cycles} cycles x {args.rounds} rounds (medians)")  # fmt: skip
    print(f"{'':<22}{'cycles/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'client CPU us/cycle':>21}")

    def row(label: str, r: dict[str, float]) -> None:
        print(f"{label:<22}{r['cycles_s']:>10.0f}{r['p50_ms']:>10.3f}{r['p99_ms']:>10.3f}"
              f"{r['cpu_us']:>21.0f}")  # fmt: skip

    label = "FeetechMotorsBus" if vendor == "feetech" else "DynamixelMotorsBus"
    row(f"lr {label}", ours)
    if peer_runs:
        theirs = summary(peer_runs, args.cycles)
        row("lerobot 0.6.1", theirs)
        print(
            f"{'ratio (lr / lerobot)':<22}{ours['cycles_s'] / theirs['cycles_s']:>9.2f}x"
            f"{theirs['p50_ms'] / ours['p50_ms']:>9.2f}x{theirs['p99_ms'] / ours['p99_ms']:>9.2f}x"
            f"{theirs['cpu_us'] / ours['cpu_us']:>20.2f}x"
        )
    else:
        print("lerobot 0.6.1 peer not installed (tools/peer/install.sh): no ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
