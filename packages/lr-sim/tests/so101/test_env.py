import numpy as np
import pytest

from lr_core.errors import FeatureError
from lr_sim.configs import SO101EnvConfig
from lr_sim.so101.env import ENV_STATE_NAMES, SO101Env, env_features


@pytest.fixture
def env():
    env = SO101Env(SO101EnvConfig(cameras=["front", "wrist"], image_height=24, image_width=32))
    yield env
    env.close()


def test_observation_keys_shapes_and_dtypes(env):
    obs, info = env.reset(seed=0)
    assert list(obs) == [
        "observation.state",
        "observation.images.front",
        "observation.images.wrist",
        "observation.environment_state",
    ]
    assert obs["observation.state"].shape == (6,) and obs["observation.state"].dtype == np.float32
    assert obs["observation.images.front"].shape == (24, 32, 3)
    assert obs["observation.images.front"].dtype == np.uint8
    assert obs["observation.images.front"].std() > 0  # a real picture, not a blank buffer
    assert obs["observation.environment_state"].shape == (len(ENV_STATE_NAMES),)
    assert info == {"is_success": False, "task": env.task_description}
    assert env.observation_space.contains(obs)


def test_features_describe_the_observations(env):
    obs, _ = env.reset(seed=0)
    features = env_features(env.config)
    for key, value in obs.items():
        assert features[key].shape == value.shape
    assert features["action"].names == features["observation.state"].names
    assert features["observation.images.front"].dtype == "video"


def test_seeded_resets_are_reproducible_and_randomised(env):
    a, _ = env.reset(seed=3)
    b, _ = env.reset(seed=3)
    c, _ = env.reset(seed=4)
    np.testing.assert_array_equal(
        a["observation.environment_state"], b["observation.environment_state"]
    )
    assert not np.allclose(
        a["observation.environment_state"][:2], c["observation.environment_state"][:2]
    )


def test_step_moves_the_arm_towards_the_action(env):
    obs, _ = env.reset(seed=0)
    action = obs["observation.state"].copy()
    action[0] += 20.0  # shoulder_pan 20 units towards +
    for _ in range(15):
        obs, reward, terminated, truncated, info = env.step(action)
    assert obs["observation.state"][0] == pytest.approx(action[0], abs=1.0)
    assert info["is_success"] is False and reward == 0.0
    assert not terminated and not truncated


def test_truncates_after_episode_length():
    env = SO101Env(SO101EnvConfig(cameras=[], episode_length=3))
    obs, _ = env.reset(seed=0)
    flags = [env.step(obs["observation.state"])[3] for _ in range(3)]
    assert flags == [False, False, True]


def test_bad_action_is_a_clear_error(env):
    env.reset(seed=0)
    with pytest.raises(FeatureError, match="6 finite values"):
        env.step(np.zeros(5))
    with pytest.raises(FeatureError):
        env.step(np.array([0, 0, np.nan, 0, 0, 0]))


def test_config_rejects_unknown_task_and_camera():
    with pytest.raises(ValueError, match="unknown so101 task"):
        SO101EnvConfig(task="fly")
    with pytest.raises(ValueError, match="unknown cameras"):
        SO101EnvConfig(cameras=["side"])


def test_render_returns_the_front_view(env):
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(env.render(), obs["observation.images.front"])
