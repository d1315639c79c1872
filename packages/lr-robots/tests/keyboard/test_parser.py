"""Terminal byte decoding: plain keys, VT sequences, the kitty protocol, replies."""

from __future__ import annotations

import pytest

from lr_robots.keyboard.parser import PRESS, RELEASE, REPEAT, Decoded, TerminalParser


def keys(data: bytes, parser: TerminalParser | None = None) -> list[tuple[str | None, int]]:
    parser = parser or TerminalParser()
    return [(d.key, d.event) for d in parser.feed(data, 0.0)]


def test_plain_bytes():
    assert keys(b"wW+ \r\t\x7f") == [
        ("w", PRESS),
        ("w", PRESS),
        ("+", PRESS),
        ("space", PRESS),
        ("enter", PRESS),
        ("tab", PRESS),
        ("backspace", PRESS),
    ]
    assert keys("é".encode()) == [("é", PRESS)]
    assert keys(b"\x01") == []  # other control bytes are not keys


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"\x1b[A", "up"),
        (b"\x1bOB", "down"),
        (b"\x1b[C", "right"),
        (b"\x1b[1;2D", "left"),
        (b"\x1b[H", "home"),
        (b"\x1b[4~", "end"),
        (b"\x1b[5~", "page_up"),
        (b"\x1b[6~", "page_down"),
        (b"\x1b[3~", "delete"),
        (b"\x1bOP", "f1"),
        (b"\x1b[24~", "f12"),
    ],
)
def test_vt_sequences(data, key):
    assert keys(data) == [(key, PRESS)]


def test_sequences_split_across_reads_and_a_lone_escape():
    parser = TerminalParser(esc_timeout_s=0.05)
    assert parser.feed(b"\x1b", 0.0) == []
    assert parser.feed(b"[", 0.01) == []
    assert [d.key for d in parser.feed(b"A", 0.02)] == ["up"]
    assert parser.feed(b"\x1b", 1.0) == []
    assert parser.flush(1.01) == []  # too early: could still be a sequence
    assert parser.flush(1.06) == [Decoded(key="esc")]
    assert keys(b"\x1b\x1b[A") == [("esc", PRESS), ("up", PRESS)]
    assert keys(b"\x1bx") == [("x", PRESS)]  # Alt+x


def test_kitty_protocol_presses_repeats_and_releases():
    assert keys(b"\x1b[119u\x1b[119;1:2u\x1b[119;1:3u") == [
        ("w", PRESS),
        ("w", REPEAT),
        ("w", RELEASE),
    ]
    assert keys(b"\x1b[87;2u") == [("w", PRESS)]  # shift+w reports the key
    assert keys(b"\x1b[57447u\x1b[57447;2:3u\x1b[57442;5u") == [
        ("shift_r", PRESS),
        ("shift_r", RELEASE),
        ("ctrl_l", PRESS),
    ]
    assert keys(b"\x1b[1;1:3A\x1b[5;1:3~\x1b[27u\x1b[13;1:3u") == [
        ("up", RELEASE),
        ("page_up", RELEASE),
        ("esc", PRESS),
        ("enter", RELEASE),
    ]


def test_replies_focus_and_ctrl_c():
    parser = TerminalParser()
    items = parser.feed(b"\x1b[?1u\x1b[?62;22c\x1b[I\x1b[O\x1b[99;5u\x1b[99;5:3u", 0.0)
    assert items[0].kitty_flags == 1 and items[1].device_attributes
    assert items[2].focus is True and items[3].focus is False
    assert [i.interrupt for i in items].count(True) == 1  # its release is not a second one


def test_broken_sequences_are_dropped():
    assert keys(b"\x1b[12\x01w") == [("w", PRESS)]
    assert keys(b"\x1b[" + b"1;" * 20 + b"w") == []  # an unknown sequence, swallowed whole
    assert keys(b"\x1b[" + b"1" * 100 + b"x") == [("1", PRESS)] * 38 + [("x", PRESS)]
