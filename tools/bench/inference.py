"""Async inference (lr-inference) against LeRobot 0.6.1's gRPC path.

    uv run python tools/bench/inference.py                 # every section
    uv run python tools/bench/inference.py --n 50 --duration 3   # a smoke run
    uv run python tools/bench/inference.py --sections roundtrip --busy

Sections:

- ``roundtrip``: observation → action chunk over loopback, a 480×640×3 uint8 frame and 6
  joint values per observation, a no-op policy (50 actions), server and client in separate
  processes. Rows: raw pyzmq moving the same bytes (the floor), lr (``PolicyClient.infer``
  against ``python -m lr_inference.testing``), LeRobot 0.6.1 (``tools/bench/inference_peer.py``:
  its ``PolicyServer`` with a no-op policy, its client's pickle + ``SendObservations`` +
  ``GetActions``). Goal: lr ≤ 1 ms median. ``--busy`` repeats it with one core kept busy.
- ``modes``: the simulated SO-101 (``sim_so101``, one 480×640 camera) at 30 Hz driven by a
  policy padded to 100 ms per chunk (50 actions): async vs sync: loop ticks and actions per
  second, ticks with an empty queue, and the time 300 actions take at the nominal 30 Hz
  (task cycle time: ticks per executed action × 300 / 30, robust to a loop slowed by load).
- ``footprint``: the robot side: CPU (share of one core) and peak RSS of a client process
  running the async loop at 30 Hz with a 480×640 camera, torch never imported; and the RSS of
  importing each side's robot client module.
- ``batching``: 4 clients on one server whose policy costs 20 ms per forward pass whatever the
  batch (a GPU-like cost, the GIL released): total chunks per second with
  ``max_batch_size=1``, and ``64`` without and with a 2 ms ``batch_wait_s``.

Medians throughout; LeRobot is skipped when its peer venv is missing (tools/peer/install.sh).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"), "OMP_NUM_THREADS": "1"}
MOTORS = [f"m{i}.pos" for i in range(6)]


def load_locate():
    spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Working folder of the peer's processes (LeRobot writes ./logs/*.log wherever it runs).
PEER_CWD = Path(tempfile.gettempdir()) / "lr-bench-inference-peer"


@contextmanager
def process(
    args: list[str], marker: str = "listening on", cwd: Path | None = None
) -> Iterator[str]:
    """Run ``args``; yield what follows ``marker`` on its first stdout line (the address)."""
    child = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV, cwd=cwd
    )
    try:
        ready, _, _ = select.select([child.stdout], [], [], 300)
        line = child.stdout.readline() if ready else ""
        if marker not in line:
            raise RuntimeError(f"{args[:3]} did not start: {line!r}")
        yield line.split(marker, 1)[1].strip()
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()


@contextmanager
def busy_core(enabled: bool) -> Iterator[None]:
    """Keep one core busy with a spinning process while the block runs."""
    if not enabled:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        spinner.kill()
        spinner.wait()


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return 1e3 * statistics.median(ordered), 1e3 * ordered[int(0.9 * (len(ordered) - 1))]


# --------------------------------------------------------------------------- round trip

ECHO_SERVER = """
import zmq
ctx = zmq.Context(); sock = ctx.socket(zmq.ROUTER); port = sock.bind_to_random_port("tcp://127.0.0.1")
print(f"listening on tcp://127.0.0.1:{port}", flush=True)
reply = bytes(50 * 6 * 4)
while True:
    identity, *frames = sock.recv_multipart(copy=False)
    sock.send_multipart([identity, reply])
"""


def raw_zmq(n: int, warmup: int) -> list[float]:
    import zmq

    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    state = np.zeros(6, np.float32)
    with process([sys.executable, "-c", ECHO_SERVER]) as address:
        ctx = zmq.Context()
        sock = ctx.socket(zmq.DEALER)
        sock.connect(address)
        times = []
        for i in range(warmup + n):
            start = time.perf_counter()
            sock.send_multipart([b"h", state, frame], copy=False)
            sock.recv_multipart(copy=False)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        sock.close(0)
        ctx.term()
    return times


def lr_round_trip(n: int, warmup: int) -> tuple[list[float], dict]:
    from lr_core.features import FeatureSpec
    from lr_core.messages import PolicySpec
    from lr_inference import PolicyClient

    spec = PolicySpec(
        policy_type="",
        pretrained_name_or_path="noop",
        actions_per_chunk=50,
        features={
            "observation.state": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
            "observation.images.front": FeatureSpec(
                dtype="video", shape=(480, 640, 3), names=["height", "width", "channels"]
            ),
            "action": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
        },
    )
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    args = [sys.executable, "-m", "lr_inference.testing", "--policy.chunk_length=50"]
    with process(args) as address, PolicyClient(address, spec) as client:
        client.connect(60)
        times = []
        for i in range(warmup + n):
            observation = {name: float(j) for j, name in enumerate(MOTORS)}
            observation["front"] = frame
            start = time.perf_counter()
            client.infer(observation, timestep=i)
            if i >= warmup:
                times.append(time.perf_counter() - start)
        stages = client.timing.summary()
    return times, stages


def peer_round_trip(n: int, warmup: int) -> list[float] | None:
    peer = load_locate().peer_python("0.6.1")
    if peer is None:
        print(f"  (lerobot 0.6.1 skipped: {load_locate().INSTALL_HINT})")
        return None
    script = str(REPO / "tools/bench/inference_peer.py")
    PEER_CWD.mkdir(exist_ok=True)
    with process([str(peer), script, "server"], cwd=PEER_CWD) as address:
        result = subprocess.run(
            [str(peer), script, "client", f"--address={address}", f"--n={n}", f"--warmup={warmup}"],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=PEER_CWD,
            timeout=1800,
        )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])["round_trip_s"]


def section_roundtrip(args: argparse.Namespace) -> dict:
    out: dict = {}
    for busy in [False, True] if args.busy else [False]:
        label = "one core busy" if busy else "quiet"
        with busy_core(busy):
            floor = raw_zmq(args.n, args.warmup)
            ours, stages = lr_round_trip(args.n, args.warmup)
            theirs = None if args.skip_peer else peer_round_trip(args.n, args.warmup)
        print(f"\nround trip, 480x640x3 frame + 6 floats, no-op policy, loopback ({label}):")
        print(f"  {'':28} {'median ms':>10} {'p90 ms':>10}")
        for name, times in (
            ("raw pyzmq (same bytes)", floor),
            ("lr", ours),
            ("lerobot 0.6.1", theirs),
        ):
            if times is not None:
                med, p90 = summary(times)
                print(f"  {name:28} {med:10.3f} {p90:10.3f}")
        med_ours = summary(ours)[0]
        row = {"raw_zmq_ms": summary(floor)[0], "lr_ms": med_ours, "lr_stages": stages}
        if theirs is not None:
            med_theirs = summary(theirs)[0]
            row["lerobot_ms"] = med_theirs
            row["ratio"] = med_theirs / med_ours
            print(f"  lerobot / lr: {med_theirs / med_ours:.1f}x faster round trip")
        print(f"  goal: lr <= 1 ms median -> {'met' if med_ours <= 1.0 else 'NOT met'}")
        print(
            "  lr stages (median ms): "
            + ", ".join(f"{k} {v['median_ms']:.3f}" for k, v in stages.items())
        )
        out[label] = row
    return out


# --------------------------------------------------------------------------- sync vs async


def section_modes(args: argparse.Namespace) -> dict:
    from lr_inference import RobotClient, RobotClientConfig

    flags = [
        sys.executable,
        "-m",
        "lr_inference.testing",
        "--policy.chunk_length=50",
        "--policy.motion=sine",
        "--server.inference_latency=0.1",
        "--server.obs_similarity_atol=0",
    ]
    out: dict = {}
    print("\nsim_so101 at 30 Hz (one 480x640 camera), policy padded to 100 ms per 50-action chunk:")
    print(
        f"  {'mode':6} {'ticks/s':>8} {'actions/s':>10} {'empty ticks':>12} {'of ticks':>9} "
        f"{'300 actions s':>14}"
    )
    print("  (300 actions s: ticks per executed action x 300 at the nominal 30 Hz)")
    with process(flags) as address:
        for mode in ("async", "sync"):
            cfg = RobotClientConfig(
                policy_type="",
                pretrained_name_or_path="fixed-cost",
                robot={"type": "sim_so101", "cameras": {"front": {}}, "task": "reach"},
                server_address=address,
                actions_per_chunk=50,
                fps=30,
                mode=mode,
            )
            stats = RobotClient(cfg).run(duration_s=args.duration)
            moving_s = stats.duration_s - stats.startup_ticks / 30  # after the first chunk
            rate = stats.actions_executed / moving_s
            ticks = stats.ticks / stats.duration_s
            # 300 actions take 300 ticks plus the ticks spent waiting; at the nominal 30 Hz:
            per_action = (stats.ticks - stats.startup_ticks) / max(stats.actions_executed, 1)
            cycle = 300 * per_action / 30
            print(
                f"  {mode:6} {ticks:8.1f} {rate:10.1f} {stats.empty_ticks:12d} "
                f"{stats.ticks:9d} {cycle:14.2f}"
            )
            out[mode] = {
                "ticks_per_s": ticks,
                "actions_per_s": rate,
                "empty_ticks": stats.empty_ticks,
                "ticks": stats.ticks,
                "cycle_300_s": cycle,
                "overruns": stats.overruns,
            }
    return out


# --------------------------------------------------------------------------- client footprint

FOOTPRINT_CLIENT = """
import json, sys, time
import numpy as np
from typing import ClassVar
from lr_core.devices import RobotConfig
from lr_core.robot import Robot
from lr_inference import RobotClient, RobotClientConfig

class NullConfig(RobotConfig):
    type: str = "null_arm"

class NullArm(Robot):
    config_class: ClassVar = NullConfig
    name: ClassVar[str] = "null_arm"
    observation_features = {**{f"m{i}.pos": float for i in range(6)}, "front": (480, 640, 3)}
    action_features = {f"m{i}.pos": float for i in range(6)}
    is_calibrated = True
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    def __init__(self):
        super().__init__(NullConfig(calibration_dir="/nonexistent")); self.on = False
    @property
    def is_connected(self): return self.on
    def connect(self, calibrate=True): self.on = True
    def calibrate(self): pass
    def configure(self): pass
    def get_observation(self):
        return {**{f"m{i}.pos": float(i) for i in range(6)}, "front": self.frame}
    def send_action(self, action): return action
    def disconnect(self): self.on = False

cfg = RobotClientConfig(policy_type="", pretrained_name_or_path="x", robot=NullConfig(),
                        server_address=sys.argv[1], actions_per_chunk=50, fps=30)
client = RobotClient(cfg, robot=NullArm())
cpu0, wall0 = time.process_time(), time.perf_counter()
stats = client.run(duration_s=float(sys.argv[2]))
cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
status = open("/proc/self/status").read().splitlines()
rss = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
print(json.dumps({"cpu_share": cpu, "peak_rss_mb": rss, "chunks": stats.chunks,
                  "empty_ticks": stats.empty_ticks, "torch": "torch" in sys.modules}))
"""

IMPORT_RSS = """
import importlib, sys
importlib.import_module(sys.argv[1])
status = open("/proc/self/status").read().splitlines()
print(next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) / 1024)
"""


def import_rss(python: str, module: str) -> float:
    PEER_CWD.mkdir(exist_ok=True)
    result = subprocess.run(
        [python, "-c", IMPORT_RSS, module],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=PEER_CWD,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return float(result.stdout.strip())


def section_footprint(args: argparse.Namespace) -> dict:
    flags = [sys.executable, "-m", "lr_inference.testing", "--policy.chunk_length=50",
             "--policy.cost_s=0.03", "--server.obs_similarity_atol=0"]  # fmt: skip
    with process(flags) as address:
        result = subprocess.run(
            [sys.executable, "-c", FOOTPRINT_CLIENT, address, str(args.duration)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=600,
        )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    run = json.loads(result.stdout.strip().splitlines()[-1])
    ours = import_rss(sys.executable, "lr_inference.robot_client")
    peer = load_locate().peer_python("0.6.1")
    theirs = (
        None
        if peer is None or args.skip_peer
        else import_rss(str(peer), "lerobot.async_inference.robot_client")
    )
    print("\nrobot side, async loop at 30 Hz with a 480x640 camera (no robot hardware):")
    cpu, rss = 100 * run["cpu_share"], run["peak_rss_mb"]
    print(f"  client CPU: {cpu:.1f}% of one core, peak RSS {rss:.0f} MB, ", end="")
    print(f"torch imported: {run['torch']}, empty ticks {run['empty_ticks']}")
    line = f"  RSS after importing the robot client module: lr {ours:.0f} MB"
    if theirs is not None:
        line += f", lerobot 0.6.1 {theirs:.0f} MB ({theirs / ours:.1f}x)"
    print(line)
    return {"run": run, "import_rss_mb": {"lr": ours, "lerobot": theirs}}


# --------------------------------------------------------------------------- batching


def section_batching(args: argparse.Namespace) -> dict:
    from lr_core.features import FeatureSpec
    from lr_core.messages import PolicySpec
    from lr_inference import PolicyClient

    spec = PolicySpec(
        policy_type="",
        pretrained_name_or_path="fixed-cost",
        actions_per_chunk=50,
        features={
            "observation.state": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
            "action": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
        },
    )
    out: dict = {}
    print("\n4 clients, one server, policy costing 20 ms per forward pass (any batch size):")
    for max_batch, wait in ((1, 0.0), (64, 0.0), (64, 0.002)):
        flags = [sys.executable, "-m", "lr_inference.testing", "--policy.chunk_length=50",
                 "--policy.cost_s=0.02", f"--server.max_batch_size={max_batch}",
                 f"--server.batch_wait_s={wait}"]  # fmt: skip
        with process(flags) as address:
            clients = [PolicyClient(address, spec) for _ in range(4)]
            for c in clients:
                c.connect(60)
            counts = [0] * 4
            stop = time.perf_counter() + args.duration

            def loop(client: PolicyClient, i: int, counts: list[int], stop: float) -> None:
                observation = {name: float(j) for j, name in enumerate(MOTORS)}
                while time.perf_counter() < stop:
                    client.infer(observation)
                    counts[i] += 1

            threads = [
                threading.Thread(target=loop, args=(c, i, counts, stop))
                for i, c in enumerate(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for c in clients:
                c.close()
        rate = sum(counts) / args.duration
        label = f"max_batch_size={max_batch}, batch_wait_s={wait:g}"
        print(f"  {label:36} {rate:8.1f} chunks/s in all")
        out[label] = rate
    base = out["max_batch_size=1, batch_wait_s=0"]
    gains = [f"{rate / base:.1f}x" for rate in list(out.values())[1:]]
    print(f"  batching gain: {gains[0]} (no wait), {gains[1]} (2 ms wait)")
    return out


SECTIONS = {
    "roundtrip": section_roundtrip,
    "modes": section_modes,
    "footprint": section_footprint,
    "batching": section_batching,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="round trips timed")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per timed run")
    parser.add_argument("--busy", action="store_true", help="also time with one core busy")
    parser.add_argument("--skip-peer", action="store_true", help="do not run LeRobot")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    results = {name: SECTIONS[name](args) for name in args.sections.split(",")}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
