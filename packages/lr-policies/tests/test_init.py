"""Importing the package, its sub-packages and its commands stays cheap: no torch until used
(``lr --help`` loads every command module)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lr_core.lazy import export_problems


def test_imports_do_not_load_torch():
    code = (
        "import sys, lr_policies, lr_policies.train, lr_policies.eval, lr_policies.processors, "
        "lr_policies.commands, lr_policies.train.config, lr_policies.eval.config, "
        "lr_policies.optim, lr_policies.act.config, lr_policies.diffusion.config, "
        "lr_policies.smolvla, lr_policies.smolvla.config, lr_policies.pi0.config, "
        "lr_policies.pi05.config, lr_policies.rtc, lr_policies.rtc.config\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names():
    import lr_policies

    assert set(lr_policies.__all__) == {
        "CheckpointError",
        "PolicyError",
        "PreTrainedPolicy",
        "__version__",
        "make_policy",
    }
    assert lr_policies.make_policy.__module__ == "lr_policies.pretrained"


@pytest.mark.parametrize(
    "package",
    [
        "lr_policies",
        "lr_policies.train",
        "lr_policies.eval",
        "lr_policies.processors",
        "lr_policies.smolvla",
        "lr_policies.pi0",
        "lr_policies.pi05",
        "lr_policies.rtc",
    ],
)
def test_exports_are_exact(package):
    assert export_problems(package) == []
