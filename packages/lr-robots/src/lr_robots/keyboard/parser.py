"""Decode the bytes a terminal sends for key presses: plain bytes, VT escape sequences and the
kitty keyboard protocol (which adds key releases).

:class:`TerminalParser` takes bytes as they arrive (a sequence may be split across reads) and
returns :class:`Decoded` items: key presses/repeats/releases, focus changes, and the replies to
the start-up queries.

- Plain bytes: a character is a press of that key (an auto-repeat sends it again); ``\\r``/``\\n``
  enter, ``\\t`` tab, ``\\x7f``/``\\x08`` backspace, ``ESC x`` is Alt+x (the key ``x``), a lone
  ``ESC`` (nothing after it within ``esc_timeout_s``) the Esc key.
- VT sequences: ``CSI A..D`` / ``SS3 A..D`` arrows, ``CSI H/F`` home/end, ``CSI n ~`` editing and
  function keys, ``SS3 P..S`` F1-F4; modifier parameters (``CSI 1;2A``) are ignored.
- kitty keyboard protocol (https://sw.kovidgoyal.net/kitty/keyboard-protocol/), with the
  flags lr asks for (1 disambiguate + 2 event types + 8 all keys as escape codes = 11):
  ``CSI code[:alternates] ; modifiers[:event] [; text] u`` and the ``CSI 1;mods:event X`` /
  ``CSI n;mods:event ~`` forms; event 1 press, 2 repeat, 3 release. Modifier keys are keys of
  their own (57441 left shift ... 57450 right super). Ctrl+C comes as ``CSI 99;5u`` here, not as
  a signal, so it is reported as :attr:`Decoded.interrupt`.
- Replies: ``CSI ? flags u`` (the terminal speaks the kitty protocol) and ``CSI ? ... c``
  (primary device attributes, which every terminal answers), focus ``CSI I`` / ``CSI O``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lr_robots.keyboard.events import normalise_char

ESC = 0x1B
PRESS, REPEAT, RELEASE = 1, 2, 3

_FINAL_KEYS = {
    "A": "up",
    "B": "down",
    "C": "right",
    "D": "left",
    "H": "home",
    "F": "end",
    "P": "f1",
    "Q": "f2",
    "R": "f3",
    "S": "f4",
    "E": "begin",
}
_TILDE_KEYS = {
    1: "home",
    2: "insert",
    3: "delete",
    4: "end",
    5: "page_up",
    6: "page_down",
    7: "home",
    8: "end",
    11: "f1",
    12: "f2",
    13: "f3",
    14: "f4",
    15: "f5",
    17: "f6",
    18: "f7",
    19: "f8",
    20: "f9",
    21: "f10",
    23: "f11",
    24: "f12",
}
_KITTY_CODES = {
    27: "esc",
    13: "enter",
    9: "tab",
    127: "backspace",
    8: "backspace",
    32: "space",
    57358: "caps_lock",
    57441: "shift",
    57442: "ctrl_l",
    57443: "alt_l",
    57444: "cmd",
    57447: "shift_r",
    57448: "ctrl_r",
    57449: "alt_r",
    57450: "cmd_r",
}
_PLAIN = {
    "\r": "enter",
    "\n": "enter",
    "\t": "tab",
    "\x7f": "backspace",
    "\x08": "backspace",
    " ": "space",
}
#: Longest escape sequence kept while waiting for its end (bytes).
_MAX_SEQUENCE = 64


@dataclass(frozen=True)
class Decoded:
    """One thing the terminal said: a key event (``key`` + ``event``), a focus change
    (``focus``), a reply (``kitty_flags`` / ``device_attributes``) or Ctrl+C under the kitty
    protocol (``interrupt``)."""

    key: str | None = None
    event: int = PRESS
    focus: bool | None = None
    kitty_flags: int | None = None
    device_attributes: bool = False
    interrupt: bool = False


class TerminalParser:
    """Incremental decoder (see the module docstring). Not thread-safe: one reader feeds it."""

    def __init__(self, esc_timeout_s: float = 0.05) -> None:
        self.esc_timeout_s = esc_timeout_s
        self._buf = bytearray()
        self._esc_since: float | None = None

    def feed(self, data: bytes, now: float) -> list[Decoded]:
        """Decode ``data`` (appended to what is pending) received at ``now`` (s)."""
        self._buf += data
        out: list[Decoded] = []
        while self._buf:
            consumed, item = self._next()
            if consumed == 0:  # incomplete: wait for more bytes
                if self._esc_since is None:
                    self._esc_since = now
                break
            self._esc_since = None
            del self._buf[:consumed]
            if item is not None:
                out.append(item)
        return out

    def flush(self, now: float) -> list[Decoded]:
        """Resolve a pending ``ESC`` older than ``esc_timeout_s`` (a lone Esc key press, or a
        sequence cut short: dropped)."""
        if self._esc_since is None or now - self._esc_since < self.esc_timeout_s:
            return []
        pending, self._buf, self._esc_since = bytes(self._buf), bytearray(), None
        return [Decoded(key="esc")] if pending == b"\x1b" else []

    @property
    def pending_since(self) -> float | None:
        """When the bytes waiting for their end arrived (``None``: nothing pending)."""
        return self._esc_since

    def _next(self) -> tuple[int, Decoded | None]:
        buf = self._buf
        if buf[0] != ESC:
            return self._plain()
        if len(buf) == 1:
            return 0, None
        intro = buf[1]
        if intro == ord("["):
            return self._csi()
        if intro == ord("O"):
            if len(buf) < 3:
                return 0, None
            key = _FINAL_KEYS.get(chr(buf[2]))
            return 3, Decoded(key=key) if key else None
        if intro == ESC:  # ESC ESC: the first is a lone Esc
            return 1, Decoded(key="esc")
        consumed, item = self._plain(offset=1)  # Alt+key
        return (consumed + 1, item) if consumed else (0, None)

    def _plain(self, offset: int = 0) -> tuple[int, Decoded | None]:
        buf = self._buf
        first = buf[offset]
        length = (
            1 if first < 0x80 else 2 if first >> 5 == 0b110 else 3 if first >> 4 == 0b1110 else 4
        )
        if len(buf) < offset + length:
            return 0, None
        char = bytes(buf[offset : offset + length]).decode("utf-8", errors="replace")
        if char in _PLAIN:
            return length, Decoded(key=_PLAIN[char])
        if char.isprintable():
            return length, Decoded(key=normalise_char(char))
        return length, None  # other control bytes

    def _csi(self) -> tuple[int, Decoded | None]:
        buf = self._buf
        for end in range(2, min(len(buf), _MAX_SEQUENCE)):
            byte = buf[end]
            if 0x40 <= byte <= 0x7E:
                body = bytes(buf[2:end]).decode("ascii", errors="replace")
                return end + 1, _decode_csi(body, chr(byte))
            if not 0x20 <= byte <= 0x3F:  # not a CSI byte: drop the broken sequence
                return end, None
        if len(buf) >= _MAX_SEQUENCE:
            return _MAX_SEQUENCE, None
        return 0, None


def _ints(field: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in field.split(":")] if field else []


def _decode_csi(body: str, final: str) -> Decoded | None:
    if body.startswith("?"):
        if final == "u":
            return Decoded(kitty_flags=int(body[1:] or 0) if body[1:].isdigit() else 0)
        if final == "c":
            return Decoded(device_attributes=True)
        return None
    if body.startswith((">", "<", "=")):
        return None
    if final in "IO" and not body:
        return Decoded(focus=final == "I")
    fields = body.split(";")
    mods_event = _ints(fields[1]) if len(fields) > 1 else []
    modifiers = (mods_event[0] if mods_event else 1) - 1
    event = mods_event[1] if len(mods_event) > 1 and mods_event[1] else PRESS
    if final == "u":
        codes = _ints(fields[0])
        if not codes:
            return None
        code = codes[0]
        if code == ord("c") and modifiers & 0b100 and event == PRESS:  # Ctrl+C
            return Decoded(interrupt=True)
        key = _KITTY_CODES.get(code) or (normalise_char(chr(code)) if code >= 32 else None)
        return Decoded(key=key, event=event) if key else None
    if final == "~":
        number = _ints(fields[0])[0] if fields[0] else 0
        key = _TILDE_KEYS.get(number)
        return Decoded(key=key, event=event) if key else None
    key = _FINAL_KEYS.get(final)
    return Decoded(key=key, event=event) if key else None
