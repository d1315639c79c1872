from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lr_motors.encoding import (
    decode_sign_magnitude,
    decode_twos_complement,
    encode_sign_magnitude,
    encode_twos_complement,
)
from lr_motors.errors import MotorConfigError


def test_sign_magnitude_known_values():
    assert encode_sign_magnitude(-5, 15) == 0x8005
    assert encode_sign_magnitude(2047, 11) == 0x7FF
    assert encode_sign_magnitude(-2047, 11) == 0xFFF
    assert decode_sign_magnitude(0x0805, 11) == -5
    assert decode_sign_magnitude(0x0405, 10) == -5


def test_sign_magnitude_overflow_is_an_error():
    with pytest.raises(MotorConfigError, match="sign bit 11"):
        encode_sign_magnitude(2048, 11)


@given(st.sampled_from([10, 11, 15]), st.data())
def test_sign_magnitude_round_trip(bit, data):
    value = data.draw(st.integers(-((1 << bit) - 1), (1 << bit) - 1))
    assert decode_sign_magnitude(encode_sign_magnitude(value, bit), bit) == value


@given(st.sampled_from([1, 2, 4]), st.data())
def test_twos_complement_round_trip(n, data):
    value = data.draw(st.integers(-(1 << (8 * n - 1)), (1 << (8 * n - 1)) - 1))
    encoded = encode_twos_complement(value, n)
    assert 0 <= encoded < 1 << (8 * n)
    assert decode_twos_complement(encoded, n) == value


def test_twos_complement_overflow_is_an_error():
    with pytest.raises(MotorConfigError, match="2-byte"):
        encode_twos_complement(40000, 2)
