"""Timing without synchronised clocks: the client/server clock offset, and where each request's
time went.

**Offset** (NTP's on-wire method, RFC 5905 §8): an exchange stamped ``t0`` (client sends),
``t1`` (server receives), ``t2`` (server replies), ``t3`` (client receives) gives::

    offset = ((t1 - t0) + (t2 - t3)) / 2        server clock − client clock
    delay  = (t3 - t0) - (t2 - t1)              time on the network, both ways

The estimate is the offset of the exchange with the smallest delay among the last
``window`` ones (NTP's clock filter): the least-delayed exchange is the most symmetric one.
Handshakes, heartbeats and every observation → chunk trip feed it. The error of one exchange
is at most ``delay / 2``.

**Per request** (:class:`RequestTiming`), from the stamps of :class:`lr_core.messages.TimingStamps`
and the offset: network up and down, queueing, preprocessing, inference, postprocessing on the
server, and the whole round trip (client clock only, so exact).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import asdict, dataclass, fields

from lr_core.messages import TimingStamps


class ClockSync:
    """Estimate ``server clock − client clock`` from timestamped exchanges."""

    def __init__(self, window: int = 16) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=window)

    def add(self, t0: float, t1: float, t2: float, t3: float) -> None:
        """One exchange: client send ``t0``, server receive ``t1``, server send ``t2``, client
        receive ``t3`` (seconds; ``t0``/``t3`` client clock, ``t1``/``t2`` server clock)."""
        delay = (t3 - t0) - (t2 - t1)
        offset = ((t1 - t0) + (t2 - t3)) / 2
        self._samples.append((max(delay, 0.0), offset))

    @property
    def offset(self) -> float:
        """Seconds to add to a client time to get server time (0 before any exchange)."""
        if not self._samples:
            return 0.0
        return min(self._samples)[1]

    @property
    def delay(self) -> float | None:
        """The round-trip network delay of the exchange the offset comes from (s)."""
        return min(self._samples)[0] if self._samples else None

    @property
    def samples(self) -> int:
        """How many exchanges are in the window."""
        return len(self._samples)


@dataclass(frozen=True)
class RequestTiming:
    """Where one observation → chunk trip spent its time (seconds; ``None`` when unknown).

    ``network_up``/``network_down`` rely on the clock offset (error ≤ half the best delay);
    ``round_trip`` and ``observation_age`` (capture → chunk received) use the client clock only.
    """

    round_trip: float | None
    network_up: float | None
    queue: float | None
    preprocess: float | None
    inference: float | None
    postprocess: float | None
    network_down: float | None
    observation_age: float | None

    @classmethod
    def from_stamps(cls, stamps: TimingStamps, offset: float) -> RequestTiming:
        """Split a reply's echoed stamps, given ``offset`` = server − client clock."""
        s = stamps

        def span(a: float | None, b: float | None, shift: float = 0.0) -> float | None:
            return None if a is None or b is None else b - a + shift

        return cls(
            round_trip=span(s.client_sent, s.client_received),
            network_up=span(s.client_sent, s.server_received, -offset),
            queue=span(s.server_received, s.preprocess_started),
            preprocess=span(s.preprocess_started, s.inference_started),
            inference=span(s.inference_started, s.inference_finished),
            postprocess=span(s.inference_finished, s.postprocess_finished),
            network_down=span(s.server_sent, s.client_received, offset),
            observation_age=span(s.observation_captured, s.client_received),
        )

    def to_dict(self) -> dict[str, float | None]:
        """Plain dict (seconds)."""
        return asdict(self)


class TimingStats:
    """The last ``window`` :class:`RequestTiming` values, summarised as medians and p90s."""

    def __init__(self, window: int = 1000) -> None:
        self._timings: deque[RequestTiming] = deque(maxlen=window)

    def add(self, timing: RequestTiming) -> None:
        """Record one request."""
        self._timings.append(timing)

    def __len__(self) -> int:
        return len(self._timings)

    def summary(self) -> dict[str, dict[str, float]]:
        """``{stage: {"median_ms": …, "p90_ms": …}}`` for every stage with data."""
        out: dict[str, dict[str, float]] = {}
        for field in fields(RequestTiming):
            values = sorted(v for t in self._timings if (v := getattr(t, field.name)) is not None)
            if values:
                p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
                out[field.name] = {
                    "median_ms": 1e3 * statistics.median(values),
                    "p90_ms": 1e3 * p90,
                }
        return out

    def format(self) -> str:
        """One line: ``stage median/p90 ms`` for each stage."""
        parts = [
            f"{name} {v['median_ms']:.2f}/{v['p90_ms']:.2f}" for name, v in self.summary().items()
        ]
        return "timing ms (median/p90): " + ", ".join(parts) if parts else "no timing yet"
