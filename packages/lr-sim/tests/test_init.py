import subprocess
import sys

import lr_sim
from lr_core.lazy import export_problems


def test_all_names_resolve():
    for name in lr_sim.__all__:
        assert getattr(lr_sim, name) is not None


def test_import_and_configs_do_not_load_mujoco_or_gymnasium():
    code = (
        "import sys, lr_sim\n"
        "lr_sim.SO101EnvConfig(); lr_sim.MetaWorldEnvConfig()\n"
        "from lr_sim.robot_config import SimSO101Config; SimSO101Config()\n"
        "import lr_sim.commands\n"
        "print(sorted(m for m in ('mujoco', 'gymnasium', 'metaworld', 'lr_dataset') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_exports_are_exact():
    assert export_problems("lr_sim") == []
