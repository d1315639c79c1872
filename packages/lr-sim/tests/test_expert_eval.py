import pytest

from lr_sim.configs import MetaWorldEnvConfig, SO101EnvConfig
from lr_sim.expert_eval import main, wilson_interval


def test_wilson_interval():
    low, high = wilson_interval(100, 100)
    assert low == pytest.approx(0.963, abs=1e-3) and high == pytest.approx(1.0)
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.278, abs=1e-3)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_lr_sim_expert_reports_the_success_rate(capsys):
    assert main(["--env.type=so101", "--env.task=reach", "--episodes=3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("so101 reach: 3/3 (100%")


def test_task_sets_expand_to_one_config_per_task():
    configs = MetaWorldEnvConfig(task="MT10").expand()
    assert len(configs) == 10 and configs[0].task == "reach-v3"
    assert SO101EnvConfig(task="push").expand() == [SO101EnvConfig(task="push")]
