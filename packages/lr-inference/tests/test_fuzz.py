"""Hostile input on both sides: 10,000 fuzzed messages to a server in its own process, and a
hostile server answering a client. Nothing crashes; everything is rejected with a reason."""

from __future__ import annotations

import json
import random
import threading
import time

import numpy as np
import pytest
import zmq

from lr_core import wire
from lr_core.errors import WireFormatError
from lr_core.features import FeatureSpec
from lr_core.messages import ActionChunk, ErrorReply, PolicySpec, TimedObservation
from lr_inference.connection import ConnectionOptions
from lr_inference.errors import InferenceError
from lr_inference.policy_client import PolicyClient
from lr_inference.protocol import PROTOCOL_VERSION, Hello, Ping, PolicyInfo, Pong, Welcome

MOTORS = [f"m{i}.pos" for i in range(6)]
SPEC = PolicySpec(
    policy_type="",
    pretrained_name_or_path="any",
    features={
        "observation.state": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
        "action": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
    },
    actions_per_chunk=5,
)


def valid_messages() -> list[list[bytes]]:
    obs = TimedObservation(
        timestamp=1.0,
        timestep=0,
        observation={
            "observation.state": np.arange(6, dtype=np.float32),
            "observation.images.front": np.zeros((4, 5, 3), np.uint8),
        },
    )
    hello = Hello(protocol=PROTOCOL_VERSION, spec=SPEC, client_time=1.0)
    return [[bytes(f) for f in wire.encode(m)] for m in (obs, hello, Ping(client_time=1.0))]


def fuzzed(rng: random.Random, bases: list[list[bytes]]) -> list[bytes]:
    """One hostile message: a valid one with one thing broken, or plain garbage."""
    frames = list(rng.choice(bases))
    header = json.loads(frames[0])
    kind = rng.randrange(15)
    if kind == 14:  # well-formed, but only a server sends these
        reply = rng.choice(
            [
                ActionChunk(timestep=0, timestamp=0.0, dt=0.1, actions=np.zeros((2, 6)), names=[]),
                Pong(client_time=0.0, server_received=0.0, server_sent=0.0),
            ]
        )
        return [bytes(f) for f in wire.encode(reply)]
    if kind == 0:  # truncated header
        frames[0] = frames[0][: rng.randrange(len(frames[0]))]
    elif kind == 1 and len(frames) > 1:  # truncated array frame
        i = rng.randrange(1, len(frames))
        frames[i] = frames[i][: rng.randrange(max(1, len(frames[i])))]
    elif kind == 2 and header["arrays"]:  # wrong or forbidden dtypes
        header["arrays"][0]["dtype"] = rng.choice(
            ["|O", "<U8", "V8", "<M8[s]", "(2,)<i4", "<i4,<i4", "<c8", "|S3", "?", 5, None, "<f2"]
        )
    elif kind == 3 and header["arrays"]:  # huge, negative, non-integer shapes
        header["arrays"][0]["shape"] = rng.choice(
            [[2**62, 2**62], [2**40] * 3, [-1], [1e308], "123", 5, [0, 2**61, 2**61], [1] * 64]
        )
    elif kind == 4:  # bad JSON / random bytes
        frames[0] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    elif kind == 5:  # deep nesting
        frames[0] = b"[" * rng.choice([100, 10_000, 200_000])
    elif kind == 6:  # wrong wire version
        header["v"] = rng.choice([0, 2, "1", None, 1.5])
    elif kind == 7:  # kinds a client may not send, or that do not exist
        header["kind"] = rng.choice(["ActionChunk", "Welcome", "Pong", "Nope", None, 3, "__init__"])
    elif kind == 8:  # body swapped for junk
        header["body"] = rng.choice(
            [None, [], "x", {"timestamp": "soon"}, {"observation": {"a": {"__array__": 99}}}]
        )
    elif kind == 9:  # frame count disagrees with the header
        frames = [*frames[: rng.randrange(len(frames))], b"\x00" * rng.randrange(9)]
    elif kind == 10:  # empty message / empty frames
        frames = rng.choice([[b""], [b"", b""]])
    elif kind == 11 and "protocol" in header["body"]:  # another protocol version
        header["body"]["protocol"] = PROTOCOL_VERSION + rng.randrange(1, 5)
    elif kind == 12:  # flipped bytes anywhere
        i = rng.randrange(len(frames))
        data = bytearray(frames[i]) or bytearray(b"\x00")
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        frames[i] = bytes(data)
    else:  # a wrong-dtype array that still has the right byte count
        if header["arrays"]:
            header["arrays"][0]["dtype"] = "<f8"
            header["arrays"][0]["shape"] = [len(frames[1]) // 8]
            frames[1] = frames[1][: (len(frames[1]) // 8) * 8]
    if kind in (2, 3, 6, 7, 8, 11, 13):
        frames[0] = json.dumps(header).encode()
    return frames


def is_hostile(frames: list[bytes]) -> bool:
    """Whether the server must reject ``frames`` from a client whose session runs ``SPEC``."""
    try:
        message = wire.decode(frames)
    except WireFormatError:
        return True
    if isinstance(message, Ping):
        return False
    if isinstance(message, Hello):
        return message.protocol != PROTOCOL_VERSION
    if isinstance(message, TimedObservation):
        state = message.observation.get("observation.state")
        return not (
            isinstance(state, np.ndarray)
            and state.shape == (6,)
            and state.dtype.kind in "biuf"
            and np.isfinite(state).all()
        )
    return True  # a kind a client may not send


def hostile_messages(count: int, seed: int) -> list[list[bytes]]:
    rng = random.Random(seed)
    bases = valid_messages()
    out: list[list[bytes]] = []
    while len(out) < count:
        frames = fuzzed(rng, bases)
        if is_hostile(frames):
            out.append(frames)
    return out


@pytest.mark.slow
def test_ten_thousand_fuzzed_messages_are_rejected_and_the_server_keeps_serving(
    fixed_cost_server,
):
    server = fixed_cost_server("--server.max_message_bytes=1000000")
    messages = hostile_messages(10_000, seed=20240611)
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.SNDHWM, 0)
    dealer.setsockopt(zmq.RCVHWM, 0)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(server.address)
    try:
        # a session first, so that observations reach the per-session checks
        dealer.send_multipart(
            wire.encode(Hello(protocol=PROTOCOL_VERSION, spec=SPEC, client_time=0))
        )
        assert dealer.poll(30_000)
        assert isinstance(wire.decode(dealer.recv_multipart()), Welcome)
        replies: list[object] = []
        for start in range(0, len(messages), 500):  # windows of 500: no queue ever overflows
            for frames in messages[start : start + 500]:
                dealer.send_multipart(frames)
            while len(replies) < min(start + 500, len(messages)) and dealer.poll(10_000):
                replies.append(wire.decode(dealer.recv_multipart()))
        # every message was answered: each was handled, none took the server down
        assert len(replies) == len(messages)
        assert all(isinstance(r, ErrorReply) for r in replies)
        codes = {r.error for r in replies}
        assert codes == {"bad_message", "bad_observation", "handshake_refused"}
        reasons = " ".join(r.message for r in replies)
        for reason in (
            "nested too deeply",
            "forbidden dtype",
            "header is not JSON",
            "unsupported wire version",
            "unknown message kind",
            "a client may not send ActionChunk",
            "should hold",
            "arrays but",
            "this server speaks protocol",
        ):
            assert reason in reasons
        # a frame over MAXMSGSIZE is dropped by ZeroMQ with the connection
        dealer.send_multipart([b"\x00" * 2_000_000])
    finally:
        dealer.close()
        context.term()
    assert server.process.poll() is None, server.logs()[-3000:]
    with PolicyClient(server.address, SPEC) as client:
        chunk = client.infer({f"m{i}.pos": float(i) for i in range(6)})
    np.testing.assert_array_equal(chunk.actions[0], np.arange(6))
    assert "rejected a message" in server.logs()


class HostileServer:
    """A ROUTER that answers the handshake after a burst of garbage, then misbehaves."""

    def __init__(self, garbage: int) -> None:
        self.context = zmq.Context()
        self.router = self.context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.setsockopt(zmq.SNDHWM, 0)
        port = self.router.bind_to_random_port("tcp://127.0.0.1")
        self.address = f"tcp://127.0.0.1:{port}"
        self.garbage = garbage
        self.replies: list[str] = ["nan", "shape", "names"]
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.stop = threading.Event()
        self.thread.start()

    def run(self) -> None:
        rng = random.Random(7)
        bases = valid_messages()
        while not self.stop.is_set():
            if not self.router.poll(50):
                continue
            identity, *frames = self.router.recv_multipart()
            try:
                message = wire.decode(frames)
            except WireFormatError:
                continue
            if isinstance(message, Hello):
                for _ in range(self.garbage):
                    self.router.send_multipart([identity, *fuzzed(rng, bases)])
                self.router.send_multipart([identity, *wire.encode(self.welcome(message))])
            elif isinstance(message, TimedObservation) and self.replies:
                bad = self.replies.pop(0)
                actions = np.zeros((5, 6), np.float32)
                names = MOTORS
                if bad == "nan":
                    actions[2, 3] = np.nan
                elif bad == "shape":
                    actions = np.zeros((5, 7), np.float32)
                else:
                    names = [f"x{i}" for i in range(6)]
                chunk = ActionChunk(
                    timestep=message.timestep,
                    timestamp=message.timestamp,
                    dt=0.1,
                    actions=actions,
                    names=names,
                )
                self.router.send_multipart([identity, *wire.encode(chunk)])

    def welcome(self, hello: Hello) -> Welcome:
        return Welcome(
            protocol=PROTOCOL_VERSION,
            session="s",
            policy=PolicyInfo(
                policy_type="x",
                input_keys=["observation.state"],
                input_shapes={"observation.state": [6]},
                input_features={},
                action_names=MOTORS,
                chunk_length=5,
            ),
            max_message_bytes=1 << 20,
            max_batch_size=1,
            client_time=hello.client_time,
            server_received=time.time(),
            server_sent=time.time(),
        )

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.router.close()
        self.context.term()


def test_a_client_survives_a_hostile_server():
    server = HostileServer(garbage=2000)
    try:
        client = PolicyClient(server.address, SPEC, ConnectionOptions(heartbeat_s=5, timeout_s=30))
        client.connect(30)
        assert client.connection.rejected_messages >= 1000  # the garbage that failed to decode
        observation = {f"m{i}.pos": 1.0 for i in range(6)}
        for reason in ("NaN", r"shape \[5, 7\]", "named"):
            with pytest.raises(InferenceError, match=reason):
                client.infer(observation)
        client.close()
    finally:
        server.close()
