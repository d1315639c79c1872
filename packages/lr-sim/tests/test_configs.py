import functools

import numpy as np
import pytest

from lr_core.config import LrConfig, parse_cli
from lr_core.env import EnvConfig
from lr_sim.configs import MetaWorldEnvConfig, SO101EnvConfig
from lr_sim.factory import env_features, make_env


class RunConfig(LrConfig):
    env: EnvConfig = SO101EnvConfig()


def test_envs_are_registered_in_lr_envs():
    assert {"so101", "metaworld"} <= set(EnvConfig.available_types())
    assert EnvConfig.for_type("so101") is SO101EnvConfig
    assert EnvConfig.for_type("metaworld") is MetaWorldEnvConfig


def test_cli_flags_select_and_configure_the_env():
    config = parse_cli(RunConfig, ["--env.type=so101", "--env.task=push", "--env.cameras=[]"])
    assert isinstance(config.env, SO101EnvConfig)
    assert config.env.task == "push" and config.env.cameras == []
    config = parse_cli(RunConfig, ["--env.type=metaworld", "--env.task=reach-v3"])
    assert isinstance(config.env, MetaWorldEnvConfig) and config.env.task == "reach-v3"


def test_make_env_builds_through_the_config_implementation():
    config = SO101EnvConfig(task="reach", cameras=["front"], image_height=16, image_width=16)
    env = make_env(config)
    try:
        obs, info = env.reset(seed=0)
        assert set(obs) == set(env_features(config)) - {"action"}
        _, _, _, _, info = env.step(np.zeros(6, dtype=np.float32))
        assert isinstance(info["is_success"], bool)
    finally:
        env.close()


def test_features_without_building_the_env():
    features = env_features(MetaWorldEnvConfig(cameras=["corner2"]))
    assert features["observation.images.corner2"].shape == (224, 224, 3)
    assert features["action"].shape == (4,)


def test_vector_envs_batch_the_observations():
    import gymnasium as gym

    config = SO101EnvConfig(task="push", cameras=["front"], image_height=16, image_width=16)
    venv = gym.vector.SyncVectorEnv([lambda: make_env(config) for _ in range(2)])
    try:
        obs, _ = venv.reset(seed=[0, 1])
        assert obs["observation.images.front"].shape == (2, 16, 16, 3)
        assert obs["observation.state"].shape == (2, 6)
        _, _, _, _, info = venv.step(obs["observation.state"])
        assert info["is_success"].shape == (2,)
    finally:
        venv.close()


@pytest.mark.slow
def test_async_vector_envs_render_in_their_workers():
    import gymnasium as gym

    config = SO101EnvConfig(task="reach", cameras=["front"], image_height=16, image_width=16)
    fns = [functools.partial(make_env, config) for _ in range(2)]
    venv = gym.vector.AsyncVectorEnv(fns, context="forkserver")
    try:
        obs, _ = venv.reset(seed=[0, 1])
        assert obs["observation.images.front"].shape == (2, 16, 16, 3)
        assert obs["observation.images.front"].std() > 0
        _, _, _, _, info = venv.step(obs["observation.state"])
        assert info["is_success"].shape == (2,)
    finally:
        venv.close()
