"""Measure how late the pty servo emulator answers, idle and with cores kept busy.

A real STS3215 answers a SYNC_READ within its return delay (0 after ``configure_motors``) plus
the wire time (about 0.1 ms per servo at 1 Mbps) plus the USB adapter's latency: a millisecond
or two. The emulator is a Python process the OS has to schedule when the request arrives, so
on a loaded machine its reply can come much later. This runs LeKiwi's host transactions (one
SYNC_READ of the six arm positions, one of the three wheel speeds, one SYNC_WRITE of the wheel
goals) against the emulator with lr's Feetech bus, no retries and a 2 s reply timeout, and
prints the distribution of the SYNC_READ round trips and how many exceed 34 ms (the vendor
SDKs' window), 50 ms (LeRobot's; lr's on a serial adapter), 100 ms, 150 ms (LeRobot's three
tries) and 250 ms (lr's on a pty)::

    uv run python tools/repro/emulator_reply_latency.py --seconds 60 [--busy 1]

``--busy N`` keeps N processes spinning meanwhile, ``--spin-nice`` (10) nicer than this one;
``--busy 4 --spin-nice 0`` makes the emulator compete as an equal with four busy processes on
a 2-core machine (very heavy load). Prints one table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time

from lr_motors.emulator import ServoEmulator, robot_servos
from lr_motors.feetech.bus import FeetechMotorsBus
from lr_motors.presets import robot_motors

THRESHOLDS_MS = (34, 50, 100, 150, 250)


def _spin(increment: int) -> None:  # pragma: no cover - a busy core
    os.nice(increment)
    while True:
        pass


def measure(seconds: float, hz: float) -> list[float]:
    """Round-trip times (ms) of the SYNC_READs of a ``hz`` LeKiwi host loop for ``seconds``."""
    motors = robot_motors("lekiwi").motors
    arm = [m for m in motors if m.startswith("arm_")]
    wheels = [m for m in motors if m.startswith("base_")]
    out: list[float] = []
    with ServoEmulator(robot_servos("lekiwi")) as emu:
        bus = FeetechMotorsBus(emu.port, motors, retries=0, timeout_ms=2000)
        bus.connect()
        try:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                start = time.perf_counter()
                for register, names in (("Present_Position", arm), ("Present_Velocity", wheels)):
                    t = time.perf_counter()
                    bus.sync_read(register, names, normalize=False)
                    out.append((time.perf_counter() - t) * 1e3)
                bus.sync_write("Goal_Velocity", dict.fromkeys(wheels, 0), normalize=False)
                time.sleep(max(0.0, 1 / hz - (time.perf_counter() - start)))
        finally:
            bus.disconnect(disable_torque=False)
    return out


def main() -> int:
    """Run the measurement and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--hz", type=float, default=30.0, help="host loop rate (LeKiwi: 30)")
    parser.add_argument("--busy", type=int, default=0, help="processes kept spinning")
    parser.add_argument(
        "--spin-nice",
        type=int,
        default=10,
        help="niceness the spinners add to this process's (0: compete as equals)",
    )
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=_spin, args=(args.spin_nice,), daemon=True)
                for _ in range(args.busy)]  # fmt: skip
    for p in spinners:
        p.start()
    try:
        lat = sorted(measure(args.seconds, args.hz))
    finally:
        for p in spinners:
            p.terminate()
    n = len(lat)

    def q(f: float) -> float:
        return lat[min(n - 1, int(n * f))]

    over = {t: sum(x > t for x in lat) for t in THRESHOLDS_MS}
    load = os.getloadavg()[0]
    print(f"emulator SYNC_READ round trips: {n} in {args.seconds:g} s at {args.hz:g} Hz, "
          f"{args.busy} spinning (nice +{args.spin_nice}), load average {load:.1f}")  # fmt: skip
    print(f"p50 {q(0.5):.2f} ms  p99 {q(0.99):.2f} ms  p99.9 {q(0.999):.2f} ms  "
          f"max {lat[-1]:.1f} ms")  # fmt: skip
    print("  ".join(f"> {t} ms: {c}" for t, c in over.items()))
    print(json.dumps({"n": n, "busy": args.busy, "spin_nice": args.spin_nice, "load": load,
                      "p50": q(0.5), "p99": q(0.99), "p999": q(0.999), "max": lat[-1],
                      "over": over}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
