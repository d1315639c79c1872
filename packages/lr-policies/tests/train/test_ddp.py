"""DDP: two CPU processes (gloo) launched by torchrun train on disjoint shards, and their
averaged update equals one process training on the union of their batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from safetensors.torch import load_file

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import lr_test_policy
    from lr_core.config import parse_cli
    from lr_policies.train import TrainConfig, train

    class Recording(lr_test_policy.SyntheticDataset):
        seen = []
        def __getitem__(self, i):
            self.seen.append(int(i))
            return super().__getitem__(i)

    out, batch = sys.argv[1], sys.argv[2]
    cfg = parse_cli(TrainConfig, ["--policy.type=tiny", "--policy.dropout=0.0",
        "--dataset.repo_id=local/synthetic", f"--output_dir={out}", f"--batch_size={batch}",
        "--num_workers=0", "--log_freq=1", "--progress_bar=false", "--steps=5",
        "--optimizer.type=sgd", "--optimizer.lr=0.5"])
    data = Recording()
    last = train(cfg, dataset=data)
    rank = os.environ.get("RANK", "0")
    with open(os.path.join(out + "_seen", f"rank{rank}.json"), "w") as f:
        json.dump({"seen": data.seen, "last": str(last)}, f)
    """
)


def _env(site: Path) -> dict[str, str]:
    plugin = Path(__file__).parents[1] / "plugin"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(plugin), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    return env


def _run(site: Path, tmp_path: Path, name: str, batch: int, nproc: int) -> Path:
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    out = tmp_path / name
    (tmp_path / f"{name}_seen").mkdir()
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command = [*launcher, f"--nproc_per_node={nproc}", str(script), str(out), str(batch)]
    result = subprocess.run(
        command, capture_output=True, text=True, env=_env(site), timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return out


@pytest.mark.slow
def test_two_cpu_processes_shard_the_data_and_average_gradients(tiny_plugin_site, tmp_path):
    ddp = _run(tiny_plugin_site, tmp_path, "ddp", batch=3, nproc=2)
    seen = [json.loads((tmp_path / f"ddp_seen/rank{r}.json").read_text()) for r in (0, 1)]
    assert len(seen[0]["seen"]) == len(seen[1]["seen"]) == 15  # 5 steps x batch 3, each rank
    assert not set(seen[0]["seen"][:15]) & set(seen[1]["seen"][:15])  # disjoint in one epoch
    step = json.loads((ddp / "checkpoints/000005/training_state/training_step.json").read_text())
    assert step == {"step": 5, "num_processes": 2, "batch_size": 3}

    # One process with batch 6 draws exactly the union of the two ranks' batches per step;
    # with averaged gradients the weights match up to float summation order.
    single = _run(tiny_plugin_site, tmp_path, "single", batch=6, nproc=1)
    union = json.loads((tmp_path / "single_seen/rank0.json").read_text())["seen"]
    for k in range(5):
        ranks = seen[0]["seen"][3 * k : 3 * k + 3] + seen[1]["seen"][3 * k : 3 * k + 3]
        assert sorted(ranks) == sorted(union[6 * k : 6 * k + 6])
    a = load_file(ddp / "checkpoints/000005/pretrained_model/model.safetensors")
    b = load_file(single / "checkpoints/000005/pretrained_model/model.safetensors")
    assert a.keys() == b.keys()
    assert max((a[k] - b[k]).abs().max().item() for k in a) < 1e-5
    # ...and training did move the weights (the runs are not trivially equal).
    losses = [json.loads(line)["loss"] for line in (ddp / "metrics.jsonl").read_text().splitlines()]
    assert len(losses) == 5 and losses[-1] < losses[0]
