"""The packages import cheaply and their public names are exact."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lr_core.lazy import export_problems

PACKAGES = [
    "lr_robots",
    "lr_robots.robots.bi_so_follower",
    "lr_robots.robots.hope_jr",
    "lr_robots.robots.koch_follower",
    "lr_robots.robots.lekiwi",
    "lr_robots.robots.omx_follower",
    "lr_robots.robots.so_follower",
    "lr_robots.teleoperators.bi_so_leader",
    "lr_robots.teleoperators.homunculus",
    "lr_robots.teleoperators.koch_leader",
    "lr_robots.teleoperators.lekiwi_leader",
    "lr_robots.teleoperators.omx_leader",
    "lr_robots.teleoperators.so_leader",
    "lr_robots.record",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_exports_are_exact(package):
    assert export_problems(package) == []


def test_importing_a_robot_config_loads_no_bus_torch_or_dataset():
    code = (
        "import sys; from lr_robots.robots.so_follower import SO101FollowerConfig; "
        "SO101FollowerConfig(port='x'); "
        "bad = [m for m in ('torch', 'serial', 'lr_dataset', 'lr_motors.feetech.bus') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_record_config_loads_no_dataset_torch_or_rerun():
    code = (
        "import sys; from lr_robots.record import RecordConfig; "
        "RecordConfig.model_json_schema(); "
        "bad = [m for m in ('torch', 'lr_dataset', 'lr_policies', 'rerun', 'av') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
