"""The robot client's queue of future actions, keyed by control step.

A chunk predicted from the observation taken at step ``k`` holds actions for steps
``k, k+1, …, k+T-1``. :meth:`ActionQueue.merge` folds it in:

- steps already executed (``< next_step``) are dropped: they are late;
- steps not queued yet are appended;
- steps already queued become ``f(old, new, n)`` (:mod:`lr_inference.aggregate`), ``n`` being
  how many predictions the entry already holds.

Unlike LeRobot's ``_aggregate_action_queues``, queued steps that the new chunk does not cover
are kept (LeRobot rebuilds the queue from the new chunk alone, so a chunk that starts later
than the queue silently dropped the steps in between). :meth:`pop` hands out the action for
exactly ``next_step``, so the queue stays contiguous from the step to execute next.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lr_inference.aggregate import AggregateFn, weighted_average


class ActionQueue:
    """Actions ``(D_action,)`` for consecutive control steps starting at :attr:`next_step`."""

    def __init__(self, aggregate_fn: AggregateFn | Callable[..., np.ndarray] = weighted_average):
        self.aggregate_fn = aggregate_fn
        self.next_step = 0
        self._actions: dict[int, np.ndarray] = {}
        self._counts: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._actions)

    def merge(self, start_step: int, actions: np.ndarray) -> int:
        """Fold ``actions`` ``(T, D)`` for steps ``start_step…`` into the queue; return how many
        of them were too late (for steps already executed)."""
        late = 0
        for i, action in enumerate(actions):
            step = start_step + i
            if step < self.next_step:
                late += 1
                continue
            old = self._actions.get(step)
            if old is None:
                self._actions[step] = np.array(action, copy=True)
                self._counts[step] = 1
            else:
                count = self._counts[step]
                self._actions[step] = np.asarray(self.aggregate_fn(old, action, count))
                self._counts[step] = count + 1
        return late

    def pop(self) -> np.ndarray | None:
        """The action for :attr:`next_step` (and advance), or ``None`` when there is none."""
        if self.next_step not in self._actions:
            if not self._actions:
                return None
            # Not reachable through merge() (chunks never start after next_step), but a queue
            # with a hole must not stall: continue at the first queued step.
            self.next_step = min(self._actions)
        action = self._actions.pop(self.next_step)
        del self._counts[self.next_step]
        self.next_step += 1
        return action

    def clear(self, next_step: int | None = None) -> None:
        """Empty the queue (and restart counting at ``next_step`` when given)."""
        self._actions.clear()
        self._counts.clear()
        if next_step is not None:
            self.next_step = next_step
