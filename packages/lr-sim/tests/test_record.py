import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_sim.configs import SO101EnvConfig
from lr_sim.record import DatasetTarget, SimRecordConfig, main, record

REPO = Path(__file__).resolve().parents[3]


def small_env(task: str = "reach") -> SO101EnvConfig:
    return SO101EnvConfig(task=task, cameras=["front"], image_height=32, image_width=48)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rec") / "reach"
    config = SimRecordConfig(
        env=small_env(),
        dataset=DatasetTarget(repo_id="lr/sim_reach", root=root),
        episodes=2,
        post_success_steps=3,
        progress=False,
    )
    summary = record(config)
    assert summary["episodes"] == 2 and summary["expert_success_rate"] == 1.0
    return root


def test_dataset_has_the_env_features_and_task(recorded):
    info = json.loads((recorded / "meta/info.json").read_text())
    assert info["total_episodes"] == 2 and info["total_tasks"] == 1
    assert info["robot_type"] == "sim_so101" and info["fps"] == 30
    features = info["features"]
    assert features["observation.images.front"]["dtype"] == "video"
    assert features["observation.images.front"]["shape"] == [32, 48, 3]
    assert features["observation.state"]["names"][0] == "shoulder_pan.pos"
    assert features["action"]["shape"] == [6]
    assert (recorded / "videos/observation.images.front/chunk-000/file-000.mp4").stat().st_size > 0


def test_frames_read_back(recorded):
    from lr_dataset.dataset import LeRobotDataset

    ds = LeRobotDataset("lr/sim_reach", root=recorded)
    assert ds.num_episodes == 2
    first, second = ds.get_raw_item(0), ds.get_raw_item(1)
    assert first["task"] == "Move the gripper to the blue target."
    assert first["observation.images.front"].shape == (3, 32, 48)
    # the expert moves: consecutive actions differ and stay within the normalised range
    assert not np.allclose(first["action"], second["action"])
    assert np.all(np.abs(first["action"][:5]) <= 100)


def test_cli_with_bare_expert_flag(tmp_path, capsys):
    root = tmp_path / "push"
    code = main(
        [
            "--env.type=so101",
            "--env.task=push",
            "--env.cameras=[]",
            "--episodes",
            "1",
            "--expert",
            "--progress=false",
            "--dataset.repo_id=lr/sim_push",
            f"--dataset.root={root}",
        ]
    )
    assert code == 0
    assert "wrote 1 episodes" in capsys.readouterr().out
    info = json.loads((root / "meta/info.json").read_text())
    assert info["total_episodes"] == 1 and "observation.images.front" not in info["features"]


def test_without_expert_is_a_clear_error(tmp_path):
    config = SimRecordConfig(
        env=small_env(),
        dataset=DatasetTarget(repo_id="lr/x", root=tmp_path / "x"),
        expert=False,
    )
    with pytest.raises(ConfigError, match="--expert"):
        record(config)


@pytest.mark.peer
def test_lerobot_reads_the_recorded_dataset(recorded):
    import importlib.util

    spec = importlib.util.spec_from_file_location("locate", REPO / "tools/peer/locate.py")
    locate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(locate)
    python = locate.peer_python("0.6.1")
    if python is None:
        pytest.skip(locate.INSTALL_HINT)
    code = (
        "import sys\n"
        "from lerobot.datasets.lerobot_dataset import LeRobotDataset\n"
        "ds = LeRobotDataset('lr/sim_reach', root=sys.argv[1])\n"
        "item = ds[1]\n"
        "print(ds.num_episodes, tuple(item['observation.images.front'].shape), item['task'])\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, str(recorded)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("2 (3, 32, 48) Move the gripper to the blue target.")


def test_a_task_set_records_every_task_with_its_own_task_string(tmp_path):
    from lr_dataset.dataset import LeRobotDataset
    from lr_sim.configs import MetaWorldEnvConfig

    root = tmp_path / "mw"
    summary = record(
        SimRecordConfig(
            env=MetaWorldEnvConfig(task="reach-v3,button-press-topdown-v3", cameras=[]),
            dataset=DatasetTarget(repo_id="lr/mw", root=root),
            episodes=1,
            post_success_steps=0,
            progress=False,
        )
    )
    assert summary["tasks"] == 2 and summary["episodes"] == 2
    info = json.loads((root / "meta/info.json").read_text())
    assert info["total_tasks"] == 2 and info["robot_type"] == "sawyer"
    ds = LeRobotDataset("lr/mw", root=root)
    tasks = {ds.get_raw_item(i)["task"] for i in (0, len(ds) - 1)}
    assert tasks == {"reach", "button press topdown"}


def _record_reach(root: Path, noise: float) -> np.ndarray:
    """States and actions of one reach episode as (frames, 12)."""
    from lr_dataset.dataset import LeRobotDataset

    record(
        SimRecordConfig(
            env=SO101EnvConfig(task="reach", cameras=[]),
            dataset=DatasetTarget(repo_id="lr/noise", root=root),
            episodes=1,
            post_success_steps=0,
            expert_noise=noise,
            progress=False,
        )
    )
    ds = LeRobotDataset("lr/noise", root=root)
    items = [ds.get_raw_item(i) for i in range(len(ds))]
    return np.stack([np.concatenate([i["observation.state"], i["action"]]) for i in items])


def test_expert_noise_perturbs_the_robot_not_the_recorded_actions(tmp_path):
    clean = _record_reach(tmp_path / "clean", 0.0)
    noisy = _record_reach(tmp_path / "noisy", 3.0)
    again = _record_reach(tmp_path / "again", 3.0)
    np.testing.assert_array_equal(noisy, again)  # reproducible from the seed
    # the first action is taken before any noise: the expert's own, in both runs
    np.testing.assert_array_equal(clean[0], noisy[0])
    # then the arm is pushed off the clean path ...
    n = min(len(clean), len(noisy))
    assert np.abs(noisy[1:n, :6] - clean[1:n, :6]).max() > 0.5
    # ... while the recorded actions stay the expert's smooth commands: noise of 3 units in
    # them would add step-to-step jumps of about 3·√2 units on top of the expert's own
    jumps = np.abs(np.diff(noisy[:, 6:11], axis=0)).mean()
    clean_jumps = np.abs(np.diff(clean[:, 6:11], axis=0)).mean()
    assert jumps < clean_jumps + 1.0, (jumps, clean_jumps)
