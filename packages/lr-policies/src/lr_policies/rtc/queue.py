"""The action queue of an asynchronous robot loop with real-time chunking, and the one call an
inference server makes per chunk (LeRobot 0.6.1's ``rtc/action_queue.py`` and its RTC engine).

The robot pops one action per control tick while the server computes the next chunk; when the
chunk arrives, ``delay`` ticks have passed (``ceil(latency · fps)``). With RTC the new chunk was
guided toward the old chunk's actions still queued, so the queue is *replaced* by the new chunk
from its action ``delay`` on; without RTC the new chunk is *appended*. A server calls::

    left = queue.leftover()                      # normalised actions still queued (T', A) or None
    index = queue.index                          # to measure the delay actually incurred
    chunk = rtc_predict_chunk(policy, batch, left, inference_delay=delay)   # (B, T, A)
    queue.merge(chunk[0], post(chunk)[0], delay=queue.index - index)

Shapes: T chunk length, A action size; the queue holds one robot's actions (no batch axis).
"""

from __future__ import annotations

from threading import Lock
from typing import Any

import torch
from torch import Tensor

from lr_policies.errors import PolicyError


def rtc_predict_chunk(
    policy: Any,
    batch: dict[str, Tensor],
    prev_chunk_left_over: Tensor | None,
    *,
    inference_delay: int,
    execution_horizon: int | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """One real-time-chunked prediction: ``policy.predict_action_chunk`` (normalised actions
    (B, T, A)) guided toward ``prev_chunk_left_over`` ((T', A) or (B, T', A), normalised, as the
    policy output them), of which ``inference_delay`` actions execute before this chunk is used.

    Raises :class:`PolicyError` for a policy without RTC (``supports_rtc()``) or whose config has
    no enabled ``rtc_config``.
    """
    supports = getattr(policy, "supports_rtc", None)
    if not callable(supports) or not supports():
        raise PolicyError(f"{type(policy).__name__} does not support real-time chunking")
    rtc = getattr(policy.config, "rtc_config", None)
    if rtc is None or not rtc.enabled:
        raise PolicyError(
            "real-time chunking is off for this policy: set rtc_config (e.g. "
            "--policy.rtc_config.enabled=true, or config.rtc_config = RTCConfig())"
        )
    if inference_delay < 0:
        raise PolicyError(f"inference_delay must be ≥ 0, got {inference_delay}")
    return policy.predict_action_chunk(
        batch,
        noise,
        prev_chunk_left_over=prev_chunk_left_over,
        inference_delay=inference_delay,
        execution_horizon=execution_horizon,
    )


class ActionQueue:
    """Thread-safe queue of one robot's actions: the model's (normalised) ones, for RTC's
    leftover, and the post-processed ones the robot executes.

    ``rtc``: replace the queue on :meth:`merge` (True) or append to it (False).
    """

    def __init__(self, rtc: bool = True) -> None:
        self.rtc = rtc
        self._lock = Lock()
        self._original: Tensor | None = None
        self._processed: Tensor | None = None
        self._index = 0

    def get(self) -> Tensor | None:
        """The next action to execute (A,), or ``None`` when the queue is empty."""
        with self._lock:
            if self._processed is None or self._index >= len(self._processed):
                return None
            action = self._processed[self._index]
            self._index += 1
            return action.clone()

    def qsize(self) -> int:
        """Actions not executed yet."""
        with self._lock:
            return 0 if self._processed is None else len(self._processed) - self._index

    @property
    def index(self) -> int:
        """How many actions of the current queue were handed out."""
        with self._lock:
            return self._index

    def leftover(self) -> Tensor | None:
        """The model's actions not executed yet (T', A), or ``None`` before the first chunk."""
        with self._lock:
            return None if self._original is None else self._original[self._index :].clone()

    def clear(self) -> None:
        """Drop everything (a new episode)."""
        with self._lock:
            self._original = self._processed = None
            self._index = 0

    def merge(self, original: Tensor, processed: Tensor, delay: int = 0) -> None:
        """Take a new chunk: ``original`` (T, A) as the model output it, ``processed`` (T, A) for
        the robot. With RTC the queue becomes the chunk from action ``delay`` (clamped to the
        chunk); otherwise the chunk is appended after the actions still queued."""
        if original.shape[0] != processed.shape[0]:
            raise PolicyError(
                f"original ({original.shape[0]}) and processed ({processed.shape[0]}) chunks "
                "differ in length"
            )
        with self._lock:
            if self.rtc:
                start = max(0, min(int(delay), original.shape[0]))
                self._original = original[start:].clone()
                self._processed = processed[start:].clone()
            elif self._processed is None or self._original is None:
                self._original, self._processed = original.clone(), processed.clone()
            else:
                self._original = torch.cat([self._original[self._index :], original])
                self._processed = torch.cat([self._processed[self._index :], processed])
            self._index = 0
