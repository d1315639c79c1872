"""PolicyClient against a policy server in its own process, over real sockets on 127.0.0.1."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lr_core.features import FeatureSpec
from lr_core.messages import PolicySpec
from lr_inference.connection import ConnectionOptions
from lr_inference.errors import HandshakeRefusedError, InferenceError, ServerUnavailableError
from lr_inference.policy_client import PolicyClient

MOTORS = [f"m{i}.pos" for i in range(6)]


def spec(*, state: int = 6, camera: tuple[int, int] | None = (48, 64), apc: int = 10) -> PolicySpec:
    features = {
        "observation.state": FeatureSpec(
            dtype="float32", shape=(state,), names=[f"m{i}.pos" for i in range(state)]
        ),
        "action": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
    }
    if camera is not None:
        features["observation.images.front"] = FeatureSpec(
            dtype="video", shape=(*camera, 3), names=["height", "width", "channels"]
        )
    return PolicySpec(
        policy_type="", pretrained_name_or_path="any", features=features, actions_per_chunk=apc
    )


def raw(state: int = 6, camera=(48, 64)) -> dict:
    obs = {f"m{i}.pos": float(10 + i) for i in range(state)}
    if camera is not None:
        obs["front"] = np.full((*camera, 3), 128, np.uint8)
    return obs


def test_round_trip_with_timing_and_clock_offset(fixed_cost_server):
    server = fixed_cost_server("--policy.chunk_length=20")
    with PolicyClient(server.address, spec()) as client:
        welcome = client.connect(30)
        assert welcome.policy.input_keys == ["observation.state", "observation.images.front"]
        assert welcome.policy.action_names == MOTORS and welcome.policy.chunk_length == 20
        for step in range(20):
            chunk = client.infer(raw(), timestep=step)
        assert chunk.actions.shape == (10, 6) and chunk.actions.dtype == np.float32
        np.testing.assert_array_equal(chunk.actions[0], [10, 11, 12, 13, 14, 15])
        assert chunk.timestep == 19 and chunk.names == MOTORS
        summary = client.timing.summary()
        for stage in ("round_trip", "network_up", "queue", "inference", "network_down"):
            assert stage in summary
        # both processes read the same clock: the estimated offset is within the best delay
        clock = client.connection.clock
        assert abs(clock.offset) <= clock.delay


def test_handshake_mismatch_is_refused_naming_the_features(fixed_cost_server):
    server = fixed_cost_server(
        '--policy.input_features={"observation.state": {"type": "STATE", "shape": [6]}, '
        '"observation.images.top": {"type": "VISUAL", "shape": [3, 48, 64]}}',
        "--policy.action_dim=6",
    )
    client = PolicyClient(server.address, spec(state=7))
    with client, pytest.raises(HandshakeRefusedError) as info:
        client.connect(30)
    message = str(info.value)
    assert (
        "observation.state: the policy expects shape [6], the robot's observation.state has [7]"
        in message
    )
    assert "observation.images.top" in message and "observation.images.front" in message
    # nothing was ever accepted: no session, no actions
    assert client.connection.welcome is None


def test_requests_that_arrive_together_share_one_forward_pass(fixed_cost_server):
    server = fixed_cost_server("--policy.cost_s=1.0", "--policy.chunk_length=10")
    clients = [PolicyClient(server.address, spec(camera=None)) for _ in range(4)]
    for c in clients:
        c.connect(30)
    start = threading.Barrier(4)
    chunks: dict[int, object] = {}

    def ask(i: int) -> None:
        start.wait()
        chunks[i] = clients[i].infer(raw(camera=None), timestep=i)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for c in clients:
        c.close()
    passes = [chunks[i].timing.inference_started for i in range(4)]
    # at most two forward passes for four requests sent together: the first takes whatever has
    # arrived when it starts (1 to 4 requests, as the machine schedules the senders), every
    # later one waits for it (1 s) and then all of them share the second pass
    assert len(set(passes)) <= 2


def test_server_rejections_become_errors_and_a_dead_server_a_timeout(fixed_cost_server):
    server = fixed_cost_server()
    client = PolicyClient(
        server.address,
        spec(camera=None),
        ConnectionOptions(heartbeat_s=0.1, timeout_s=0.5),
        request_timeout_s=1.5,
    )
    client.connect(30)
    with pytest.raises(InferenceError, match="bad_observation.*'observation.state' has shape"):
        client.infer({"observation.state": np.zeros(3, np.float32)})
    server.kill()
    with pytest.raises(ServerUnavailableError, match="did not answer|no handshake"):
        client.infer(raw(camera=None))
    client.close()
