"""Addresses and socket helpers."""

from __future__ import annotations

import logging

import pytest

from lr_core.errors import ConfigError
from lr_inference.transport import RateLimitedLog, host_of, is_loopback, normalize_address


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("localhost:8080", "tcp://localhost:8080"),
        ("192.168.1.20:5555", "tcp://192.168.1.20:5555"),
        ("tcp://gpu-box:8080", "tcp://gpu-box:8080"),
        ("ipc:///tmp/lr.sock", "ipc:///tmp/lr.sock"),
    ],
)
def test_addresses_normalise(given, expected):
    assert normalize_address(given) == expected


@pytest.mark.parametrize("bad", ["gpu-box", "tcp://gpu-box", "http://x:80", "host:99999", ""])
def test_bad_addresses_name_the_expected_forms(bad):
    with pytest.raises(ConfigError, match="host:port"):
        normalize_address(bad)


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    assert host_of("tcp://[::1]:80") == "::1"


def test_rate_limited_log_counts_what_it_suppresses(caplog):
    log = RateLimitedLog(logging.getLogger("test.rate"), per_s=0.001)
    with caplog.at_level(logging.WARNING):
        for i in range(100):
            log.warning("bad %d", i)
    assert len(caplog.records) == 1 and log.total == 100 and log.suppressed == 99
