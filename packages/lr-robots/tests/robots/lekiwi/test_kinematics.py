"""LeKiwi's wheel kinematics: hand-computed values, round trips, the speed cap, raw encoding.
(Equality with LeRobot's own functions is in ``test_peer.py``.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lr_robots.robots.lekiwi.kinematics import (
    MAX_WHEEL_RAW,
    WHEELS,
    body_to_wheel,
    body_to_wheel_raw,
    degps_to_raw,
    kinematic_matrix,
    raw_to_degps,
    wheel_raw_to_body,
)


def by_hand(x: float, y: float, theta: float) -> list[float]:
    """Unrounded raw wheel speeds from the geometry: wheels at 150°, -90°, 30°."""
    out = []
    for angle in (150.0, -90.0, 30.0):
        a = math.radians(angle)
        rim = math.cos(a) * x + math.sin(a) * y + 0.125 * math.radians(theta)  # m/s
        out.append(math.degrees(rim / 0.05) * 4096 / 360)
    return out


def test_pure_motions_by_hand():
    # forward: the back wheel stays still, left and right turn opposite ways
    raw = body_to_wheel_raw(0.1, 0.0, 0.0)
    assert raw["base_back_wheel"] == 0
    assert raw["base_left_wheel"] == -raw["base_right_wheel"] == round(by_hand(0.1, 0, 0)[0])
    assert raw["base_left_wheel"] == -1129
    # turning on the spot: all three wheels at the same speed R*w/r
    raw = body_to_wheel_raw(0.0, 0.0, 90.0)
    assert len(set(raw.values())) == 1
    assert raw["base_back_wheel"] == round(90 * 0.125 / 0.05 * 4096 / 360)
    # sideways: the back wheel alone is not enough; left, back and right all take part
    assert list(body_to_wheel_raw(0.0, 0.1, 0.0).values()) == [
        round(v) for v in by_hand(0.0, 0.1, 0.0)
    ]


def test_matrix_is_invertible_and_the_inverse_reads_the_wheels_back():
    m = kinematic_matrix()
    assert m.shape == (3, 3)
    assert not m.flags.writeable
    assert np.linalg.cond(m) < 10


@pytest.mark.parametrize("seed", range(3))
def test_round_trip_within_quantisation(seed):
    rng = np.random.default_rng(seed)
    for _ in range(300):
        x, y = rng.uniform(-0.15, 0.15, 2)
        theta = rng.uniform(-60, 60)
        raw, scale = body_to_wheel(x, y, theta)
        back = wheel_raw_to_body(*(raw[w] for w in WHEELS))
        # half a tick per wheel: ~4.4e-5 m/s and ~0.02 deg/s of body velocity
        assert back["x.vel"] == pytest.approx(scale * x, abs=1e-4)
        assert back["y.vel"] == pytest.approx(scale * y, abs=1e-4)
        assert back["theta.vel"] == pytest.approx(scale * theta, abs=0.05)


def test_commands_beyond_the_wheels_limit_are_scaled_together():
    raw, scale = body_to_wheel(1.0, -0.5, 120.0)
    assert max(abs(v) for v in raw.values()) == MAX_WHEEL_RAW
    assert 0 < scale < 1
    unscaled = by_hand(1.0, -0.5, 120.0)
    for wheel, value in zip(WHEELS, unscaled, strict=True):
        assert raw[wheel] == round(value * scale)
    assert body_to_wheel(0.05, 0.0, 0.0)[1] == 1.0
    assert max(abs(v) for v in body_to_wheel_raw(1e6, 0, 0).values()) == MAX_WHEEL_RAW


def test_raw_encoding_rounds_half_to_even_and_saturates_at_int16():
    assert degps_to_raw(raw_to_degps(100)) == 100
    assert degps_to_raw(0.5 / (4096 / 360)) == 0  # exactly half a tick: to even
    assert degps_to_raw(1.5 / (4096 / 360)) == 2
    assert degps_to_raw(1e9) == 32767
    assert degps_to_raw(-1e9) == -32768


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_velocities_are_refused(bad):
    with pytest.raises(ValueError, match="finite"):
        body_to_wheel(0.0, bad, 0.0)
