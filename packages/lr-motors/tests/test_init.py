from __future__ import annotations

import subprocess
import sys

import lr_motors
from lr_core.lazy import export_problems


def test_every_public_name_resolves():
    for name in lr_motors.__all__:
        assert getattr(lr_motors, name) is not None


def test_all_is_exact_and_sorted():
    assert lr_motors.__all__ == sorted(lr_motors.__all__)
    assert set(dir(lr_motors)) == set(lr_motors.__all__)


def test_import_is_cheap_and_torch_free():
    code = (
        "import sys, lr_motors, lr_motors.commands; from lr_motors import FeetechMotorsBus, "
        "DynamixelMotorsBus, ServoEmulator; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = (
        "import sys, lr_motors, lr_motors.commands; "
        "print(sorted(m for m in ('serial', 'dynamixel_sdk', 'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_exports_are_exact():
    assert export_problems("lr_motors") == []
