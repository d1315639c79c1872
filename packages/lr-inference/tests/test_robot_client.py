"""RobotClient against a policy server in its own process: async keeps the queue full at 30 Hz
with a 100 ms policy, sync shows the idle time, a server killed mid-run is survived."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from typing import Any, ClassVar

import numpy as np
import pytest

from lr_core.devices import RobotConfig
from lr_core.robot import Robot
from lr_inference.configs import ConnectionConfig, RobotClientConfig
from lr_inference.robot_client import RobotClient, queue_size_chart


def run_lr_client_on_sim(server: str, tmp_path, *flags: str) -> dict:
    """``lr client`` on the simulated SO-101 in a child process; its stats as a dict.

    A child process, as a user runs it, and because MuJoCo's EGL renderer must not live in the
    test process: torch's later import of triton (an in-process ``lr eval``) crashes there.
    """
    pytest.importorskip("lr_sim")
    stats_file = tmp_path / "stats.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lr_core.cli",
            "client",
            "--robot.type=sim_so101",
            '--robot.cameras={"front": {"width": 64, "height": 48}}',
            "--robot.task=reach",
            f"--server_address={server}",
            "--policy_type=act",
            "--pretrained_name_or_path=fixed-cost",
            "--actions_per_chunk=30",
            "--fps=30",
            f"--stats_file={stats_file}",
            *flags,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lr client: " in result.stdout
    return json.loads(stats_file.read_text())


@pytest.mark.slow
def test_async_keeps_the_queue_non_empty_at_30_hz_with_a_100_ms_policy(fixed_cost_server, tmp_path):
    server = fixed_cost_server(
        "--policy.chunk_length=30",
        "--policy.motion=sine",
        "--server.inference_latency=0.1",
    )
    stats = run_lr_client_on_sim(
        server.address, tmp_path, "--mode=async", "--chunk_size_threshold=0.5", "--duration_s=4"
    )
    assert stats["chunks"] >= 4
    assert stats["empty_ticks"] == 0, stats
    assert stats["actions_executed"] + stats["startup_ticks"] == stats["ticks"]
    assert stats["timing"]["inference"]["median_ms"] >= 99.0  # the padded policy
    assert stats["server_errors"] == 0 and stats["rejected_chunks"] == 0


@pytest.mark.slow
def test_sync_mode_idles_while_the_policy_runs(fixed_cost_server, tmp_path):
    server = fixed_cost_server(
        "--policy.chunk_length=30",
        "--policy.motion=sine",
        "--server.inference_latency=0.1",
    )
    stats = run_lr_client_on_sim(
        server.address, tmp_path, "--mode=sync", "--debug_visualize_queue_size=true",
        "--duration_s=4",
    )  # fmt: skip
    assert stats["chunks"] >= 2
    # every chunk after the first was waited for: at least 100 ms = 3 ticks at 30 Hz each
    # (at least 2 counted, a tick may straddle the reply)
    assert stats["empty_ticks"] >= 2 * (stats["chunks"] - 1), stats
    assert stats["queue_sizes"].count(0) >= stats["empty_ticks"]
    assert "empty at" in queue_size_chart(stats["queue_sizes"], 30)


class RecordingConfig(RobotConfig):
    type: str = "recording"


class RecordingRobot(Robot):
    """Two motors that go where they are told; every action sent is recorded."""

    config_class: ClassVar[type[RobotConfig]] = RecordingConfig
    name: ClassVar[str] = "recording"

    def __init__(self) -> None:
        super().__init__(RecordingConfig(calibration_dir="/nonexistent"))
        self.position = np.array([10.0, -20.0])
        self.sent: list[np.ndarray] = []
        self.connected = False
        self.observations = 0

    observation_features = {"a.pos": float, "b.pos": float}  # type: ignore[assignment]
    action_features = {"a.pos": float, "b.pos": float}  # type: ignore[assignment]
    is_calibrated = True  # type: ignore[assignment]

    @property
    def is_connected(self) -> bool:  # type: ignore[override]
        return self.connected

    def connect(self, calibrate: bool = True) -> None:
        self.connected = True

    def calibrate(self) -> None:
        pass

    def configure(self) -> None:
        pass

    def get_observation(self) -> dict[str, Any]:
        self.observations += 1
        return {"a.pos": float(self.position[0]), "b.pos": float(self.position[1])}

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        vector = np.array([action["a.pos"], action["b.pos"]])
        self.sent.append(vector)
        self.position = vector
        return action

    def disconnect(self) -> None:
        self.connected = False


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def recording_config(server: str, **kw: Any) -> RobotClientConfig:
    return RobotClientConfig(
        policy_type="",
        pretrained_name_or_path="fixed-cost",
        robot=RecordingConfig(),
        server_address=server,
        actions_per_chunk=10,
        fps=50,
        connection=ConnectionConfig(heartbeat_s=0.1, timeout_s=0.6, request_timeout_s=1.0),
        **kw,
    )


@pytest.mark.slow
def test_server_killed_and_restarted_mid_run_the_client_holds_then_recovers(
    fixed_cost_server, caplog
):
    caplog.set_level(logging.INFO, logger="lr_inference")
    flags = ("--policy.chunk_length=10", "--policy.motion=sine", "--server.obs_similarity_atol=0")
    server = fixed_cost_server(*flags)
    robot = RecordingRobot()
    client = RobotClient(recording_config(server.address), robot=robot)
    runner = threading.Thread(target=client.run, kwargs={"duration_s": 60}, daemon=True)
    runner.start()
    try:
        wait_for(lambda: client.stats.chunks >= 5, 30, "chunks from the first server")
        server.kill()
        sent_at_kill = len(robot.sent)
        wait_for(lambda: client.stats.empty_ticks >= 25, 30, "the queue to run dry")
        chunks_while_down = client.stats.chunks
        restarted = fixed_cost_server(*flags, f"--server.port={server.port}")
        wait_for(lambda: client.stats.chunks >= chunks_while_down + 5, 30, "chunks again")
    finally:
        client.stop()
        runner.join(30)
    assert not runner.is_alive()
    assert restarted.process.poll() is None
    assert client.connection.generation >= 2  # a second handshake, with the new server
    sent = np.array(robot.sent)
    assert np.isfinite(sent).all()
    assert not (sent == 0).all(axis=1).any()  # never zeros
    # while the server was down: the queue ran out, then the last action was held, unchanged
    after_kill = sent[sent_at_kill:]
    held = np.flatnonzero((np.diff(after_kill, axis=0) == 0).all(axis=1))
    assert len(held) >= 20
    assert client.stats.empty_ticks >= 25 and client.stats.server_errors >= 0
    assert not robot.connected  # the client disconnected the robot it connected
    logged = caplog.text
    assert "holding the last action" in logged
    assert "reconnecting" in logged or "handshaking again" in logged


@pytest.mark.slow
def test_policies_that_look_at_several_frames_get_them(fixed_cost_server):
    server = fixed_cost_server("--policy.n_obs_steps=3", "--policy.chunk_length=10")
    robot = RecordingRobot()
    client = RobotClient(recording_config(server.address), robot=robot)
    stats = client.run(duration_s=1.5)
    assert stats.chunks >= 3 and stats.server_errors == 0
    assert robot.observations >= stats.ticks - stats.startup_ticks - 5  # one frame per tick
