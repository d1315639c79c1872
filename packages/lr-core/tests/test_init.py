"""``import lr_core`` is cheap, and its public names are exactly ``__all__``."""

from __future__ import annotations

import subprocess
import sys

import lr_core
from lr_core.lazy import export_problems


def test_every_public_name_resolves():
    for name in lr_core.__all__:
        assert getattr(lr_core, name) is not None


def test_all_is_exact_and_sorted():
    assert lr_core.__all__ == sorted(lr_core.__all__)
    assert set(dir(lr_core)) == set(lr_core.__all__)


def test_import_pulls_in_nothing_heavy():
    code = (
        "import sys, lr_core; "
        "print(sorted(m for m in ('numpy', 'pydantic', 'torch', 'pydantic_settings') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_contracts_import_without_torch():
    code = (
        "import sys; from lr_core import Robot, Teleoperator, Camera, MotorsBus, Policy, "
        "PolicyConfig, EnvConfig, encode, parse_cli; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_exports_are_exact():
    assert export_problems("lr_core") == []
