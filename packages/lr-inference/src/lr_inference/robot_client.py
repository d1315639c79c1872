"""``RobotClient``: a robot's control loop fed by a remote policy (``lr client``). Torch-free.

One thread, one loop at ``fps``; each tick::

    1. execute   pop the action for the next step and send it to the robot; when the queue
                 is empty, hold: send the last action again (never zeros), count the tick
    2. request   async: when len(queue) ≤ chunk_size_threshold × actions_per_chunk and no
                 request is in flight, capture an observation (timestep = the next step,
                 must_go when the queue is empty) and send it;
                 sync: only when the queue is empty (ask, wait, run the whole chunk)
    3. receive   until the next tick, merge arriving chunks into the queue by timestep
                 (lr_inference.action_queue, with aggregate_fn_name)

The network never blocks the loop: waiting for chunks is the sleep between ticks. When the
server dies or the network stalls, the loop keeps executing what is queued, then holds the
last action, logs it, and reconnects by itself (:mod:`lr_inference.connection`); the first
chunk after the new handshake resumes motion. Errors raised by the robot itself stop the loop
and disconnect the robot (its own safe stop, torque off by default): a hardware fault is never
swallowed.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lr_core.fileio import atomic_write_text
from lr_core.messages import ActionChunk, ErrorReply, PolicySpec, TimedObservation, TimingStamps
from lr_inference.action_queue import ActionQueue
from lr_inference.aggregate import get_aggregate_fn
from lr_inference.clock import RequestTiming, TimingStats
from lr_inference.configs import RobotClientConfig
from lr_inference.connection import Connection
from lr_inference.observation import ObservationBuilder, robot_features
from lr_inference.protocol import ObservationSkipped
from lr_inference.transport import now

logger = logging.getLogger(__name__)


@dataclass
class ClientStats:
    """What happened during a run (ticks are control periods)."""

    ticks: int = 0
    actions_executed: int = 0
    #: ticks before the first chunk arrived (the robot stood still)
    startup_ticks: int = 0
    #: ticks after the first chunk with an empty queue (the robot held its last action)
    empty_ticks: int = 0
    #: ticks that began more than one period late (the loop itself was too slow)
    overruns: int = 0
    requests: int = 0
    chunks: int = 0
    skipped: int = 0
    late_actions: int = 0
    rejected_chunks: int = 0
    server_errors: int = 0
    reconnects: int = 0
    duration_s: float = 0.0
    queue_sizes: list[int] = field(default_factory=list)
    timing: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (queue sizes left out unless recorded)."""
        out = asdict(self)
        if not out["queue_sizes"]:
            del out["queue_sizes"]
        return out


class RobotClient:
    """Drive ``robot`` (or the one ``config.robot`` describes) from a policy server."""

    def __init__(self, config: RobotClientConfig, *, robot: Any = None, context: Any = None):
        self.config = config
        if robot is None:
            robot = type(config.robot).implementation_class()(config.robot)
        self.robot = robot
        self.features = robot_features(robot)
        self.action_names = list(self.features["action"].names or [])
        self.spec = PolicySpec(
            policy_type=config.policy_type,
            pretrained_name_or_path=config.pretrained_name_or_path,
            features=self.features,
            actions_per_chunk=config.actions_per_chunk,
            device=config.policy_device,
            rename_map=config.rename_map,
            fps=config.fps,
        )
        self.connection = Connection(
            config.server_address, self.spec, config.connection_options(), context=context
        )
        self.queue = ActionQueue(
            get_aggregate_fn(
                config.aggregate_fn_name, temporal_ensemble_coeff=config.temporal_ensemble_coeff
            )
        )
        self.stats = ClientStats()
        self.timing = TimingStats()
        self.last_action: np.ndarray | None = None
        self._builder: ObservationBuilder | None = None
        self._built_for = -1
        self._history: deque[dict[str, Any]] = deque(maxlen=1)
        self._in_flight: tuple[float, float, int] | None = None  # (timestamp, sent, generation)
        self._first_chunk = False
        self._holding_logged = False
        self._stop = False
        self._last_timestamp = 0.0

    # ------------------------------------------------------------------ running

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current tick (from a signal handler or thread)."""
        self._stop = True

    def run(self, duration_s: float | None = None, *, max_ticks: int | None = None) -> ClientStats:
        """Connect the robot and the server, run the loop, then disconnect both.

        Stops after ``duration_s`` (default ``config.duration_s``; ``None``: until
        :meth:`stop` or Ctrl-C) or ``max_ticks``. Raises :class:`HandshakeRefusedError` or
        :class:`AuthenticationError` before the robot moves, when the server refuses.
        """
        duration_s = self.config.duration_s if duration_s is None else duration_s
        robot_was_connected = bool(getattr(self.robot, "is_connected", False))
        if not robot_was_connected:
            self.robot.connect()
        self.connection.open()
        started = time.perf_counter()
        try:
            self._loop(started, duration_s, max_ticks)
        except KeyboardInterrupt:
            logger.info("interrupted: stopping the robot")
        finally:
            self.stats.duration_s = time.perf_counter() - started
            self.stats.reconnects = self.connection.reconnects
            self.stats.timing = self.timing.summary()
            self.connection.close()
            if not robot_was_connected and getattr(self.robot, "is_connected", False):
                self.robot.disconnect()
            self._report()
        return self.stats

    def _loop(self, started: float, duration_s: float | None, max_ticks: int | None) -> None:
        period = 1.0 / self.config.fps
        next_tick = time.perf_counter()
        while not self._stop:
            if duration_s is not None and time.perf_counter() - started >= duration_s:
                return
            if max_ticks is not None and self.stats.ticks >= max_ticks:
                return
            self._tick()
            next_tick += period
            late = time.perf_counter() - next_tick
            if late > period:
                self.stats.overruns += 1
                next_tick = time.perf_counter()  # do not burst to catch up
            self._receive_until(next_tick)

    def _tick(self) -> None:
        self.stats.ticks += 1
        if self.config.debug_visualize_queue_size:
            self.stats.queue_sizes.append(len(self.queue))
        action = self.queue.pop()
        if action is not None:
            self._send_action(action)
            self.stats.actions_executed += 1
            self.last_action = action
            self._holding_logged = False
        else:
            if self._first_chunk:
                self.stats.empty_ticks += 1
                if not self._holding_logged:
                    logger.warning(
                        "action queue empty at step %d: holding the last action (%s)",
                        self.queue.next_step,
                        "server unreachable"
                        if not self.connection.ready
                        else "waiting for a chunk",
                    )
                    self._holding_logged = True
            else:
                self.stats.startup_ticks += 1
            if self.last_action is not None:
                self._send_action(self.last_action)
        history_needed = self._history.maxlen is not None and self._history.maxlen > 1
        if self.connection.ready and (history_needed or self._should_request()):
            self._observe_and_maybe_send()

    def _should_request(self) -> bool:
        if self._in_flight is not None:
            _, sent, generation = self._in_flight
            expired = time.monotonic() - sent > self.config.connection.request_timeout_s
            if generation == self.connection.generation and not expired:
                return False
            self._in_flight = None
        size = len(self.queue)
        if self.config.mode == "sync":
            return size == 0
        return size <= self.config.chunk_size_threshold * self.config.actions_per_chunk

    def _observe_and_maybe_send(self) -> None:
        conn = self.connection
        assert conn.welcome is not None
        if self._builder is None or self._built_for != conn.generation:
            self._builder = ObservationBuilder(self.features, conn.welcome.policy.input_keys)
            self._built_for = conn.generation
            steps = conn.welcome.policy.n_obs_steps
            if self._history.maxlen != steps:
                self._history = deque(maxlen=steps)
        raw = self.robot.get_observation()
        captured = now()
        self._history.append(self._builder(raw))
        if not self._should_request():
            return
        steps = self._history.maxlen or 1
        if steps > 1:
            frames = list(self._history)
            frames = [frames[0]] * (
                steps - len(frames)
            ) + frames  # repeat the first, as policies do
            values = {k: np.stack([f[k] for f in frames]) for k in frames[-1]}
        else:
            values = self._history[-1]
        self._last_timestamp = max(captured, self._last_timestamp + 1e-6)
        obs = TimedObservation(
            timestamp=self._last_timestamp,
            timestep=self.queue.next_step,
            observation=values,
            task=self.config.task,
            must_go=len(self.queue) == 0,
            timing=TimingStamps(observation_captured=captured, client_sent=now()),
        )
        if conn.send(obs):
            self.stats.requests += 1
            self._in_flight = (obs.timestamp, time.monotonic(), conn.generation)

    def _receive_until(self, deadline: float) -> None:
        while True:
            remaining = deadline - time.perf_counter()
            message = self.connection.poll(max(remaining, 0.0))
            if message is not None:
                self._on_message(message)
            if time.perf_counter() >= deadline:
                return

    def _on_message(self, message: Any) -> None:
        if isinstance(message, ActionChunk):
            self._on_chunk(message)
        elif isinstance(message, ObservationSkipped):
            self.stats.skipped += 1
            if self._in_flight and self._in_flight[0] == message.timestamp:
                self._in_flight = None
        elif isinstance(message, ErrorReply):
            self.stats.server_errors += 1
            logger.warning("policy server: %s: %s", message.error, message.message)
            self._in_flight = None

    def _on_chunk(self, chunk: ActionChunk) -> None:
        chunk.timing.client_received = now()
        if self._in_flight and self._in_flight[0] == chunk.timestamp:
            self._in_flight = None
        actions = chunk.actions
        if (
            chunk.names != self.action_names
            or actions.ndim != 2
            or actions.shape[1] != len(self.action_names)
            or not np.isfinite(actions).all()
        ):
            self.stats.rejected_chunks += 1
            logger.error(
                "rejected a chunk for step %d: %s actions named %s (expected (T, %d) finite "
                "values named %s)",
                chunk.timestep,
                list(actions.shape),
                chunk.names,
                len(self.action_names),
                self.action_names,
            )
            return
        self.stats.chunks += 1
        self.stats.late_actions += self.queue.merge(chunk.timestep, actions)
        self._first_chunk = True
        t = chunk.timing
        stamps = (t.client_sent, t.server_received, t.server_sent)
        if all(s is not None for s in stamps):
            self.connection.clock.add(*stamps, t.client_received)  # type: ignore[arg-type]
        self.timing.add(RequestTiming.from_stamps(t, self.connection.clock.offset))

    def _send_action(self, action: np.ndarray) -> None:
        self.robot.send_action({name: float(v) for name, v in zip(self.action_names, action)})

    # ------------------------------------------------------------------ reporting

    def _report(self) -> None:
        s = self.stats
        logger.info(
            "%d ticks in %.1f s: %d actions, %d empty-queue ticks (+%d at start-up), %d chunks, "
            "%d skipped, %d reconnects; %s",
            s.ticks,
            s.duration_s,
            s.actions_executed,
            s.empty_ticks,
            s.startup_ticks,
            s.chunks,
            s.skipped,
            s.reconnects,
            self.timing.format(),
        )
        if self.config.debug_visualize_queue_size and s.queue_sizes:
            print(queue_size_chart(s.queue_sizes, self.config.actions_per_chunk))
        if self.config.stats_file is not None:
            atomic_write_text(
                self.config.stats_file.expanduser(), json.dumps(s.to_dict(), indent=2) + "\n"
            )


def queue_size_chart(sizes: list[int], capacity: int, *, width: int = 72, height: int = 8) -> str:
    """A text chart of the queue size per tick (the minimum over each column's ticks)."""
    if not sizes:
        return ""
    columns = [
        min(
            sizes[
                i * len(sizes) // width : max(
                    (i + 1) * len(sizes) // width, i * len(sizes) // width + 1
                )
            ]
        )
        for i in range(min(width, len(sizes)))
    ]
    top = max(capacity, max(columns), 1)
    rows = []
    for level in range(height, 0, -1):
        threshold = top * (level - 0.5) / height
        rows.append("".join("█" if c >= threshold else " " for c in columns))
    return (
        f"action queue size over {len(sizes)} ticks (top = {top}):\n"
        + "\n".join(f"|{row}|" for row in rows)
        + f"\n empty at {sum(1 for s in sizes if s == 0)} ticks"
    )
