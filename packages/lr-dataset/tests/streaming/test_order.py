"""The streaming order is a pure function of (seed, epoch, rank, worker) and covers each anchor
exactly once per epoch; the resume arithmetic replays torch's worker rotation."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from lr_dataset.streaming.order import (
    EpisodePool,
    assign_shares,
    batches_in,
    consumer_seed,
    resumed_roles,
    worker_batches,
)

COUNTS = [7, 3, 12, 1, 9, 5, 5, 20, 2, 6, 11]


def epoch_stream(counts, *, world, workers, pool, seed=0, epoch=0, shuffle=True):
    """Every consumer's (episode, offset) sequence for one epoch."""
    shares = assign_shares(counts, world * workers, seed=seed, epoch=epoch, shuffle=shuffle)
    out = {}
    for rank in range(world):
        for worker in range(workers):
            share = shares[rank * workers + worker]
            p = EpisodePool(
                share,
                [counts[e] for e in share],
                pool,
                consumer_seed(seed, epoch, rank, worker),
                shuffle=shuffle,
            )
            seq = []
            while (step := p.next()) is not None:
                seq.append(step)
            out[(rank, worker)] = seq
    return out


@pytest.mark.parametrize("pool", [1, 2, 4, 64])
@pytest.mark.parametrize("world,workers", [(1, 1), (1, 3), (2, 2), (3, 1), (4, 4)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_every_anchor_exactly_once_per_epoch(pool, world, workers, shuffle):
    streams = epoch_stream(COUNTS, world=world, workers=workers, pool=pool, shuffle=shuffle)
    seen = Counter(step for seq in streams.values() for step in seq)
    expected = {(e, k) for e, n in enumerate(COUNTS) for k in range(n)}
    assert set(seen) == expected and set(seen.values()) == {1}


def test_shares_are_disjoint_and_balanced_by_frames():
    counts = np.random.default_rng(3).integers(50, 400, size=200)
    for consumers in (1, 2, 7, 16):
        shares = assign_shares(counts, consumers, seed=1, epoch=2, shuffle=True)
        flat = np.concatenate(shares)
        assert sorted(flat.tolist()) == list(range(200))
        loads = [int(counts[s].sum()) for s in shares]
        assert max(loads) - min(loads) <= counts.max()


def test_episodes_without_anchors_are_left_out():
    shares = assign_shares([3, 0, 2], 2, seed=0, epoch=0, shuffle=True)
    assert sorted(np.concatenate(shares).tolist()) == [0, 2]


def test_same_seed_same_order_new_epoch_new_order_other_seed_other_order():
    a = epoch_stream(COUNTS, world=2, workers=2, pool=4, seed=5, epoch=0)
    assert a == epoch_stream(COUNTS, world=2, workers=2, pool=4, seed=5, epoch=0)
    assert a != epoch_stream(COUNTS, world=2, workers=2, pool=4, seed=5, epoch=1)
    assert a != epoch_stream(COUNTS, world=2, workers=2, pool=4, seed=6, epoch=0)


def test_consumers_are_decorrelated():
    # two consumers given the same share draw different orders
    share, counts = [0, 1, 2], [30, 30, 30]
    orders = []
    for worker in (0, 1):
        p = EpisodePool(share, counts, 3, consumer_seed(0, 0, 0, worker))
        orders.append([p.next() for _ in range(90)])
    assert orders[0] != orders[1]


def test_pool_holds_at_most_pool_size_whole_episodes():
    counts = [5] * 12
    p = EpisodePool(list(range(12)), counts, 3, consumer_seed(0, 0, 0, 0))
    resident = set(p.resident)
    assert resident == {0, 1, 2}
    while (step := p.next()) is not None:
        assert step[0] in resident
        resident -= set(p.evicted)
        resident |= set(p.admitted)
        assert set(p.resident) == resident and len(resident) <= 3
    assert not p.resident


def test_without_shuffle_frames_come_in_order():
    streams = epoch_stream([3, 2, 4], world=1, workers=1, pool=8, shuffle=False)
    assert streams[(0, 0)] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
        (2, 2),
        (2, 3),
    ]


def test_first_offsets_shift_the_anchors():
    p = EpisodePool([4], [3], 1, consumer_seed(0, 0, 0, 0), shuffle=False, first=[2])
    assert [p.next() for _ in range(3)] == [(4, 2), (4, 3), (4, 4)] and p.next() is None


def test_skip_leaves_the_pool_where_stepping_would():
    counts = [9, 4, 7, 3, 8]
    for n in (0, 1, 5, 17, 31):
        a = EpisodePool(list(range(5)), counts, 2, consumer_seed(1, 0, 0, 0))
        b = EpisodePool(list(range(5)), counts, 2, consumer_seed(1, 0, 0, 0))
        for _ in range(n):
            a.next()
        b.skip(n)
        assert a.resident == b.resident
        assert [a.next() for _ in range(31 - n)] == [b.next() for _ in range(31 - n)]


def test_negative_seed_is_refused():
    with pytest.raises(ValueError, match="seed"):
        consumer_seed(-1, 0, 0, 0)


# ---------------------------------------------------------------------------------- resume
def brute_rotation(batches_consumed, per_worker):
    """torch's rotation, one batch at a time."""
    done = [0] * len(per_worker)
    w = 0
    taken = 0
    while taken < batches_consumed:
        if done[w] < per_worker[w]:
            done[w] += 1
            taken += 1
        w = (w + 1) % len(per_worker)
        if all(d >= p for d, p in zip(done, per_worker)) and taken < batches_consumed:
            raise ValueError("too many")
    return done, w


def next_alive(start, done, per_worker):
    for k in range(len(per_worker)):
        w = (start + k) % len(per_worker)
        if done[w] < per_worker[w]:
            return w
    return None


@pytest.mark.parametrize(
    "per_worker",
    [
        [5],
        [3, 3],
        [4, 1, 6],
        [0, 2, 2],
        [math.inf, math.inf],
        [math.inf, 0, math.inf],
        [2, 9, 0, 4],
    ],
)
def test_worker_batches_matches_the_rotation(per_worker):
    finite = sum(per_worker) if math.inf not in per_worker else 40
    for consumed in range(int(finite) + 1):
        done, nxt = worker_batches(consumed, per_worker)
        b_done, b_next = brute_rotation(consumed, per_worker)
        assert done == b_done, consumed

        # the next worker with batches left is the same in both
        assert next_alive(nxt, done, per_worker) == next_alive(b_next, done, per_worker)


def test_worker_batches_refuses_more_than_the_epoch():
    with pytest.raises(ValueError, match="yield 5 in all"):
        worker_batches(6, [2, 3])


def test_roles_rotate():
    assert resumed_roles(1, 2) == [1, 0] and resumed_roles(0, 3) == [0, 1, 2]


def test_batches_in():
    assert batches_in(10, 4, False) == 3 and batches_in(10, 4, True) == 2
    assert batches_in(math.inf, 4, False) == math.inf


def test_preview_lists_episodes_in_the_order_they_are_first_needed():
    p = EpisodePool(list(range(6)), [4] * 6, 3, consumer_seed(0, 0, 0, 0))
    ahead = p.preview(10)
    steps = [p.next() for _ in range(10)]
    firsts = []
    for episode, _ in steps:
        if episode not in firsts:
            firsts.append(episode)
    assert ahead == firsts and p.emitted == 10


def test_numpy_random_is_loaded_with_the_order_module():
    """Forked DataLoader workers inherit it instead of each importing it for its first pool."""
    import subprocess
    import sys

    code = "import sys, lr_dataset.streaming.order; print('numpy.random' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
