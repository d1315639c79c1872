"""Wire format: lossless round trips, zero-copy decoding, and hostile input rejected."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lr_core.errors import WireFormatError
from lr_core.features import FeatureSpec
from lr_core.messages import ActionChunk, ErrorReply, PolicySpec, TimedObservation, TimingStamps
from lr_core.wire import decode, encode, from_bytes, to_bytes


def observation() -> TimedObservation:
    rng = np.random.default_rng(0)
    return TimedObservation(
        timestamp=1700000000.25,
        timestep=42,
        observation={
            "shoulder_pan.pos": np.float32(12.5),
            "gripper.pos": 40.0,
            "front": rng.integers(0, 255, (48, 64, 3), dtype=np.uint8),
            "state": rng.standard_normal(6),
        },
        task="pick the cube",
        must_go=True,
        timing=TimingStamps(observation_captured=1.0, client_sent=2.0),
    )


def test_observation_round_trips_losslessly_in_frames_and_bytes():
    message = observation()
    for decoded in (decode(encode(message)), from_bytes(to_bytes(message))):
        assert isinstance(decoded, TimedObservation)
        assert decoded.timestep == 42 and decoded.task == "pick the cube" and decoded.must_go
        assert decoded.observation["shoulder_pan.pos"] == 12.5
        np.testing.assert_array_equal(decoded.observation["front"], message.observation["front"])
        assert decoded.observation["front"].dtype == np.uint8
        np.testing.assert_array_equal(decoded.observation["state"], message.observation["state"])
        assert decoded.timing.client_sent == 2.0


def test_images_travel_as_raw_buffers_not_json():
    frames = encode(observation())
    header = json.loads(bytes(frames[0]))
    assert header["kind"] == "TimedObservation"
    assert {"dtype": "|u1", "shape": [48, 64, 3]} in header["arrays"]
    assert len(frames[0]) < 2000  # the 9 KB image is not inside the header
    assert sum(memoryview(f).nbytes for f in frames[1:]) == 48 * 64 * 3 + 6 * 8


def test_action_chunk_and_policy_spec_round_trip():
    chunk = ActionChunk(
        timestep=10,
        timestamp=5.0,
        dt=1 / 30,
        actions=np.arange(12, dtype=np.float32).reshape(2, 6),
        names=[f"m{i}.pos" for i in range(6)],
    )
    back = decode(encode(chunk))
    np.testing.assert_array_equal(back.actions, chunk.actions)
    assert back.actions.shape == (2, 6) and back.names == chunk.names
    spec = PolicySpec(
        policy_type="act",
        pretrained_name_or_path="outputs/ckpt",
        features={"action": FeatureSpec(dtype="float32", shape=(6,))},
        actions_per_chunk=50,
        rename_map={"observation.images.top": "observation.images.front"},
    )
    assert decode(encode(spec)) == spec


def test_object_arrays_cannot_be_sent():
    with pytest.raises(ValueError, match="cannot go on the wire"):
        TimedObservation(
            timestamp=0.0, timestep=0, observation={"x": np.array([object()], dtype=object)}
        )


@pytest.mark.parametrize(
    ("frames", "needle"),
    [
        ([], "empty message"),
        ([b"\x80not json"], "not JSON"),
        ([b'{"v": 99, "kind": "Ack", "body": {}, "arrays": []}'], "unsupported wire version"),
        ([b'{"v": 1, "kind": "Pickle", "body": {}, "arrays": []}'], "unknown message kind"),
        (
            [b'{"v": 1, "kind": "Ack", "body": {}, "arrays": [{"dtype": "<f4", "shape": [2]}]}'],
            "1 arrays but 0 buffers",
        ),
        (
            [
                b'{"v": 1, "kind": "ActionChunk", "body": {}, '
                b'"arrays": [{"dtype": "<f4", "shape": [4]}]}',
                b"\x00" * 3,
            ],
            "should hold 16 bytes",
        ),
        (
            [
                b'{"v": 1, "kind": "ActionChunk", "body": {}, '
                b'"arrays": [{"dtype": "|O", "shape": [1]}]}',
                b"\x00" * 8,
            ],
            "forbidden dtype",
        ),
        ([b'{"v": 1, "kind": "ErrorReply", "body": {"error": 3}, "arrays": []}'], "validation"),
    ],
)
def test_malformed_messages_raise_wire_format_errors(frames, needle):
    with pytest.raises(WireFormatError, match=needle):
        decode(frames)


def test_truncated_byte_buffer_is_rejected():
    data = to_bytes(ErrorReply(error="X", message="y"))
    with pytest.raises(WireFormatError, match="truncated"):
        from_bytes(data[:-3])
    with pytest.raises(WireFormatError, match="bad magic"):
        from_bytes(b"PICKLE" + data)


def _chunk_header(shape: object, dtype: str = "<f4", body: object = None) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "kind": "ActionChunk",
            "body": body or {},
            "arrays": [{"dtype": dtype, "shape": shape}],
        }
    ).encode()


@pytest.mark.parametrize(
    ("frames", "needle"),
    [
        # shapes whose size overflows int64, or that are not integers at all
        ([_chunk_header([2**40, 2**40, 2**40]), b""], "forbidden dtype/shape|should hold"),
        ([_chunk_header([2**64]), b""], "forbidden dtype/shape"),
        (
            [
                b'{"v":1,"kind":"ActionChunk","body":{},"arrays":[{"dtype":"<f4","shape":[Infinity]}]}',
                b"",
            ],
            "bad spec",
        ),
        ([_chunk_header([0, 2**61, 2**61]), b""], "cannot be shaped|forbidden"),
        ([_chunk_header([1] * 40), b"\x00" * 4], "forbidden dtype/shape"),
        # nesting deep enough to exhaust the interpreter's recursion limit
        ([b"[" * 100_000], "nested too deeply"),
        (
            [
                b'{"v":1,"kind":"ErrorReply","arrays":[],"body":'
                + b'{"a":' * 5000
                + b"1"
                + b"}" * 5001
            ],
            "nested too deeply|validation",
        ),
        ([object()], "not a buffer"),
    ],
)
def test_hostile_headers_are_wire_format_errors_not_crashes(frames, needle):
    with pytest.raises(WireFormatError, match=needle):
        decode(frames)
