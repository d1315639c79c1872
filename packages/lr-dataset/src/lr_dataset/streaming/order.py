"""The streaming data order: a pure function of (seed, epoch, rank, worker) and the episodes.

Terms: a *consumer* is one iterator over the stream - one per (rank x DataLoader worker), with
index ``c = rank * num_workers + worker``; an *anchor* is a frame that is emitted as a sample
(every frame of an episode, less ``drop_n_first``/``drop_n_last`` at its edges).

1. **Shares** (:func:`assign_shares`). Each epoch the episodes are put in a random order drawn
   from ``(seed, epoch)`` alone - the same in every consumer - and dealt out greedily, each to
   the consumer with the fewest anchors so far (ties: the lowest index). Shares are disjoint,
   cover every episode, and differ in size by at most one episode. Without shuffling, consumer
   ``c`` takes the contiguous run of episodes whose anchors fall in ``[c, c + 1) * total / C``.
2. **Pool** (:class:`EpisodePool`). A consumer admits its share's episodes in that order and keeps
   ``pool_size`` of them resident. Each step picks a resident episode with probability
   proportional to its anchors left and emits the next anchor of that episode's own random
   permutation - the same as drawing uniformly among every anchor left in the pool. A drained
   episode is evicted and the next one admitted. Both draws come from generators seeded with
   ``(seed, epoch, rank, worker)`` (:func:`consumer_seed`). Every anchor of the share is emitted
   exactly once per epoch; without shuffling anchors come out in episode and frame order.
3. **Resume** (:func:`worker_batches`). torch's DataLoader takes batches from its workers in
   turn (worker 0, 1, ..., skipping workers that have run out) and restarts that rotation at
   worker 0 in a new DataLoader. After ``batches_consumed`` batches, the resumed loader's worker
   ``j`` therefore plays the *role* of old worker ``(next + j) % num_workers`` and skips the
   samples that role already produced, replaying the pool's draws without reading anything.

The idea follows LeRobot's unmerged episode-pool pull requests (#3748, #3917); the data order is
built as ``lr_policies.train.sampler.ResumableSampler`` builds the map-style one.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections.abc import Sequence

import numpy as np

# numpy loads numpy.random lazily; loading it with this module, in the process that builds the
# stream, spares each forked DataLoader worker that import on its way to the first sample
import numpy.random  # isort: skip

#: uniform draws taken from the generator at a time (the stream of values is the same)
_DRAW_BLOCK = 4096


def consumer_seed(seed: int, epoch: int, rank: int, worker: int) -> np.random.SeedSequence:
    """The seed sequence of one consumer's pool in one epoch."""
    for name, value in (("seed", seed), ("epoch", epoch), ("rank", rank), ("worker", worker)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    return np.random.SeedSequence([int(seed), int(epoch), int(rank), int(worker)])


def episode_order(num_episodes: int, seed: int, epoch: int, shuffle: bool) -> np.ndarray:
    """Positions ``0..num_episodes-1`` in the order they are dealt out in ``epoch``."""
    if not shuffle:
        return np.arange(num_episodes, dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(epoch)]))
    return rng.permutation(num_episodes).astype(np.int64)


def assign_shares(
    counts: Sequence[int] | np.ndarray,
    num_consumers: int,
    *,
    seed: int,
    epoch: int,
    shuffle: bool,
) -> list[np.ndarray]:
    """Each consumer's episodes (positions into ``counts``), in the order it admits them.

    ``counts[i]`` is the number of anchors of episode ``i``; episodes without anchors are left
    out. See the module docstring for the rule.
    """
    if num_consumers < 1:
        raise ValueError(f"num_consumers must be >= 1, got {num_consumers}")
    counts = np.asarray(counts, dtype=np.int64)
    order = episode_order(len(counts), seed, epoch, shuffle)
    order = order[counts[order] > 0]
    if not shuffle:
        # contiguous runs: episode i goes to the consumer its anchors' midpoint falls in
        total = int(counts.sum())
        ends = np.cumsum(counts[order])
        mids = ends - counts[order] / 2.0
        owner = np.minimum(
            (mids * num_consumers / max(total, 1)).astype(np.int64), num_consumers - 1
        )
        return [order[owner == c] for c in range(num_consumers)]
    shares: list[list[int]] = [[] for _ in range(num_consumers)]
    heap = [(0, c) for c in range(num_consumers)]
    for position in order.tolist():
        load, c = heapq.heappop(heap)
        shares[c].append(position)
        heapq.heappush(heap, (load + int(counts[position]), c))
    return [np.asarray(s, dtype=np.int64) for s in shares]


class _Fenwick:
    """Prefix sums over ``n`` non-negative integer weights with O(log n) update and search."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.tree = [0] * (n + 1)
        self.top = 1 << max(0, n.bit_length() - 1) if n else 0

    def add(self, i: int, delta: int) -> None:
        i += 1
        while i <= self.n:
            self.tree[i] += delta
            i += i & -i

    def find(self, r: int) -> int:
        """The smallest slot whose prefix sum exceeds ``r`` (``0 <= r < total``)."""
        pos, step = 0, self.top
        tree = self.tree
        while step:
            nxt = pos + step
            if nxt <= self.n and tree[nxt] <= r:
                pos = nxt
                r -= tree[nxt]
            step >>= 1
        return pos


class EpisodePool:
    """One consumer's emission schedule for one epoch (see the module docstring).

    ``episodes``: the share, in admission order (any hashable ids, usually episode indices);
    ``counts``: anchors of each; ``first``: the frame offset of each episode's first anchor.
    The pool is filled on construction (:attr:`resident`). :meth:`next` returns ``(episode,
    frame offset)`` and leaves the episodes evicted and admitted by that step in
    :attr:`evicted` / :attr:`admitted`. Pure: the same arguments give the same schedule.
    """

    def __init__(
        self,
        episodes: Sequence[int] | np.ndarray,
        counts: Sequence[int] | np.ndarray,
        pool_size: int,
        seed: np.random.SeedSequence,
        *,
        shuffle: bool = True,
        first: Sequence[int] | None = None,
    ) -> None:
        if pool_size < 1:
            raise ValueError(f"episode_pool_size must be >= 1, got {pool_size}")
        self.episodes = [int(e) for e in episodes]
        self.counts = [int(c) for c in counts]
        self.first = [0] * len(self.episodes) if first is None else [int(f) for f in first]
        self.shuffle = shuffle
        self.pool_size = pool_size if shuffle else 1
        choice_seed, perm_seed = seed.spawn(2)
        self._choice = np.random.default_rng(choice_seed)
        self._perm = np.random.default_rng(perm_seed)
        self._draws = np.empty(0)
        self._draw_at = 0
        self.total = sum(self.counts)
        self.emitted = 0
        self._queue = 0  # next position of the share to admit
        self._slots: list[int | None] = [None] * self.pool_size  # share position per slot
        self._orders: list[np.ndarray | None] = [None] * self.pool_size
        self._done = [0] * self.pool_size
        self._left = [0] * self.pool_size
        self._weights = _Fenwick(self.pool_size)
        self._left_total = 0
        self.admitted: list[int] = []
        self.evicted: list[int] = []
        for slot in range(self.pool_size):
            self._admit(slot)

    # ------------------------------------------------------------------ views
    @property
    def resident(self) -> list[int]:
        """Episodes in the pool now, by slot."""
        return [self.episodes[p] for p in self._slots if p is not None]

    def upcoming(self, k: int) -> list[int]:
        """The next ``k`` episodes to be admitted (after the ones resident)."""
        return self.episodes[self._queue : self._queue + k]

    def __len__(self) -> int:
        """Anchors left to emit."""
        return self.total - self.emitted

    def preview(self, steps: int) -> list[int]:
        """The episodes the next ``steps`` steps emit from, in the order each is first needed
        (the pool itself does not move)."""
        ahead = copy.deepcopy(self)
        out: list[int] = []
        for _ in range(steps):
            step = ahead.next()
            if step is None:
                break
            if step[0] not in out:
                out.append(step[0])
        return out

    # ------------------------------------------------------------------ stepping
    def _admit(self, slot: int) -> None:
        while self._queue < len(self.episodes):
            position = self._queue
            self._queue += 1
            count = self.counts[position]
            if count <= 0:
                continue
            self._slots[slot] = position
            self._orders[slot] = self._perm.permutation(count) if self.shuffle else None
            self._done[slot] = 0
            self._left[slot] = count
            self._weights.add(slot, count)
            self._left_total += count
            self.admitted.append(self.episodes[position])
            return
        self._slots[slot] = None

    def _uniform(self) -> float:
        if self._draw_at >= len(self._draws):
            self._draws = self._choice.random(_DRAW_BLOCK)
            self._draw_at = 0
        value = float(self._draws[self._draw_at])
        self._draw_at += 1
        return value

    def next(self) -> tuple[int, int] | None:
        """The next ``(episode, frame offset)``, or ``None`` when the share is exhausted."""
        self.admitted = []
        self.evicted = []
        if self._left_total == 0:
            return None
        if self.pool_size == 1:
            slot = 0
        else:
            slot = self._weights.find(int(self._uniform() * self._left_total))
        position = self._slots[slot]
        assert position is not None
        k = self._done[slot]
        order = self._orders[slot]
        offset = self.first[position] + (int(order[k]) if order is not None else k)
        self._done[slot] = k + 1
        self._left[slot] -= 1
        self._weights.add(slot, -1)
        self._left_total -= 1
        self.emitted += 1
        episode = self.episodes[position]
        if self._left[slot] == 0:
            self.evicted.append(episode)
            self._orders[slot] = None
            self._admit(slot)
        return episode, offset

    def skip(self, n: int) -> None:
        """Advance ``n`` steps without reporting them (a resume's fast-forward); afterwards
        :attr:`resident` is the pool as it was after those steps."""
        for _ in range(n):
            if self.next() is None:
                break
        self.admitted = []
        self.evicted = []


# ---------------------------------------------------------------------------------- resume
def worker_batches(
    batches_consumed: int, batches_per_worker: Sequence[float]
) -> tuple[list[int], int]:
    """How many batches each DataLoader worker had produced when ``batches_consumed`` batches
    had been taken, and the worker the rotation would have asked next.

    ``batches_per_worker[w]`` is what worker ``w`` yields in all (``math.inf`` for an endless
    stream, 0 for a worker with nothing). torch takes batches from the workers in turn,
    skipping a worker once it has run out; this replays that rotation in whole rounds.

    Raises:
        ValueError: when more batches were consumed than the workers yield together.
    """
    n = len(batches_per_worker)
    if n == 0:
        raise ValueError("no workers")
    done = [0] * n
    left = int(batches_consumed)
    if left < 0:
        raise ValueError(f"batches_consumed must be >= 0, got {batches_consumed}")
    position = 0  # where the rotation stands within the current round
    while left > 0:
        alive = [w for w in range(n) if done[w] < batches_per_worker[w]]
        if not alive:
            total = sum(batches_per_worker)
            raise ValueError(
                f"{batches_consumed} batches consumed, but the workers yield {total:g} in all"
            )
        if position == 0:
            room = min(batches_per_worker[w] - done[w] for w in alive)
            rounds = min(int(room) if room != math.inf else left, left // len(alive))
            if rounds > 0:
                for w in alive:
                    done[w] += rounds
                left -= rounds * len(alive)
                continue
        # one step of a partial round
        w = position
        if done[w] < batches_per_worker[w]:
            done[w] += 1
            left -= 1
        position = (position + 1) % n
    return done, position


def resumed_roles(next_worker: int, num_workers: int) -> list[int]:
    """The old worker whose place each new worker takes: new worker ``j`` plays old worker
    ``(next_worker + j) % num_workers`` (torch's rotation restarts at worker 0)."""
    return [(next_worker + j) % num_workers for j in range(num_workers)]


def batches_in(samples: float, batch_size: int, drop_last: bool) -> float:
    """Batches a worker yields from ``samples`` samples (``math.inf`` stays infinite)."""
    if samples == math.inf:
        return math.inf
    return samples // batch_size if drop_last else -(-int(samples) // batch_size)
