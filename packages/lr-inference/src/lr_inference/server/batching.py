"""One thread per loaded policy: it runs waiting observations in batches.

Requests wait in arrival order, at most one per session (a newer observation from the same
client replaces a waiting one, which is answered ``ObservationSkipped``: acting on a stale
observation helps no one). When the policy is free, the worker takes every waiting request
up to ``max_batch_size`` observations, runs them in one forward pass, and answers each client
with its own chunk. By default nothing waits on purpose to form a batch: requests that
arrived during the previous forward pass form the next batch, so batching costs no latency.
Clients that send in step (they all got their previous chunk from the same batch) would then
alternate between a batch of one and a batch of the rest; ``batch_wait_s`` (a few milliseconds) lets
the worker wait that long for more requests before it starts a pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lr_core.messages import ActionChunk, ErrorReply, TimedObservation, WireMessage
from lr_inference.protocol import INFERENCE_FAILED, ActionChunkBatch, ObservationSkipped
from lr_inference.server.served import ServedPolicy
from lr_inference.server.sessions import SessionPlan
from lr_inference.transport import now

logger = logging.getLogger(__name__)

Reply = Callable[[bytes, WireMessage], None]


@dataclass
class Request:
    """Observations of one client message, checked and keyed by policy keys."""

    identity: bytes
    plan: SessionPlan
    observations: list[TimedObservation]
    items: list[dict[str, np.ndarray]]
    batched: bool = False  # answer with ActionChunkBatch
    received: float = field(default_factory=now)


@dataclass
class WorkerStats:
    """Counters of one policy's worker."""

    forward_passes: int = 0
    observations: int = 0
    largest_batch: int = 0
    failures: int = 0


class PolicyWorker:
    """Runs ``policy`` on waiting requests in a daemon thread (see the module docstring)."""

    def __init__(
        self,
        policy: ServedPolicy,
        reply: Reply,
        *,
        max_batch_size: int = 64,
        inference_latency: float = 0.0,
        batch_wait_s: float = 0.0,
        name: str = "policy",
    ) -> None:
        self.policy = policy
        self.reply = reply
        self.max_batch_size = max(1, min(max_batch_size, policy.description.max_batch_size))
        self.inference_latency = inference_latency
        self.batch_wait_s = batch_wait_s
        self.stats = WorkerStats()
        self._pending: OrderedDict[bytes, Request] = OrderedDict()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"lr-serve-{name}", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the forward pass in progress."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)

    def submit(self, request: Request) -> Request | None:
        """Queue ``request``; return the same client's waiting request it replaced, if any."""
        with self._cond:
            replaced = self._pending.pop(request.identity, None)
            self._pending[request.identity] = request
            self._cond.notify()
        return replaced

    def drop(self, identity: bytes) -> Request | None:
        """Forget a departed client's waiting request; return it (``None`` if none waited)."""
        with self._cond:
            return self._pending.pop(identity, None)

    def _take(self) -> list[Request] | None:
        with self._cond:
            while not self._pending and not self._stopping:
                self._cond.wait()
            if self.batch_wait_s > 0:  # let clients that send in step join this batch
                deadline = time.monotonic() + self.batch_wait_s
                while not self._stopping and self._waiting() < self.max_batch_size:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            if self._stopping:
                return None
            batch: list[Request] = []
            size = 0
            for identity in list(self._pending):
                request = self._pending[identity]
                if batch and size + len(request.items) > self.max_batch_size:
                    break
                batch.append(self._pending.pop(identity))
                size += len(request.items)
            return batch

    def _waiting(self) -> int:
        return sum(len(request.items) for request in self._pending.values())

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            try:
                self._forward(batch)
            except Exception as exc:  # a failing policy must not kill the server
                self.stats.failures += 1
                logger.exception("forward pass failed for %d request(s)", len(batch))
                for request in batch:
                    self.reply(
                        request.identity,
                        ErrorReply(error=INFERENCE_FAILED, message=f"{type(exc).__name__}: {exc}"),
                    )

    def _forward(self, batch: list[Request]) -> None:
        items = [item for request in batch for item in request.items]
        actions, stamps = self.policy.predict(items)
        actions = np.asarray(actions)
        if actions.ndim != 3 or actions.shape[0] != len(items):
            raise ValueError(
                f"the policy returned actions of shape {list(actions.shape)} for "
                f"{len(items)} observations; expected (B, T, D)"
            )
        if not np.isfinite(actions).all():
            raise ValueError("the policy produced NaN or infinite actions")
        actions = actions.astype(np.float32, copy=False)
        self.stats.forward_passes += 1
        self.stats.observations += len(items)
        self.stats.largest_batch = max(self.stats.largest_batch, len(items))
        if self.inference_latency > 0:
            # the padded time counts as inference in the reported timing
            stamps.inference_finished = max(
                stamps.inference_finished, stamps.preprocess_started + self.inference_latency
            )
            stamps.postprocess_finished = max(
                stamps.postprocess_finished, stamps.inference_finished
            )
            rest = stamps.inference_finished - now()
            if rest > 0:
                time.sleep(rest)
        row = 0
        for request in batch:
            chunks = []
            for obs in request.observations:
                timing = obs.timing.model_copy(
                    update={
                        "server_received": request.received,
                        "preprocess_started": stamps.preprocess_started,
                        "inference_started": stamps.inference_started,
                        "inference_finished": stamps.inference_finished,
                        "postprocess_finished": stamps.postprocess_finished,
                    }
                )
                chunks.append(
                    ActionChunk(
                        timestep=obs.timestep,
                        timestamp=obs.timestamp,
                        dt=request.plan.dt,
                        actions=actions[row, : request.plan.actions_per_chunk],
                        names=request.plan.action_names,
                        timing=timing,
                    )
                )
                row += 1
            sent = now()
            for chunk in chunks:
                chunk.timing.server_sent = sent
            if request.batched:
                self.reply(request.identity, ActionChunkBatch(chunks=chunks))
            else:
                self.reply(request.identity, chunks[0])


def superseded(
    request: Request, reason: str = "superseded by a newer observation"
) -> ObservationSkipped:
    """The answer to a waiting request that will not run (a newer one from the same client
    replaced it, or its session ended)."""
    obs = request.observations[0]
    return ObservationSkipped(timestamp=obs.timestamp, timestep=obs.timestep, reason=reason)
