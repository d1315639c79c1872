"""Exact resume: K batches, save the state, a new DataLoader (or a new process) continues as an
uninterrupted run would - with 0 and 2 workers, odd K (torch restarts its worker rotation at
worker 0, so the new workers must take over the old ones' roles), several ranks, and across
epochs of a repeated stream."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from itertools import islice

import pytest
import torch

from lr_core.errors import ConfigError
from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset

BATCH = 4


def make(root, **kwargs):
    return StreamingLeRobotDataset("t/x", root=root, episode_pool_size=2, seed=7, **kwargs)


def batches(stream, num_workers, limit=None):
    loader = torch.utils.data.DataLoader(stream, batch_size=BATCH, num_workers=num_workers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [b["index"].tolist() for b in islice(loader, limit)]


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("consumed", [1, 7, 33])
def test_resume_within_an_epoch_continues_the_uninterrupted_run(rollover, num_workers, consumed):
    full = batches(make(rollover), num_workers)
    assert len(full) > consumed
    state = make(rollover).state_dict(consumed, BATCH, num_workers)
    resumed = make(rollover)
    resumed.load_state_dict(json.loads(json.dumps(state)))
    assert batches(resumed, num_workers) == full[consumed:]


@pytest.mark.parametrize("rank", [0, 1])
def test_every_rank_resumes_from_the_same_state(rollover, rank):
    full = batches(make(rollover, rank=rank, world_size=2), 2)
    state = make(rollover, rank=0, world_size=2).state_dict(5, BATCH, 2)
    resumed = make(rollover, rank=rank, world_size=2)
    resumed.load_state_dict(state)
    assert batches(resumed, 2) == full[5:]


def test_resume_a_repeated_stream_past_an_epoch(rollover):
    full = batches(make(rollover, repeat=True), 2, limit=60)
    state = make(rollover, repeat=True).state_dict(41, BATCH, 2)
    resumed = make(rollover, repeat=True)
    resumed.load_state_dict(state)
    assert batches(resumed, 2, limit=19) == full[41:]


@pytest.mark.slow
def test_resume_in_a_new_process(rollover, tmp_path):
    full = batches(make(rollover), 2)
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(make(rollover).state_dict(9, BATCH, 2)))
    script = f"""
import json, sys, warnings
import torch
from lr_dataset.streaming.torch_dataset import StreamingLeRobotDataset
warnings.simplefilter("ignore")
ds = StreamingLeRobotDataset("t/x", root={str(rollover)!r}, episode_pool_size=2, seed=7)
ds.load_state_dict(json.loads(open({str(state_file)!r}).read()))
loader = torch.utils.data.DataLoader(ds, batch_size={BATCH}, num_workers=2)
print(json.dumps([b["index"].tolist() for b in loader]))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == full[9:]


def test_a_state_for_another_stream_is_refused(rollover):
    state = make(rollover).state_dict(3, BATCH, 2)
    other = StreamingLeRobotDataset("t/x", root=rollover, episode_pool_size=2, seed=8)
    with pytest.raises(ConfigError, match="seed: saved 7, now 8"):
        other.load_state_dict(state)
    fewer = make(rollover, episodes=[0, 1, 2])
    with pytest.raises(ConfigError, match="episodes_digest"):
        fewer.load_state_dict(state)
    with pytest.raises(ConfigError, match="not a streaming state"):
        make(rollover).load_state_dict({"batches_consumed": 3})


def test_other_worker_count_is_refused(rollover):
    class SecondOfTwoWorkers(StreamingLeRobotDataset):
        def worker(self):  # what torch's worker info says in worker 1 of 2
            return 1, 2

    resumed = SecondOfTwoWorkers("t/x", root=rollover, episode_pool_size=2, seed=7)
    resumed.load_state_dict(make(rollover).state_dict(3, BATCH, 0))
    # (a DataLoader would re-raise this from its worker, then take 10 s to shut down)
    with pytest.raises(ConfigError, match="num_workers=0 but this DataLoader has 2"):
        iter(resumed)


def test_more_batches_than_the_epoch_is_refused(rollover):
    resumed = make(rollover)
    resumed.load_state_dict(make(rollover).state_dict(500, BATCH, 0))
    with pytest.raises(ConfigError, match="cannot resume"):
        iter(resumed)


def test_state_is_json_and_names_the_position(rollover):
    state = make(rollover).state_dict(3, BATCH, 2)
    assert json.loads(json.dumps(state)) == state
    assert state["batches_consumed"] == 3 and state["epoch"] == 0 and state["num_workers"] == 2
