"""ResumableSampler: deterministic epochs, exact resume, disjoint rank shards."""

from __future__ import annotations

from itertools import islice

import pytest

from lr_policies.train.sampler import ResumableSampler


def take(sampler, n):
    return list(islice(iter(sampler), n))


def test_epochs_are_permutations_and_deterministic():
    s = ResumableSampler(10, seed=3)
    stream = take(s, 30)
    for e in range(3):
        assert sorted(stream[e * 10 : (e + 1) * 10]) == list(range(10))
    assert stream[:10] != stream[10:20]
    assert take(ResumableSampler(10, seed=3), 30) == stream
    assert take(ResumableSampler(10, seed=4), 10) != stream[:10]
    assert take(ResumableSampler(10, shuffle=False), 12) == [*range(10), 0, 1]


@pytest.mark.parametrize("start", [0, 1, 9, 10, 17, 33])
def test_resume_continues_the_same_stream(start):
    full = take(ResumableSampler([5, 7, 9, 11, 13], seed=1), 60)
    assert (
        take(ResumableSampler([5, 7, 9, 11, 13], seed=1, start=start), 20)
        == full[start : start + 20]
    )


def test_ranks_get_disjoint_shards_covering_the_epoch():
    shards = [take(ResumableSampler(11, seed=0, rank=r, world_size=3), 4) for r in range(3)]
    assert all(len(s) == 4 for s in shards)
    union = [i for s in shards for i in s]
    assert set(union) == set(range(11))  # 12 slots: one index repeated to pad the epoch
    single = take(ResumableSampler(11, seed=0), 11)
    # Rank r takes every third index of the single-process order.
    assert shards[1][:3] == single[1::3][:3]


def test_bad_arguments():
    with pytest.raises(ValueError, match="no frames"):
        ResumableSampler([])
    with pytest.raises(ValueError, match="rank 2"):
        ResumableSampler(4, rank=2, world_size=2)
