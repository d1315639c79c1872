import pytest

from lr_sim.configs import SO101EnvConfig
from lr_sim.so101.env import SO101Env
from lr_sim.so101.expert import SO101Expert, rollout

TASKS = ["reach", "pick-and-place", "push"]


def success_rate(task: str, seeds: range) -> float:
    env = SO101Env(SO101EnvConfig(task=task, cameras=[]))
    try:
        return sum(rollout(env, seed)[0] for seed in seeds) / len(seeds)
    finally:
        env.close()


@pytest.mark.parametrize("task", TASKS)
def test_expert_succeeds_on_at_least_95_percent_of_20_seeds(task):
    assert success_rate(task, range(20)) >= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_expert_succeeds_on_at_least_95_percent_of_100_seeds(task):
    assert success_rate(task, range(1000, 1100)) >= 0.95


def test_expert_actions_are_in_the_action_space():
    env = SO101Env(SO101EnvConfig(task="pick-and-place", cameras=[]))
    expert = SO101Expert(env)
    env.reset(seed=1)
    for _ in range(40):
        action = expert.act()
        assert env.action_space.contains(action)
        env.step(action)
    assert expert.phase != "approach"  # it got past the first waypoint


def test_expert_works_in_degrees_mode():
    env = SO101Env(SO101EnvConfig(task="pick-and-place", cameras=[], use_degrees=True))
    try:
        success, _ = rollout(env, seed=7)
        assert success
    finally:
        env.close()
