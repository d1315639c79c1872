"""The libsvtav1 encoder gate: opens and closes apart from frames in flight, bounded waits."""

from __future__ import annotations

import threading
import time

import pytest

from lr_dataset.errors import VideoEncoderError
from lr_dataset.video import encoder_gate
from lr_dataset.video.encoder_gate import EncoderGate, gate_for


def _in_thread(fn) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    done, errors = threading.Event(), []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:  # handed to the test
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done, errors


def _encoding(gate: EncoderGate):
    ticket = gate.ticket()
    with ticket.opening(5, "a"):
        pass
    ticket.start_encoding(5, "a")
    return ticket


def test_only_libsvtav1_is_gated():
    assert gate_for("libsvtav1") is encoder_gate.SVT_AV1_GATE
    assert gate_for("h264") is None and gate_for("hevc") is None


def test_an_open_waits_for_the_frames_in_flight_of_another_encoder():
    gate = EncoderGate()
    a = _encoding(gate)
    b = gate.ticket()
    opened = threading.Event()

    def open_b() -> None:
        with b.opening(5, "b"):
            opened.set()

    _, done, errors = _in_thread(open_b)
    with a.busy():  # a frame of a's is being encoded
        assert not opened.wait(0.3)
    assert not opened.wait(0.3)  # still in flight between frames (not idle yet)
    a.stop_encoding()  # flushed: waiting to close still keeps b out
    assert not opened.wait(0.3)
    with a.closing(5, "a"):
        pass
    assert done.wait(5) and opened.is_set() and not errors
    assert gate.state() == {"announced": 0, "encoding": 0, "stopped": 0, "exclusive": False}


def test_encoders_announced_together_all_open_before_any_sends_a_frame():
    gate = EncoderGate()
    a, b = gate.ticket(), gate.ticket()
    with a.opening(5, "a"):
        pass
    started = threading.Event()
    _, done, errors = _in_thread(lambda: (a.start_encoding(5, "a"), started.set()))
    assert not started.wait(0.3)  # b announced, not open yet
    with b.opening(5, "b"):  # nothing in flight: b opens at once
        pass
    assert done.wait(5) and started.is_set() and not errors
    b.start_encoding(5, "b")
    assert gate.state()["encoding"] == 2


def test_a_close_waits_for_the_others_frames_but_not_for_ever(monkeypatch):
    monkeypatch.setattr(encoder_gate, "IDLE_S", 0.5)
    gate = EncoderGate()
    a, b = gate.ticket(), gate.ticket()
    for t in (a, b):
        with t.opening(5, "x"):
            pass
    a.start_encoding(5, "a")
    b.start_encoding(5, "b")
    b.stop_encoding()
    closed = threading.Event()

    def close_b() -> None:
        with b.closing(5, "b"):
            closed.set()

    _, done, errors = _in_thread(close_b)
    with a.busy():
        assert not closed.wait(0.7)  # a busy: its SVT threads run
    # a idle for IDLE_S (a dataset nobody finalized): no longer counted as in flight
    assert done.wait(5) and closed.is_set() and not errors


def test_a_wait_longer_than_its_timeout_names_the_encoder_and_the_others():
    gate = EncoderGate()
    a = _encoding(gate)
    b = gate.ticket()
    with a.busy():
        started = time.monotonic()
        with (
            pytest.raises(VideoEncoderError, match=r"opening cam\.mp4: waited 0 s.*1 with frames"),
            b.opening(0.3, "opening cam.mp4"),
        ):
            pass
        assert time.monotonic() - started < 3
    assert gate.state()["announced"] == 0  # the failed ticket left the gate


def test_releasing_a_hung_encoder_lets_the_others_go_on():
    gate = EncoderGate()
    hung = _encoding(gate)
    b = gate.ticket()
    opened = threading.Event()

    def open_b() -> None:
        with b.opening(5, "b"):
            opened.set()

    with hung.busy():
        _, done, errors = _in_thread(open_b)
        assert not opened.wait(0.3)
        hung.release()  # the watchdog gave it up: its threads are blocked, not running
        assert done.wait(5) and opened.is_set() and not errors
    hung.stop_encoding()  # a late return from the hung call counts nothing twice
    assert gate.state()["stopped"] == 0
