"""Recording by hand in simulation: ``lr record --robot.type=sim_so101 --teleop.type=keyboard_ee``
in a (pseudo-)terminal, as a person without an arm would. lr-robots finds lr-sim's robot
through the registry only."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("mujoco")
pytest.importorskip("lr_dataset")

from lr_dataset.dataset import LeRobotDataset

LR = [sys.executable, "-c", "import sys; from lr_core.cli import main; sys.exit(main())"]
UP = b"\x1b[A"


@pytest.mark.slow
def test_record_by_hand_in_simulation_with_the_keyboard(tmp_path):
    master, slave = os.openpty()
    root = tmp_path / "sim"
    proc = subprocess.Popen(
        [*LR, "record", "--robot.type=sim_so101", "--robot.use_degrees=true",
         '--robot.cameras={"front": {"camera": "front", "width": 64, "height": 48}}',
         "--teleop.type=keyboard_ee", "--teleop.backend=terminal",
         "--dataset.repo_id=me/sim_pick", f"--dataset.root={root}",
         "--dataset.single_task=push forward", "--dataset.num_episodes=1",
         "--dataset.episode_time_s=30", "--dataset.reset_time_s=0", "--dataset.fps=15",
         "--dataset.push_to_hub=false", "--dataset.no_stamp=true",
         "--dataset.rgb_encoder.vcodec=h264"],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    os.close(slave)
    output = b""

    def pump(seconds: float) -> None:
        nonlocal output
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready = select.select([proc.stdout.fileno(), master], [], [], 0.05)[0]
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    continue
                if fd != master:
                    output += data

    try:
        deadline = time.monotonic() + 120
        while b"Recording episode 0" not in output:
            assert time.monotonic() < deadline and proc.poll() is None, output.decode()[-3000:]
            pump(0.1)
        pump(0.5)
        for _ in range(40):  # hold the up arrow (a terminal's auto-repeat) for ~1.6 s
            os.write(master, UP)
            pump(0.04)
        pump(0.3)
        os.write(master, b"n")  # end the episode (the arrows belong to keyboard_ee)
        deadline = time.monotonic() + 60
        while proc.poll() is None:
            assert time.monotonic() < deadline, output.decode()[-3000:]
            pump(0.1)
        pump(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    text = output.decode(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert "n: end this phase" in text and "Right arrow" not in text.split("Keys:")[1][:200]
    ds = LeRobotDataset("me/sim_pick", root=root)
    assert ds.meta.robot_type == "sim_so101" and ds.meta.total_episodes == 1
    actions = ds.column("action", 0)
    assert 10 < len(actions) < 30 * 15  # ended by the key, long before 30 s
    # "up" moves the gripper forward: the shoulder lifts and the elbow opens as it reaches
    moved = np.abs(actions[-1] - actions[0])
    assert moved[1] > 1.0 or moved[2] > 1.0, (actions[0], actions[-1])
    frame = ds[len(ds) - 1]["observation.images.front"]
    assert tuple(frame.shape) == (3, 48, 64) and float(frame.std()) > 0.01  # a rendered scene
