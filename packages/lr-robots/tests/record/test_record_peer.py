"""A dataset recorded by ``lr record`` (emulated SO-101, synthetic camera, lr's default AV1)
loads in LeRobot 0.6.1 with the same values and frames as in lr, before and after ``--resume``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

LeRobotDataset = pytest.importorskip("lr_dataset.dataset").LeRobotDataset

pytestmark = pytest.mark.peer

REPO = Path(__file__).resolve().parents[4]
_spec = importlib.util.spec_from_file_location("peer_locate", REPO / "tools/peer/locate.py")
assert _spec and _spec.loader
locate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(locate)

PEER_READ = r"""
import json, sys
import numpy as np
from lerobot.datasets.lerobot_dataset import LeRobotDataset
ds = LeRobotDataset("me/pick", root=sys.argv[1], video_backend="pyav")
arrays = {}
for i in range(len(ds)):
    for key, value in ds[i].items():
        if hasattr(value, "numpy"):
            arrays[f"{i}/{key}"] = value.numpy()
np.savez_compressed(sys.argv[2], **arrays)
meta = ds.meta
print("RESULT " + json.dumps({"len": len(ds), "episodes": meta.total_episodes,
      "robot_type": meta.robot_type, "fps": meta.fps, "tasks": list(meta.tasks.index),
      "task0": ds[0]["task"]}))
"""


def peer_read(python: Path, root: Path, out: Path) -> dict:
    result = subprocess.run([str(python), "-c", PEER_READ, str(root), str(out)],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.split("RESULT ", 1)[1])


def test_lerobot_reads_what_lr_record_wrote(run_lr, calibrated_so101, tmp_path, record_args):
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    follower, leader = calibrated_so101
    leader.move("elbow_flex", 2300)
    root = tmp_path / "pick"
    args = [a for a in record_args(follower, leader, root) if "vcodec" not in a]  # AV1
    assert run_lr(*args).wait(timeout=120) == 0
    resumed = run_lr(*args, "--resume=true", "--dataset.num_episodes=1")
    assert resumed.wait(timeout=120) == 0, resumed.text
    info = peer_read(python, root, tmp_path / "peer.npz")
    ours = LeRobotDataset("me/pick", root=root)
    assert info["len"] == len(ours) and info["episodes"] == 3
    assert info["robot_type"] == "so_follower" and info["fps"] == 30
    assert info["tasks"] == ["pick it"] and info["task0"] == "pick it"
    theirs = np.load(tmp_path / "peer.npz")
    for i in range(len(ours)):
        item = ours[i]
        for key in ("observation.state", "action", "observation.images.front", "timestamp",
                    "frame_index", "episode_index", "index", "task_index"):  # fmt: skip
            np.testing.assert_allclose(
                np.asarray(item[key]), theirs[f"{i}/{key}"], atol=1e-6, err_msg=f"{i} {key}"
            )
