"""Build environments from their configs (the contract ``lr eval`` and recorders use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

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
    implementation = type(config).implementation
    if not implementation:
        raise PluginError(f"{type(config).__name__} does not name an env factory")
    factory = load_object(implementation)
    return factory(config)


@runtime_checkable
class EnvConfigSet(Protocol):
    """An env config that stands for several (a task set): ``expand()`` gives one per task."""

    def expand(self) -> Sequence[EnvConfig]: ...


def expand_env_configs(config: EnvConfig) -> list[EnvConfig]:
    """The env configs ``config`` stands for: a task set (Meta-World's ``MT10``) gives one per
    task through its ``expand()``; a config without ``expand`` is itself."""
    if isinstance(config, EnvConfigSet):
        return list(config.expand())
    return [config]


def make_expert(config: EnvConfig, env: Any) -> Any:
    """The scripted expert of ``env`` (``reset()`` and ``act()``), built by the class the config
    names in its ``expert`` class variable (``"lr_sim.so101.expert:SO101Expert"``).

    Raises :class:`~lr_core.errors.PluginError` for an env config that names no expert."""
    path = getattr(type(config), "expert", None)
    if not isinstance(path, str) or not path:
        raise PluginError(
            f"{type(config).__name__} names no scripted expert (an `expert` class variable "
            '"module:Class"); lr sim expert and lr sim record need one'
        )
    return load_object(path)(env)


def env_features(config: EnvConfig) -> dict[str, FeatureSpec]:
    """The dataset features (observations and ``action``) of the env ``config`` describes,
    without building it: what a recorder or trainer needs to know."""
    module, _, _ = (type(config).implementation or "").partition(":")
    if not module:
        raise PluginError(f"{type(config).__name__} does not name an env factory")
    return load_object(f"{module}:env_features")(config)
