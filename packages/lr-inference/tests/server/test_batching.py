"""The worker batches waiting requests, replaces a client's stale one, and survives failures."""

from __future__ import annotations

import queue
import threading

import numpy as np

from lr_core.features import FeatureType, PolicyFeature
from lr_core.messages import ActionChunk, ErrorReply, TimedObservation
from lr_inference.protocol import ActionChunkBatch
from lr_inference.server.batching import PolicyWorker, Request
from lr_inference.server.served import PolicyDescription, StageStamps
from lr_inference.server.sessions import SessionPlan
from lr_inference.testing import FixedCostPolicy

DESCRIPTION = PolicyDescription(
    policy_type="fixed",
    input_features={"observation.state": PolicyFeature(type=FeatureType.STATE, shape=(2,))},
    action_dim=2,
    chunk_length=10,
)
PLAN = SessionPlan(
    inputs={"observation.state": "observation.state"},
    shapes={"observation.state": (2,)},
    images=frozenset(),
    action_names=["a", "b"],
    actions_per_chunk=4,
    dt=1 / 30,
)


def request(identity: bytes, value: float, timestamp: float = 1.0) -> Request:
    state = np.float32([value, -value])
    obs = TimedObservation(
        timestamp=timestamp, timestep=7, observation={"observation.state": state}
    )
    return Request(identity, PLAN, [obs], [{"observation.state": state}])


class Gate(FixedCostPolicy):
    """Blocks its first forward pass until released, so requests pile up behind it."""

    def __init__(self) -> None:
        super().__init__(DESCRIPTION)
        self.entered = threading.Event()
        self.release = threading.Event()

    def predict(self, batch):
        if not self.entered.is_set():
            self.entered.set()
            self.release.wait(10)
        return super().predict(batch)


def run_worker(policy, **kw):
    replies: queue.Queue = queue.Queue()
    worker = PolicyWorker(policy, lambda identity, msg: replies.put((identity, msg)), **kw)
    worker.start()
    return worker, replies


def test_requests_that_wait_together_run_in_one_forward_pass():
    policy = Gate()
    worker, replies = run_worker(policy)
    try:
        worker.submit(request(b"first", 1.0))
        assert policy.entered.wait(10)
        for i, name in enumerate((b"a", b"b", b"c")):
            assert worker.submit(request(name, 10.0 + i)) is None
        policy.release.set()
        got = dict(replies.get(timeout=10) for _ in range(4))
    finally:
        worker.stop()
    assert policy.batch_sizes == [1, 3]
    chunk = got[b"b"]
    assert isinstance(chunk, ActionChunk)
    assert chunk.actions.shape == (4, 2) and chunk.names == ["a", "b"]
    np.testing.assert_array_equal(chunk.actions[0], [11.0, -11.0])
    assert chunk.timestep == 7 and chunk.timestamp == 1.0
    t = chunk.timing
    assert t.inference_started == got[b"a"].timing.inference_started  # the same pass
    assert t.preprocess_started <= t.inference_started <= t.inference_finished <= t.server_sent
    assert worker.stats.forward_passes == 2 and worker.stats.largest_batch == 3


def test_a_newer_observation_replaces_the_waiting_one_of_the_same_client():
    policy = Gate()
    worker, replies = run_worker(policy)
    try:
        worker.submit(request(b"busy", 0.0, timestamp=0.5))
        assert policy.entered.wait(10)
        worker.submit(request(b"x", 1.0, timestamp=1.0))
        replaced = worker.submit(request(b"x", 2.0, timestamp=2.0))
        assert replaced is not None and replaced.observations[0].timestamp == 1.0
        policy.release.set()
        got = [replies.get(timeout=10) for _ in range(2)]
    finally:
        worker.stop()
    assert [m.timestamp for _, m in got] == [0.5, 2.0]  # the stale 1.0 never ran


def test_batch_size_is_capped_and_batched_requests_get_one_reply():
    policy = Gate()
    worker, replies = run_worker(policy, max_batch_size=2)
    try:
        worker.submit(request(b"busy", 0.0))
        assert policy.entered.wait(10)
        three = request(b"many", 5.0)
        three.observations *= 3
        three.items *= 3
        three.batched = True
        worker.submit(three)
        worker.submit(request(b"one", 1.0))
        policy.release.set()
        got = dict(replies.get(timeout=10) for _ in range(3))
    finally:
        worker.stop()
    assert isinstance(got[b"many"], ActionChunkBatch) and len(got[b"many"].chunks) == 3
    assert policy.batch_sizes == [1, 3, 1]  # a batch request is never split


def test_a_failing_policy_answers_with_an_error_and_keeps_running():
    class Flaky(FixedCostPolicy):
        calls = 0

        def predict(self, batch):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("CUDA out of memory")
            if Flaky.calls == 2:
                return np.full((len(batch), 10, 2), np.nan, np.float32), StageStamps()
            return super().predict(batch)

    worker, replies = run_worker(Flaky(DESCRIPTION))
    try:
        messages = []
        for i in range(3):
            worker.submit(request(b"c", float(i)))
            messages.append(replies.get(timeout=10)[1])
    finally:
        worker.stop()
    assert isinstance(messages[0], ErrorReply) and "CUDA out of memory" in messages[0].message
    assert isinstance(messages[1], ErrorReply) and "NaN" in messages[1].message
    assert isinstance(messages[2], ActionChunk)


def test_batch_wait_lets_clients_in_step_share_a_pass_and_ends_when_the_batch_is_full():
    policy = FixedCostPolicy(DESCRIPTION)
    # a wait far longer than the replies' deadline: a full batch that waited it out could
    # only fail by timing out, whatever the machine's load (no elapsed-time threshold)
    worker, replies = run_worker(policy, max_batch_size=2, batch_wait_s=3600.0)
    try:
        worker.submit(request(b"a", 1.0))
        worker.submit(request(b"b", 2.0))
        got = dict(replies.get(timeout=60) for _ in range(2))
    finally:
        worker.stop()
    assert policy.batch_sizes == [2]
    assert set(got) == {b"a", b"b"}
