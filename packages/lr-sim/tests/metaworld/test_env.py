import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_sim.configs import MetaWorldEnvConfig
from lr_sim.metaworld.env import MetaWorldEnv, MetaWorldExpert, env_features, task_names

pytestmark = pytest.mark.filterwarnings("ignore:Constant\\(s\\) may be too high")


@pytest.fixture(scope="module")
def env():
    config = MetaWorldEnvConfig(
        task="pick-place-v3", cameras=["corner2", "gripperPOV"], image_height=32, image_width=32
    )
    env = MetaWorldEnv(config)
    yield env
    env.close()


def test_observations_use_lerobot_keys(env):
    obs, info = env.reset(seed=0)
    assert list(obs) == [
        "observation.state",
        "observation.images.corner2",
        "observation.images.gripperPOV",
        "observation.environment_state",
    ]
    assert obs["observation.state"].shape == (4,) and obs["observation.state"].dtype == np.float32
    assert obs["observation.images.corner2"].shape == (32, 32, 3)
    assert info["is_success"] is False
    features = env_features(env.config)
    for key, value in obs.items():
        assert features[key].shape == value.shape
    assert env.observation_space.contains(obs)


def test_corner2_is_flipped_upright(env):
    env.reset(seed=0)
    raw = env._renderer.render(env.mw_env.data, "corner2")
    ours = env._camera("corner2")
    np.testing.assert_array_equal(ours, raw[::-1, ::-1])


def test_seeded_resets_randomise_the_objects(env):
    a, _ = env.reset(seed=1)
    b, _ = env.reset(seed=1)
    c, _ = env.reset(seed=2)
    key = "observation.environment_state"
    np.testing.assert_array_equal(a[key], b[key])
    assert not np.allclose(a[key], c[key])


def test_scripted_policy_succeeds(env):
    expert = MetaWorldExpert(env)
    for seed in range(3):
        env.reset(seed=seed)
        for _ in range(200):
            _, _, terminated, truncated, info = env.step(expert.act())
            if terminated or truncated:
                break
        assert info["is_success"] and terminated


def test_task_sets():
    assert len(task_names("MT10")) == 10
    assert len(task_names("MT50")) == 50
    assert "pick-place-v3" in task_names("MT10")
    assert task_names("reach-v3, push-v3") == ["reach-v3", "push-v3"]
    with pytest.raises(ConfigError, match="unknown Meta-World task"):
        task_names("pick-place-v2")


def test_an_env_runs_one_task():
    with pytest.raises(ConfigError, match="one task"):
        MetaWorldEnv(MetaWorldEnvConfig(task="MT10"))
