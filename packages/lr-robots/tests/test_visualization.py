"""``--display_data=true``: observations, actions and camera frames streamed to rerun, read back
from the ``.rrd`` recording rerun itself writes."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

rr_chunk = pytest.importorskip("rerun.chunk")


def read_rrd(path: Path) -> dict[str, dict[str, list]]:
    """``{entity: {column: values}}`` of every chunk in a rerun recording."""
    out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for chunk in rr_chunk.RrdReader(str(path)).store().stream():
        batch = chunk.to_record_batch()
        for name in batch.schema.names:
            if name in ("log_time", "rerun.controls.RowId") or ":start_time" in name:
                continue  # nanosecond times and ids: not what these tests look at
            out[chunk.entity_path][name].extend(batch.column(name).to_pylist())
    return out


def test_a_step_logs_scalars_actions_and_images_with_lerobots_paths(tmp_path):
    from lr_robots.visualization import RerunDisplay

    display = RerunDisplay("unit", save_path=tmp_path / "v.rrd")
    for i in range(3):
        display.set_frame(0, i)
        display.log(
            {"shoulder_pan.pos": float(i), "front": np.full((4, 6, 3), 9, np.uint8)},
            {"shoulder_pan.pos": 2.0 * i},
        )
    display.close()
    data = read_rrd(tmp_path / "v.rrd")
    assert data["/observation.shoulder_pan.pos"]["Scalars:scalars"] == [[0.0], [1.0], [2.0]]
    assert data["/action.shoulder_pan.pos"]["Scalars:scalars"] == [[0.0], [2.0], [4.0]]
    assert data["/action.shoulder_pan.pos"]["frame_index"] == [0, 1, 2]
    image = data["/observation.front"]
    assert len(image["Image:buffer"]) == 3 and set(image["Image:buffer"][0][0]) == {9}
    assert image["Image:format"][0][0]["width"] == 6


@pytest.mark.slow
def test_lr_record_streams_each_frame_of_each_episode(run_lr, calibrated_so101, tmp_path,
                                                      record_args):  # fmt: skip
    follower, leader = calibrated_so101
    rrd = tmp_path / "session.rrd"
    proc = run_lr(*record_args(follower, leader, tmp_path / "pick", "--display_data=true",
                               f"--display_save={rrd}"))  # fmt: skip
    assert proc.wait(timeout=120) == 0, proc.text
    data = read_rrd(rrd)
    frames = [int(proc.text.split(f"Episode {ep} done: ")[1].split()[0]) for ep in (0, 1)]
    camera = data["/observation.front"]
    episode_of_frame = camera["episode_index"]  # only the recorded frames carry it
    assert episode_of_frame == [0] * frames[0] + [1] * frames[1]  # recorded frames, in order
    assert len(camera["Image:buffer"]) > sum(frames)  # and the reset phase, off the timelines
    assert camera["Image:format"][0][0]["width"] == 64
    elbow = [v[0] for v in data["/action.elbow_flex.pos"]["Scalars:scalars"]]
    assert len(elbow) == len(camera["Image:buffer"])
    assert {"/observation.gripper.pos", "/action.gripper.pos"} <= set(data)


def test_lr_teleoperate_streams_to_rerun(run_lr, calibrated_so101, tmp_path):
    follower, leader = calibrated_so101
    rrd = tmp_path / "teleop.rrd"
    proc = run_lr(
        "teleoperate", "--robot.type=so101_follower", f"--robot.port={follower.port}",
        "--robot.id=black", "--teleop.type=so101_leader", f"--teleop.port={leader.port}",
        "--teleop.id=blue", "--fps=30", "--teleop_time_s=1", "--display_data=true",
        f"--display_save={rrd}",
    )  # fmt: skip
    assert proc.wait(timeout=60) == 0, proc.text
    data = read_rrd(rrd)
    steps = int(proc.text.split("target: ")[1].split()[0])
    assert len(data["/action.shoulder_pan.pos"]["Scalars:scalars"]) == steps
    assert len(data["/observation.wrist_roll.pos"]["Scalars:scalars"]) == steps
