"""The client side imports and runs without torch (the Raspberry Pi install)."""

from __future__ import annotations

import subprocess
import sys

from lr_core.lazy import export_problems


def test_server_package_exports_are_exact():
    assert export_problems("lr_inference.server") == []


def test_client_runs_against_a_server_without_importing_torch(fixed_cost_server):
    server = fixed_cost_server()
    code = f"""
import sys
import numpy as np
import lr_inference
from lr_inference import PolicyClient, RobotClient, RobotClientConfig, PolicyServer
from lr_core.features import FeatureSpec
from lr_core.messages import PolicySpec
names = ["a.pos", "b.pos"]
spec = PolicySpec(policy_type="", pretrained_name_or_path="x", actions_per_chunk=2, features={{
    "observation.state": FeatureSpec(dtype="float32", shape=(2,), names=names),
    "action": FeatureSpec(dtype="float32", shape=(2,), names=names)}})
with PolicyClient({server.address!r}, spec) as client:
    chunk = client.infer({{"a.pos": 1.0, "b.pos": 2.0}})
assert chunk.actions.shape == (2, 2), chunk.actions.shape
heavy = [m for m in ("torch", "torchvision", "lr_policies", "mujoco", "av") if m in sys.modules]
assert not heavy, heavy
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"


def test_lr_client_help_imports_no_torch():
    code = (
        "import sys\n"
        "from lr_core.cli import main\n"
        "try:\n"
        "    main(['client', '--robot.type=sim_so101', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'torch' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--actions_per_chunk" in result.stdout and "--aggregate_fn_name" in result.stdout
