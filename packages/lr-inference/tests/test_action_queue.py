"""The action queue merges chunks by control step."""

from __future__ import annotations

import numpy as np

from lr_inference.action_queue import ActionQueue
from lr_inference.aggregate import average, latest_only


def chunk(start_value: float, length: int) -> np.ndarray:
    return np.arange(start_value, start_value + length, dtype=np.float32)[:, None]


def test_late_actions_are_dropped_new_ones_appended_and_overlaps_aggregated():
    queue = ActionQueue(average)
    assert queue.merge(0, chunk(0, 4)) == 0  # steps 0..3
    assert queue.pop()[0] == 0 and queue.pop()[0] == 1  # steps 0 and 1 executed
    late = queue.merge(1, chunk(100, 5))  # steps 1..5: step 1 is late, 2..3 overlap
    assert late == 1
    assert len(queue) == 4 and queue.next_step == 2
    assert [queue.pop()[0] for _ in range(4)] == [(2 + 101) / 2, (3 + 102) / 2, 103, 104]
    assert queue.pop() is None


def test_steps_the_new_chunk_does_not_cover_are_kept():
    queue = ActionQueue(latest_only)
    queue.merge(0, chunk(0, 10))
    queue.merge(2, chunk(50, 3))  # covers steps 2..4 only
    assert [queue.pop()[0] for _ in range(10)] == [0, 1, 50, 51, 52, 5, 6, 7, 8, 9]


def test_the_aggregate_function_is_told_how_many_predictions_an_entry_holds():
    seen: list[int] = []

    def record(old, new, n):
        seen.append(n)
        return new

    queue = ActionQueue(record)
    for start in range(3):
        queue.merge(start, chunk(0, 5))
    # second chunk: steps 1..4 overlap once; third: 2..4 twice, 5 once
    assert seen == [1, 1, 1, 1, 2, 2, 2, 1]


def test_clear_restarts_the_step_count_and_a_hole_does_not_stall_the_queue():
    queue = ActionQueue()
    queue.merge(0, chunk(0, 3))
    queue.clear(next_step=10)
    assert len(queue) == 0 and queue.pop() is None
    queue.merge(12, chunk(7, 2))
    assert queue.pop()[0] == 7 and queue.next_step == 13
