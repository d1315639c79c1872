"""Build environments from their configs (the contract ``lr eval`` and recorders use)."""

from __future__ import annotations

from typing import Any

from lr_core.env import EnvConfig
from lr_core.errors import PluginError
from lr_core.features import FeatureSpec
from lr_core.registry import load_object


def make_env(config: EnvConfig) -> Any:
    """A ``gymnasium.Env`` for ``config``, built by the factory its class names in
    ``implementation`` (``"lr_sim.so101.env:make_env"``).

    Observations are dicts of numpy arrays keyed ``observation.state``,
    ``observation.images.<cam>``, ``observation.environment_state``; ``info["is_success"]`` is a
    bool on every step.
    """
    if not type(config).implementation:
        raise PluginError(f"{type(config).__name__} does not name an env factory")
    factory = load_object(type(config).implementation)
    return factory(config)


def env_features(config: EnvConfig) -> dict[str, FeatureSpec]:
    """The dataset features (observations and ``action``) of the env ``config`` describes,
    without building it: what a recorder or trainer needs to know."""
    module, _, _ = (type(config).implementation or "").partition(":")
    if not module:
        raise PluginError(f"{type(config).__name__} does not name an env factory")
    return load_object(f"{module}:env_features")(config)
