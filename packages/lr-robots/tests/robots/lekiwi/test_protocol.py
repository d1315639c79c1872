"""LeKiwi's messages: LeRobot 0.6.1's layout, the checks on untrusted input (with thousands of
seeded malformed messages), and the colour convention of the frames."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from lr_core.errors import WireFormatError
from lr_robots.cameras.jpeg import decode_jpeg
from lr_robots.cameras.synthetic.pattern import PatternGenerator, decode_stamp
from lr_robots.robots.lekiwi.protocol import (
    MAX_COMMAND_BYTES,
    command_limits,
    decode_command,
    decode_frame,
    decode_observation,
    encode_command,
    encode_observation,
)
from lr_robots.robots.lekiwi.robot import ARM_MOTORS, lekiwi_motors, state_features

LIMITS = command_limits(lekiwi_motors(), ARM_MOTORS)
STATE = list(state_features())


def test_limits_follow_the_norm_modes():
    assert LIMITS["arm_elbow_flex.pos"] == pytest.approx((-216.0, 216.0))  # ±180 + 10 %
    assert LIMITS["arm_gripper.pos"] == pytest.approx((-10.0, 110.0))
    assert set(LIMITS) == set(STATE)
    motors = lekiwi_motors(use_degrees=False)
    assert command_limits(motors, ARM_MOTORS)["arm_elbow_flex.pos"] == pytest.approx((-120, 120))


def test_command_is_lerobots_json_string_and_round_trips():
    action = {"arm_gripper.pos": np.float32(12.5), "x.vel": 0.1, "theta.vel": 30}
    text = encode_command(action)
    assert json.loads(text) == {"arm_gripper.pos": 12.5, "x.vel": 0.1, "theta.vel": 30.0}
    assert decode_command(text.encode(), LIMITS) == json.loads(text)
    assert decode_command(text, LIMITS) == json.loads(text)
    with pytest.raises(WireFormatError, match="not a finite number"):
        encode_command({"x.vel": float("nan")})


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "JSON list, not an object"),
        (b'{"x.vel": 0.1', "not JSON"),
        (b'{"z.vel": 0.1}', "'z.vel' is not a LeKiwi action key"),
        (b'{"base_left_wheel.pos": 1}', "not a LeKiwi action key"),
        (b'{"x.vel": "0.1"}', "str '0.1', not a number"),
        (b'{"x.vel": true}', "bool True, not a number"),
        (b'{"x.vel": null}', "NoneType"),
        (b'{"x.vel": NaN}', "nan, not a finite number"),
        (b'{"x.vel": Infinity}', "not a finite number"),
        (b'{"x.vel": 1e999}', "not a finite number"),
        (b'{"x.vel": 6.0}', "outside -5..5"),
        (b'{"theta.vel": -1000.5}', "outside"),
        (b'{"arm_gripper.pos": 111}', "outside -10..110"),
        (b'{"x.vel": ' + b"9" * 5000 + b"}", "not JSON"),  # beyond int parsing limits
        (b'{"x.vel": ' + b"1" + b"0" * 400 + b"}", "too large for a float"),
        (b"[" * 100_000, "exceeds the limit"),
        (b"[" * 50_000, "not JSON"),  # deep nesting: RecursionError inside json
        (b'{"x.vel": [0.1]}', "list"),
    ],
)  # fmt: skip
def test_bad_commands_are_refused_with_a_reason(data, error):
    with pytest.raises(WireFormatError, match=error.replace("(", r"\(").replace(")", r"\)")):
        decode_command(data, LIMITS)


def test_a_command_at_the_size_limit_is_read_and_one_byte_more_is_not():
    padding = " " * (MAX_COMMAND_BYTES - len('{"x.vel": 0.1}'))
    assert decode_command(('{"x.vel": 0.1}' + padding).encode(), LIMITS) == {"x.vel": 0.1}
    with pytest.raises(WireFormatError, match="exceeds"):
        decode_command(('{"x.vel": 0.1}' + padding + " ").encode(), LIMITS)


def test_thousands_of_malformed_commands_only_ever_raise_wire_format_errors(mutated_command):
    rng = random.Random(20240611)
    refused = 0
    for _ in range(5000):
        data = mutated_command(rng)
        try:
            action = decode_command(data, LIMITS)
        except WireFormatError:
            refused += 1
            continue
        # a mutation may still be a valid command (a flipped digit): then it obeys the limits
        for key, value in action.items():
            lo, hi = LIMITS[key]
            assert isinstance(value, float) and math.isfinite(value) and lo <= value <= hi
    assert refused > 4500


def test_observation_is_lerobots_multipart_layout():
    state = {key: float(i) for i, key in enumerate(STATE)}
    frame = np.zeros((32, 48, 3), np.uint8)
    parts = encode_observation(state, {"front": frame, "wrist": frame[:, :32]})
    header = json.loads(parts[0])
    assert next(iter(header)) == "_cams" and header["_cams"] == ["front", "wrist"]
    assert {k: v for k, v in header.items() if k != "_cams"} == state
    assert len(parts) == 3 and parts[1][:2] == b"\xff\xd8"  # raw JPEG, not base64
    got_state, jpegs = decode_observation(parts, STATE)
    assert got_state == state
    assert decode_frame(jpegs["wrist"], 32, 32).shape == (32, 32, 3)


def test_frames_travel_as_cv2_does_it_and_arrive_rgb():
    generator = PatternGenerator(128, 96)
    frame = generator.frame(7, 1.5)
    parts = encode_observation({}, {"front": frame})
    arrived = decode_frame(parts[1], 96, 128)
    assert np.abs(arrived.astype(int) - frame).mean() < 4  # quality 90
    assert decode_stamp(arrived) == (7, 1.5)
    # the file itself has red and blue swapped, as cv2.imencode writes an RGB frame
    as_file = decode_jpeg(parts[1], pixel_format="rgb24")
    assert np.abs(as_file[..., ::-1].astype(int) - frame).mean() < 4


def test_missing_state_is_zero_and_unknown_header_keys_are_ignored():
    parts = [json.dumps({"_cams": ["front"], "x.vel": 0.2, "extra": "ok"}).encode(), b""]
    state, jpegs = decode_observation(parts, STATE)
    assert state["x.vel"] == 0.2 and state["arm_gripper.pos"] == 0.0
    assert jpegs == {}  # an empty frame: no image this time


@pytest.mark.parametrize(
    ("parts", "error"),
    [
        ([], "empty observation"),
        ([b"not json"], "not JSON"),
        ([b'{"x.vel": 1}'], "no '_cams' list"),
        ([b'{"_cams": ["a", 3]}', b"", b""], "no '_cams' list"),
        ([b'{"_cams": ["a", "b"]}', b""], "lists 2 cameras but 1 frames"),
        ([b'{"_cams": [], "x.vel": "fast"}'], "not a number"),
        ([b'{"_cams": [], "theta.vel": NaN}'], "not a finite number"),
        ([b'{"_cams": []}', *[b""] * 17], "limit 16"),
    ],
)  # fmt: skip
def test_bad_observations_are_refused_with_a_reason(parts, error):
    with pytest.raises(WireFormatError, match=error):
        decode_observation(parts, STATE)


def test_bad_frames_are_refused_before_decoding():
    good = encode_observation({}, {"front": np.zeros((32, 48, 3), np.uint8)})[1]
    with pytest.raises(WireFormatError, match="48x32, expected 64x48"):
        decode_frame(good, 48, 64)
    with pytest.raises(WireFormatError, match="not a JPEG"):
        decode_frame(b"GIF89a", 32, 48)
    forged = bytearray(good)
    sof = forged.index(b"\xff\xc0")
    forged[sof + 5 : sof + 9] = (60000).to_bytes(2, "big") * 2  # claims 60000x60000
    with pytest.raises(WireFormatError, match="60000x60000"):
        decode_frame(bytes(forged), 32, 48)


def test_thousands_of_malformed_observations_only_ever_raise_wire_format_errors():
    rng = random.Random(7)
    frame = PatternGenerator(64, 48).frame(1, 0.0)
    good = encode_observation({k: 0.5 for k in STATE}, {"front": frame})
    for _ in range(3000):
        parts = [bytearray(p) for p in good]
        kind = rng.randrange(4)
        if kind == 0:
            parts = [rng.randbytes(rng.randrange(200)) for _ in range(rng.randrange(0, 4))]
        else:
            target = parts[0] if kind == 1 else parts[1]
            for _ in range(rng.randrange(1, 8)):
                if target:
                    target[rng.randrange(len(target))] = rng.randrange(256)
            if kind == 3 and rng.random() < 0.5:
                del target[rng.randrange(len(target)) :]
        try:
            state, jpegs = decode_observation([bytes(p) for p in parts], STATE)
            for jpeg in jpegs.values():
                decode_frame(jpeg, 48, 64)
        except WireFormatError:
            continue
        assert all(math.isfinite(v) for v in state.values())
