"""When a libsvtav1 encoder of this process may open, send frames and close.

SVT-AV1 (the ``libsvtav1`` encoder; v4.1.0 in PyAV 18's wheels) keeps tables that every encoder
of a process shares - the block-geometry table ``svt_aom_blk_geom_mds``, the function-pointer
(RTCD) tables - and rewrites them when an encoder is initialised (``svt_av1_enc_init``, run by
FFmpeg when PyAV opens the codec). SVT-AV1 merge request 2603 ("Fix hang when running multiple
encoders in same process") moves the geometry table into each encoder because "todays code may
crash or hang", with tests that open and close encoders in threads at unsynchronised moments:
what lr's recorder does, one encoder per camera, new ones every episode. (The hang lr measured
also happens with a single encoder, which this gate cannot prevent: see ``docs/dataset.md``,
"When the AV1 encoder hangs", and the watchdog of
:class:`~lr_dataset.video.encode.EpisodeEncoder`.)

:class:`EncoderGate` keeps those moments apart across every thread of the process:

- an encoder **opens** only while no other one opens or closes, has frames in flight (from its
  first frame to the end of its flush) or waits to close;
- an encoder **closes** (``container.close()``: SVT's ``deinit``) only while no other one opens,
  closes or has frames in flight;
- an encoder **sends its first frame** only when no announced encoder still has to open, so the
  encoders of one episode, announced together, open one after the other and then encode at once.

An encoder between its first frame and its flush that has not been handed work for
:data:`IDLE_S` seconds stops counting (its SVT threads are idle), so one nobody stops (a dataset
never finalized) delays the others by seconds, not for ever.

Each encoder holds a :class:`GateTicket` from its creation (the announcement) to its close. A
user of several encoders creates them all before sending frames to any, and stops them all
before waiting for one (as :class:`~lr_dataset.writer.DatasetWriter` does). Every wait is
bounded: one longer than ``timeout_s`` raises :class:`~lr_dataset.errors.VideoEncoderError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lr_dataset.errors import VideoEncoderError

#: encoders whose instances share process-wide state that ``svt_av1_enc_init`` rewrites
GATED_CODECS = frozenset({"libsvtav1"})

#: seconds after its last call into the encoder an encoder stops counting as having frames in
#: flight (its SVT threads are idle by then: a frame takes milliseconds); an encoder nobody stops
#: (a dataset never finalized) then holds the others back for this long, not forever
IDLE_S = 5.0

# a ticket's states, in order
_ANNOUNCED, _OPEN, _ENCODING, _STOPPED, _DONE = range(5)


class EncoderGate:
    """Opens and closes apart from in-flight frames, for the encoders of one library."""

    def __init__(self, name: str = "libsvtav1") -> None:
        self.name = name
        self._cond = threading.Condition()
        self._announced = 0  # created, not opened yet
        self._encoders: set[GateTicket] = set()  # first frame .. end of flush
        self._stopped = 0  # flushed, not closed yet
        self._exclusive: GateTicket | None = None  # the ticket whose open or close runs

    def state(self) -> dict[str, int | bool]:
        """Counts now (for messages and tests): announced, encoding, stopped, exclusive."""
        with self._cond:
            return {
                "announced": self._announced,
                "encoding": self._in_flight(),
                "stopped": self._stopped,
                "exclusive": self._exclusive is not None,
            }

    def ticket(self) -> GateTicket:
        """Announce a new encoder (before frames go to any encoder of its group)."""
        with self._cond:
            self._announced += 1
        return GateTicket(self)

    def _in_flight(self) -> int:
        """Encoders with frames in flight: between first frame and flush, and busy or busy
        within the last :data:`IDLE_S` seconds."""
        now = time.monotonic()
        return sum(1 for t in self._encoders if t._busy or now - t._last_busy < IDLE_S)

    def _wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0:
                raise VideoEncoderError(
                    f"{what}: waited {timeout_s:.0f} s for the other {self.name} encoders of this "
                    f"process ({self._in_flight()} with frames in flight, {self._stopped} closing, "
                    f"{self._announced} still to open): one of them is stuck, or its frames or "
                    f"its end never came (create every encoder of a group before sending frames "
                    f"to one, and stop them all before waiting for one)"
                )
            self._cond.wait(min(left, 0.5))


class GateTicket:
    """One encoder's passage through an :class:`EncoderGate`; every step counts once."""

    def __init__(self, gate: EncoderGate) -> None:
        self.gate = gate
        self._state = _ANNOUNCED
        self._busy = False
        self._last_busy = time.monotonic()

    @property
    def done(self) -> bool:
        """The ticket left the gate (closed, failed or released)."""
        return self._state == _DONE

    @property
    def holds_open_encoder(self) -> bool:
        """The encoder was opened and is not closed yet (its close must pass the gate)."""
        return self._state in (_OPEN, _ENCODING, _STOPPED)

    def _leave(self) -> None:  # under gate._cond: drop this ticket's count
        gate = self.gate
        if self._state == _ANNOUNCED:
            gate._announced -= 1
        elif self._state == _ENCODING:
            gate._encoders.discard(self)
        elif self._state == _STOPPED:
            gate._stopped -= 1
        if gate._exclusive is self:
            gate._exclusive = None
        self._state = _DONE
        gate._cond.notify_all()

    @contextmanager
    def _alone(self, ready: Callable[[], bool], timeout_s: float, what: str) -> Iterator[None]:
        gate = self.gate
        with gate._cond:
            try:
                gate._wait(lambda: gate._exclusive is None and ready(), timeout_s, what)
            except BaseException:
                self._leave()
                raise
            gate._exclusive = self
        try:
            yield
        finally:
            with gate._cond:
                if gate._exclusive is self:
                    gate._exclusive = None
                gate._cond.notify_all()

    @contextmanager
    def opening(self, timeout_s: float, what: str) -> Iterator[None]:
        """Run the encoder's open alone (nothing else opens, closes, encodes or waits to close)."""
        gate = self.gate
        with self._alone(lambda: not gate._in_flight() and not gate._stopped, timeout_s, what):
            yield
        with gate._cond:
            if self._state == _ANNOUNCED:
                gate._announced -= 1
                self._state = _OPEN
                gate._cond.notify_all()

    def start_encoding(self, timeout_s: float, what: str) -> None:
        """Before the first frame: wait until every announced encoder has opened."""
        gate = self.gate
        with gate._cond:
            if self._state != _OPEN:
                return
            try:
                gate._wait(lambda: gate._exclusive is None and not gate._announced, timeout_s, what)
            except BaseException:
                self._leave()
                raise
            gate._encoders.add(self)
            self._last_busy = time.monotonic()
            self._state = _ENCODING

    def stop_encoding(self) -> None:
        """After the flush (or when no frame ever came): no frame in flight, waiting to close."""
        gate = self.gate
        with gate._cond:
            if self._state == _ENCODING:
                gate._encoders.discard(self)
            elif self._state != _OPEN:
                return
            gate._stopped += 1
            self._state = _STOPPED
            gate._cond.notify_all()

    @contextmanager
    def closing(self, timeout_s: float, what: str) -> Iterator[None]:
        """Run the encoder's close alone (nothing else opens, closes or has frames in flight)."""
        self.stop_encoding()
        gate = self.gate
        with self._alone(lambda: not gate._in_flight(), timeout_s, what):
            yield
        self.release()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Around each call that hands the encoder work (a frame, the flush)."""
        self._busy = True
        try:
            yield
        finally:
            self._last_busy = time.monotonic()
            self._busy = False

    def release(self) -> None:
        """Leave the gate whatever the state (closed, never opened, failed, or given up as hung:
        a hung encoder's SVT threads are blocked, not running)."""
        with self.gate._cond:
            if self._state != _DONE:
                self._leave()


#: the gate of the libsvtav1 encoders of this process
SVT_AV1_GATE = EncoderGate("libsvtav1")


def gate_for(vcodec: str) -> EncoderGate | None:
    """The gate ``vcodec``'s encoders pass (``None``: they need none)."""
    return SVT_AV1_GATE if vcodec in GATED_CODECS else None


class GatedEncoding:
    """One encoder opened, fed and closed by one thread, through its codec's gate (if any).

    For code outside :class:`~lr_dataset.video.encode.EpisodeEncoder` that opens an encoder
    (the size check, the editing tools' re-encode)::

        with GatedEncoding(vcodec, f"re-encoding {path}") as gated, av.open(...) as out:
            stream = out.add_stream(vcodec, ...)
            gated.open(stream)            # codec_context.open() at the gate
            for packet in gated.encode(stream, frame): out.mux(packet)
            for packet in gated.encode(stream, None): out.mux(packet)   # the flush
            gated.close(out)              # container.close() at the gate
    """

    def __init__(self, vcodec: str, what: str, timeout_s: float = 120.0) -> None:
        gate = gate_for(vcodec)
        self.what = what
        self.timeout_s = timeout_s
        self.ticket = gate.ticket() if gate is not None else None

    def __enter__(self) -> GatedEncoding:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ticket is not None:
            self.ticket.release()

    def open(self, stream: Any) -> None:
        """Open ``stream``'s codec (alone at the gate), ready for frames."""
        if self.ticket is None:
            stream.codec_context.open()
            return
        with self.ticket.opening(self.timeout_s, f"opening the encoder for {self.what}"):
            stream.codec_context.open()
        self.ticket.start_encoding(self.timeout_s, self.what)

    def encode(self, stream: Any, frame: Any) -> Any:
        """``stream.encode(frame)`` (``None``: the flush), counted as frames in flight."""
        if self.ticket is None:
            return stream.encode(frame)
        with self.ticket.busy():
            return stream.encode(frame)

    def close(self, container: Any) -> None:
        """``container.close()`` (alone at the gate once this encoder's frames are done)."""
        if self.ticket is None or not self.ticket.holds_open_encoder:
            container.close()  # an encoder that never opened has nothing of SVT's to free
            return
        with self.ticket.closing(self.timeout_s, f"closing the encoder for {self.what}"):
            container.close()
