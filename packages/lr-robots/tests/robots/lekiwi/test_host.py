"""``lr lekiwi-host`` and ``LeKiwiClient`` as two processes over loopback ZeroMQ, the robot on
the servo emulator: commands and observations, the watchdog, ``connection_time_s``, a host
restart under a live client, malformed commands over the network, and bad configurations."""

from __future__ import annotations

import re
import signal
import time

import numpy as np
import pytest
import zmq

from lr_robots.cameras.synthetic.pattern import PatternGenerator, decode_stamp
from lr_robots.robots.lekiwi import LeKiwiClientConfig
from lr_robots.robots.lekiwi.kinematics import body_to_wheel_raw
from lr_robots.robots.lekiwi.lekiwi_client import LeKiwiClient
from lr_robots.robots.lekiwi.robot import state_features

pytestmark = pytest.mark.slow  # each test starts host processes (a few seconds)

STATE = list(state_features())


def wait_for(check, timeout: float = 10.0, what: str = "condition") -> float:
    """Poll ``check()`` until true; returns the time it became true (monotonic)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} not reached within {timeout} s"
        time.sleep(0.01)
    return time.monotonic()


def drive(client: LeKiwiClient, action: dict, until, timeout: float = 10.0, what: str = "") -> dict:
    """Send ``action`` at ~30 Hz until ``until(observation)``; returns that observation."""
    deadline = time.monotonic() + timeout
    while True:
        client.send_action(action)
        obs = client.get_observation()
        if until(obs):
            return obs
        assert time.monotonic() < deadline, f"{what} not reached; last observation {obs}"
        time.sleep(0.03)


def summary(text: str) -> dict[str, float]:
    """The numbers of the host's final summary line."""
    line = text.split("LeKiwi host finished: ", 1)[1].splitlines()[0]
    found = {
        key: float(re.search(pattern, line).group(1))
        for key, pattern in {
            "loops": r"(\d+) loops",
            "seconds": r"in (\d+\.\d) s",
            "commands": r"(\d+) commands applied",
            "dropped": r"(\d+) malformed",
            "watchdog_stops": r"(\d+) watchdog stops",
        }.items()
    }
    return found


def test_client_drives_the_host_and_reads_the_robot_and_camera_back(kiwi, start_host, wheel_goals):
    host = start_host(kiwi, "--host.connection_time_s=60")
    client = LeKiwiClient(host.client_config(id="laptop"))
    client.connect()
    obs = client.get_observation()
    assert list(obs) == [*STATE, "front"]
    action = {"arm_elbow_flex.pos": 20.0, "x.vel": 0.1, "y.vel": 0.0, "theta.vel": 30.0}
    raw = body_to_wheel_raw(0.1, 0.0, 30.0)
    # goals checked while commands flow (a stall past the 500 ms watchdog rightly stops them)
    obs = drive(client, action, lambda o: o["theta.vel"] == pytest.approx(30.0, abs=0.1)
                and wheel_goals(kiwi) == raw, what="the base turning")  # fmt: skip
    assert obs["x.vel"] == pytest.approx(0.1, abs=1e-3)
    goal = 2000 + 20 * 4095 / 360  # degrees from the middle of the calibrated range
    wait_for(lambda: abs(kiwi.register("arm_elbow_flex", "Goal_Position") - goal) <= 1)
    # frames: RGB, fresh, the camera's own pattern through JPEG
    first = decode_stamp(obs["front"])
    assert first is not None
    later = drive(client, action, lambda o: decode_stamp(o["front"])[0] > first[0] + 2)
    index, stamp = decode_stamp(later["front"])
    reference = PatternGenerator(128, 96).frame(index, stamp)
    assert np.abs(later["front"].astype(int) - reference).mean() < 4
    client.disconnect()  # sends a stopping command
    wait_for(lambda: set(wheel_goals(kiwi).values()) == {0}, what="wheels stopped")
    host.proc.signal(signal.SIGINT)
    assert host.proc.wait() == 0, host.proc.text
    assert not any(s["torque"] for s in kiwi.state().values())
    assert summary(host.proc.text)["commands"] > 0


def test_watchdog_stops_the_wheels_after_watchdog_timeout_ms_without_a_command(
    kiwi, start_host, wheel_goals
):
    # 1 s rather than the default 500 ms, so that a loaded machine stalling this test between
    # two commands does not trip it during the quiet part (a real stop, not a test failure)
    host = start_host(kiwi, "--host.connection_time_s=60", "--host.watchdog_timeout_ms=1000")
    client = LeKiwiClient(host.client_config())
    client.connect()
    action = {"x.vel": 0.0, "y.vel": 0.1, "theta.vel": 0.0}
    drive(client, action, lambda o: o["y.vel"] > 0.09, what="the base moving")
    start = time.monotonic()
    while time.monotonic() - start < 2.0:  # commands keep coming: the watchdog stays quiet
        client.send_action(action)
        client.get_observation()
        time.sleep(0.05)
    assert wheel_goals(kiwi) == body_to_wheel_raw(0.0, 0.1, 0.0), host.proc.text[-3000:]
    client.send_action(action)
    last = time.monotonic()
    stopped = wait_for(lambda: set(wheel_goals(kiwi).values()) == {0}, what="the watchdog stop")
    assert stopped - last >= 0.95  # not before the timeout (a lower bound: load cannot break it)
    # the client sees the stop (observations queued before it are read first)
    wait_for(lambda: client.get_observation()["y.vel"] == 0.0, what="the stop observed")
    drive(client, action, lambda o: o["y.vel"] > 0.09, what="commands resuming")
    host.proc.signal(signal.SIGTERM)
    assert host.proc.wait() == 0
    assert "no command for more than 1000 ms: stopping the base" in host.proc.text
    assert "commands resumed" in host.proc.text
    assert "stopped by SIGTERM" in host.proc.text
    client.disconnect()


def test_host_exits_after_connection_time_s_leaving_the_robot_safe(kiwi, start_host, wheel_goals):
    host = start_host(kiwi, "--host.connection_time_s=1.5")
    client = LeKiwiClient(host.client_config())
    client.connect()
    client.send_action({"x.vel": 0.1})
    assert host.proc.wait(timeout=60) == 0, host.proc.text
    assert "connection_time_s (1.5 s) reached" in host.proc.text
    assert summary(host.proc.text)["seconds"] >= 1.5
    assert set(wheel_goals(kiwi).values()) == {0}
    assert not any(s["torque"] for s in kiwi.state().values())
    client.get_observation()  # the client does not fail: it serves the last observation
    client.disconnect()


def test_client_survives_a_host_restart(kiwi, start_host, ports, wheel_goals, caplog):
    first = start_host(kiwi, "--host.connection_time_s=60", ports=ports)
    client = LeKiwiClient(first.client_config(polling_timeout_ms=5))
    client.connect()
    action = {"x.vel": 0.1, "y.vel": 0.0, "theta.vel": 0.0}
    drive(client, action, lambda o: o["x.vel"] > 0.09)
    first.proc.signal(signal.SIGTERM)
    assert first.proc.wait() == 0
    last = client.get_observation()
    deadline = time.monotonic() + 30
    with caplog.at_level("WARNING"):
        # the loop goes on while the host is away, until the client says its observations are
        # stale (not for a fixed 1.5 s: a test descheduled past that never saw the warning)
        while "no observation from the host" not in caplog.text:
            assert time.monotonic() < deadline, "no staleness warning"
            client.send_action(action)
            assert client.get_observation().keys() == last.keys()
            time.sleep(0.03)
    assert client.observation_age_s > 1.0
    second = start_host(kiwi, "--host.connection_time_s=60", ports=ports)
    # the wheel goals are checked while commands flow: a test stalled past the host's 500 ms
    # watchdog between two commands rightly sees the wheels stopped until the next one
    with caplog.at_level("INFO"):
        obs = drive(client, action, lambda o: (client.observation_age_s or 9) < 0.5
                    and o["x.vel"] > 0.09 and wheel_goals(kiwi) == body_to_wheel_raw(0.1, 0, 0),
                    timeout=30, what="the new host answering")  # fmt: skip
    assert "observations from the host resumed" in caplog.text
    assert decode_stamp(obs["front"]) is not None
    client.disconnect()
    second.proc.signal(signal.SIGINT)
    assert second.proc.wait() == 0


def test_malformed_commands_over_the_network_never_move_or_stop_the_host(
    kiwi, start_host, malformed_commands, wheel_goals
):
    host = start_host(kiwi, "--host.connection_time_s=60", "--host.max_loop_freq_hz=1000",
                      camera="{}")  # fmt: skip
    context = zmq.Context()
    push = context.socket(zmq.PUSH)
    pull = context.socket(zmq.PULL)
    for sock in (push, pull):
        sock.setsockopt(zmq.LINGER, 0)
    push.connect(f"tcp://127.0.0.1:{host.port_cmd}")
    pull.connect(f"tcp://127.0.0.1:{host.port_obs}")
    assert pull.poll(10_000), "the host sends no observation"
    arm_goals = {m: kiwi.register(m, "Goal_Position") for m in kiwi.state() if m.startswith("arm")}
    messages = malformed_commands(seed=99, n=2000)
    messages[1000:1000] = [b"{" + b" " * 70_000 + b"}"]  # over the size limit: cut off
    for message in messages:
        push.send(message)
        pull.recv_multipart()  # one host loop per message: most are read, few conflated
    assert host.proc.proc.poll() is None, host.proc.text
    assert set(wheel_goals(kiwi).values()) == {0}
    assert {m: kiwi.register(m, "Goal_Position") for m in arm_goals} == arm_goals
    assert all(s["torque"] for s in kiwi.state().values())
    for sock in (push, pull):
        sock.close()
    context.term()
    client = LeKiwiClient(host.client_config(cameras={}))
    client.connect()
    drive(client, {"theta.vel": 45.0}, lambda o: o["theta.vel"] > 40, what="a valid command")
    client.disconnect()
    host.proc.signal(signal.SIGINT)
    assert host.proc.wait() == 0
    numbers = summary(host.proc.text)
    assert numbers["dropped"] >= 1000  # each message read was refused (a few conflated)
    assert "malformed command(s); last:" in host.proc.text


def test_a_port_in_use_is_a_clear_error_and_the_robot_is_left_safe(kiwi, run_lr, ports):
    blocker = zmq.Context().socket(zmq.PULL)
    blocker.bind(f"tcp://*:{ports[0]}")
    try:
        proc = run_lr("lekiwi-host", f"--robot.port={kiwi.port}", "--robot.id=kiwi",
                      "--robot.cameras={}", f"--host.port_zmq_cmd={ports[0]}")  # fmt: skip
        assert proc.wait() == 1
        assert f"cannot listen on TCP port {ports[0]}" in proc.text
        assert not any(s["torque"] for s in kiwi.state().values())
    finally:
        blocker.close(linger=0)


def test_client_connect_times_out_naming_the_address(ports):
    from lr_core.errors import DeviceNotConnectedError

    client = LeKiwiClient(LeKiwiClientConfig(remote_ip="127.0.0.1", port_zmq_cmd=ports[0],
                                             port_zmq_observations=ports[1], cameras={},
                                             connect_timeout_s=0.3))  # fmt: skip
    with pytest.raises(DeviceNotConnectedError, match=f"127.0.0.1:{ports[1]} within 0.3 s"):
        client.connect()
    assert not client.is_connected


def test_a_motor_fault_ends_the_host_naming_it_with_the_robot_left_safe(kiwi, start_host):
    host = start_host(kiwi, "--host.connection_time_s=60", camera="{}")
    client = LeKiwiClient(host.client_config(cameras={}))
    client.connect()
    kiwi.inject("base_right_wheel", no_reply=-1)  # unplugged mid-run
    assert host.proc.wait() == 1
    assert "base_right_wheel" in host.proc.text and "lekiwi 'kiwi'" in host.proc.text
    assert "torque" in host.proc.text
    state = kiwi.state()
    assert not any(s["torque"] for name, s in state.items() if name != "base_right_wheel")
    client.disconnect()
