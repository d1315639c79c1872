"""Recording benchmark: ``lr record`` vs LeRobot 0.6.1's ``lerobot-record`` on the same arms and
cameras.

Setup, shared by both sides: two pty servo emulators (an SO-101 leader and follower, calibrated
alike) and one image server publishing two synthetic 480x640 cameras at 30 fps over ZeroMQ in
LeRobot's message layout (``lr serve-cameras`` in its own process; JPEG, as LeRobot's server).
Both recorders
read them through their ``zmq`` camera (``--robot.cameras='{front: {type: zmq, ...}, wrist:
...}'``): a camera LeRobot can open on a machine without a camera device, and the same frames
and the same JPEG decoding cost for both. Each side records ``--episodes`` episodes of
``--episode-s`` seconds at 30 fps (resets of ``--reset-s``), AV1 video, no Hub, in its own
process, by calling its command's own entry point (``lr record`` /
``lerobot.scripts.lerobot_record.main``) with probes on ``add_frame`` and ``save_episode``.

Reported per side (medians over rounds): frames stored per episode against ``fps x seconds``;
late ticks (intervals between two stored frames longer than 1.5 periods: the loop fell behind
and a timestamp ``frame_index / fps`` no longer matches when the frame was taken); the worst
interval; how long ``save_episode`` blocked the loop (the longest); CPU % of one core of the
whole process (encoders included: lr's libsvtav1 encoder processes too, reaped before the
report); peak RSS of the recorder process (lr's encoder processes, 60-140 MB each, not
included). lr's own per-episode counts (late and missed
ticks) are printed too. LeRobot runs twice: with its defaults (PNG frames written during the
episode, video encoded inside ``save_episode``) and with ``--dataset.streaming_encoding=true``
(encoding while recording, its recommended setting).

    uv run python tools/bench/record.py [--episodes 3] [--episode-s 60] [--reset-s 5]
        [--rounds 1] [--busy] [--no-peer]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, resource, sys, time
ADDS, SAVES = [], []
def probe_dataset(cls):
    add, save = cls.add_frame, cls.save_episode
    def add_frame(self, *a, **k):
        ADDS.append(time.perf_counter())
        return add(self, *a, **k)
    def save_episode(self, *a, **k):
        t0 = time.perf_counter()
        try:
            return save(self, *a, **k)
        finally:
            SAVES.append((t0, time.perf_counter() - t0))
    cls.add_frame, cls.save_episode = add_frame, save_episode
def report(wall):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped: lr's encoder processes
    print("RESULT " + json.dumps({"adds": ADDS, "saves": SAVES, "wall": wall,
          "cpu": usage.ru_utime + usage.ru_stime + kids.ru_utime + kids.ru_stime,
          "rss_mb": usage.ru_maxrss / 1024, "child_rss_mb": kids.ru_maxrss / 1024}),
          file=sys.__stdout__, flush=True)
"""

OURS = (
    PROBE
    + r"""
import lr_dataset.dataset
probe_dataset(lr_dataset.dataset.LeRobotDataset)
from lr_robots.record.session import record_main
t0 = time.perf_counter()
record_main(sys.argv[1:])
from lr_dataset.video.encoder_process import close_idle_processes
close_idle_processes()  # lr's encoder processes (libsvtav1) end and are reaped: CPU counted
report(time.perf_counter() - t0)
"""
)

PEER = (
    PROBE
    + r"""
import logging
from lerobot.datasets import LeRobotDataset
probe_dataset(LeRobotDataset)
from lerobot.scripts import lerobot_record
sys.argv = ["lerobot-record", *sys.argv[1:]]
t0 = time.perf_counter()
lerobot_record.main()
report(time.perf_counter() - t0)
"""
)


def _peer_python() -> Path | None:
    spec = importlib.util.spec_from_file_location("locate", REPO / "tools/peer/locate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python("0.6.1")


def _calibrate(follower, leader, home: Path) -> None:
    from lr_core.motors import MotorCalibration, save_calibration
    from lr_motors.presets import robot_motors

    cal = {
        name: MotorCalibration(
            id=m.id, drive_mode=0, homing_offset=0,
            range_min=0 if name == "wrist_roll" else 1000,
            range_max=4095 if name == "wrist_roll" else 3000,
        )
        for name, m in robot_motors("so101").motors.items()
    }  # fmt: skip
    save_calibration(home / "robots/so_follower/bench.json", cal)
    save_calibration(home / "teleoperators/so_leader/bench.json", cal)
    for emu in (follower, leader):
        for name, c in cal.items():
            emu.set_register(name, "Min_Position_Limit", c.range_min)
            emu.set_register(name, "Max_Position_Limit", c.range_max)


def flags(ports: tuple[str, str], camera_port: int, root: Path, args, extra=()) -> list[str]:
    """The same ``--robot.* --teleop.* --dataset.*`` flags for both commands."""
    cams = {
        name: {"type": "zmq", "server_address": "127.0.0.1", "port": camera_port,
               "camera_name": name, "width": 640, "height": 480, "fps": 30}
        for name in ("front", "wrist")
    }  # fmt: skip
    return [
        "--robot.type=so101_follower", f"--robot.port={ports[0]}", "--robot.id=bench",
        f"--robot.cameras={json.dumps(cams)}",
        "--teleop.type=so101_leader", f"--teleop.port={ports[1]}", "--teleop.id=bench",
        "--dataset.repo_id=bench/record", f"--dataset.root={root}",
        "--dataset.single_task=bench", f"--dataset.num_episodes={args.episodes}",
        f"--dataset.episode_time_s={args.episode_s}", f"--dataset.reset_time_s={args.reset_s}",
        "--dataset.fps=30", "--dataset.push_to_hub=false", "--play_sounds=false",
        *extra,
    ]  # fmt: skip


def run_side(python: str, script: str, argv: list[str], env: dict[str, str], args) -> dict:
    """One recording session in its own process; its figures."""
    budget = args.episodes * (args.episode_s + args.reset_s) + 600
    out = subprocess.run([python, "-c", script, *argv], capture_output=True, text=True,
                         env=env, timeout=budget, stdin=subprocess.DEVNULL)  # fmt: skip
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"the recorder failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    data = json.loads(lines[-1].removeprefix("RESULT "))
    period = 1 / 30
    # stored frames split into episodes at each save_episode call
    episodes: list[list[float]] = [[]]
    saves = sorted(data["saves"])
    bounds = [t for t, _ in saves]
    for t in data["adds"]:
        while bounds and t > bounds[0]:
            bounds.pop(0)
            episodes.append([])
        episodes[-1].append(t)
    episodes = [e for e in episodes if e]
    intervals = [b - a for e in episodes for a, b in itertools.pairwise(e)]
    lr_own = [line.split(": ", 1)[1] for line in out.stdout.splitlines()
              if line.startswith("Episode ") and " done: " in line]  # fmt: skip
    return {
        "frames": [len(e) for e in episodes],
        "expected": round(args.episode_s * 30),
        "late": sum(i > 1.5 * period for i in intervals),
        "worst_ms": max(intervals, default=0) * 1e3,
        "save_block_s": max((s for _, s in saves), default=0.0),
        "cpu_pct": 100 * data["cpu"] / data["wall"],
        "rss_mb": data["rss_mb"],
        "lr_own": lr_own,
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spin() -> None:  # pragma: no cover - a busy core for --busy
    while True:
        pass


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--episode-s", type=float, default=60.0)
    parser.add_argument("--reset-s", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--busy", action="store_true", help="keep one core spinning meanwhile")
    parser.add_argument("--no-peer", action="store_true", help="lr only")
    args = parser.parse_args()

    from lr_motors.emulator import ServoEmulator, robot_servos

    peer = None if args.no_peer else _peer_python()
    spinner = None
    if args.busy:
        spinner = multiprocessing.Process(target=_spin, daemon=True)
        spinner.start()
    sides: dict[str, list[dict]] = {}
    camera_port = _free_port()
    synthetic = {"type": "synthetic", "width": 640, "height": 480, "fps": 30}
    # the image server in its own process, so its JPEG encoding never delays the emulators
    server = subprocess.Popen(
        [sys.executable, "-m", "lr_core.cli", "serve-cameras", f"--port={camera_port}",
         "--host=127.0.0.1", "--fps=30", "--quality=80",
         f"--cameras={json.dumps({'front': synthetic, 'wrist': synthetic})}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as work,
        ServoEmulator(robot_servos("so101", "follower")) as follower,
        ServoEmulator(robot_servos("so101", "leader")) as leader,
    ):
        home = Path(work) / "calibration"
        _calibrate(follower, leader, home)
        env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(home), "PYTHONUNBUFFERED": "1",
               "HF_LEROBOT_HOME": str(Path(work) / "home"), "HF_HUB_OFFLINE": "1"}  # fmt: skip
        ports = (follower.port, leader.port)
        runs = [("lr", sys.executable, OURS, ["--dataset.no_stamp=true"])]
        if peer is not None:
            runs.append(("lerobot 0.6.1", str(peer), PEER, ["--dataset.no_stamp=true"]))
            runs.append(("lerobot, streaming", str(peer), PEER,
                         ["--dataset.no_stamp=true", "--dataset.streaming_encoding=true",
                          "--dataset.encoder_threads=2"]))  # fmt: skip
        for r in range(args.rounds):
            for label, python, script, extra in runs:
                root = Path(work) / f"{label.replace(' ', '_').replace(',', '')}-{r}"
                argv = flags(ports, camera_port, root, args, extra)
                for attempt in range(3):  # a reply lost to a loaded machine ends a session
                    try:
                        shutil.rmtree(root, ignore_errors=True)
                        result = run_side(python, script, argv, env, args)
                        break
                    except RuntimeError as exc:
                        lines = str(exc).strip().splitlines()
                        errors = [ln for ln in lines if "error" in ln.lower()] or lines[-1:]
                        last = errors[-1][:400]
                        print(f"{label} round failed (try {attempt + 1}/3): {last}",
                              file=sys.stderr)  # fmt: skip
                else:
                    raise SystemExit(f"{label}: three sessions failed in a row")
                sides.setdefault(label, []).append(result)
                print(f"{label} round {r}: {json.dumps({k: v for k, v in result.items()})}",
                      file=sys.stderr, flush=True)  # fmt: skip
    server.terminate()
    server.wait()
    if spinner is not None:
        spinner.terminate()

    def med(label: str, key: str) -> float:
        return statistics.median(run[key] for run in sides[label])

    print(f"record: SO-101 leader -> follower (pty emulators) + two 480x640 cameras (zmq, "
          f"30 fps), {args.episodes} episodes x {args.episode_s:g} s at 30 fps, "
          f"{args.rounds} round(s), medians"
          f"{', one core kept busy' if args.busy else ''}")  # fmt: skip
    header = f"{'':<20}{'frames/ep':>12}{'late':>6}{'worst ms':>10}{'save s':>8}{'CPU %':>7}"
    print(header + f"{'RSS MB':>8}")
    for label in sides:
        frames = [f for run in sides[label] for f in run["frames"]]
        shown = f"{min(frames)}-{max(frames)}/{sides[label][0]['expected']}"
        print(f"{label:<20}{shown:>12}{med(label, 'late'):>6.0f}{med(label, 'worst_ms'):>10.1f}"
              f"{med(label, 'save_block_s'):>8.2f}{med(label, 'cpu_pct'):>7.0f}"
              f"{med(label, 'rss_mb'):>8.0f}")  # fmt: skip
    if "lerobot 0.6.1" in sides:
        for other in ("lerobot 0.6.1", "lerobot, streaming"):
            worst = med(other, "worst_ms") / max(med("lr", "worst_ms"), 1e-9)
            cpu = med(other, "cpu_pct") / med("lr", "cpu_pct")
            rss = med(other, "rss_mb") / med("lr", "rss_mb")
            print(f"ratio {other}/lr: worst interval {worst:.2f}x, CPU {cpu:.2f}x, RSS {rss:.2f}x; "
                  f"save_episode blocked {med(other, 'save_block_s') * 1e3:.0f} ms vs "
                  f"{med('lr', 'save_block_s') * 1e3:.1f} ms")  # fmt: skip
    else:
        print("lerobot 0.6.1 peer not installed (tools/peer/install.sh): no ratio")
    print("lr's own episode reports (late = started > 1/4 period after due; missed = skipped):")
    for run in sides["lr"]:
        for line in run["lr_own"]:
            print("  " + line.split("; saving")[0])
    print("goal: 0 late ticks, save_episode never blocking the next episode")
    return 0


if __name__ == "__main__":
    sys.exit(main())
