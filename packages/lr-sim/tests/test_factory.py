"""lr_sim.factory: the expert an env config names, and task sets expanded to one config each."""

from __future__ import annotations

from typing import ClassVar

import pytest

from lr_core.env import EnvConfig
from lr_core.errors import PluginError
from lr_sim.configs import SO101EnvConfig
from lr_sim.factory import EnvConfigSet, expand_env_configs, make_expert


class BareEnvConfig(EnvConfig):
    """A plugin env config with neither a task set nor a scripted expert."""

    type: str = "bare_test_env"


def test_a_config_without_expand_stands_for_itself():
    config = BareEnvConfig()
    assert not isinstance(config, EnvConfigSet)
    assert expand_env_configs(config) == [config]


def test_a_task_set_expands_through_its_expand():
    config = SO101EnvConfig()
    assert isinstance(config, EnvConfigSet)
    assert expand_env_configs(config) == [config]


def test_a_config_that_names_no_expert_is_a_plugin_error_naming_it():
    with pytest.raises(PluginError, match="BareEnvConfig names no scripted expert"):
        make_expert(BareEnvConfig(), env=None)


def test_the_named_expert_is_built_around_the_env():
    class WithExpert(BareEnvConfig):
        # any importable "module:Class" taking the env: list(env) shows what it was given
        expert: ClassVar[str] = "builtins:list"

    assert make_expert(WithExpert(), env=("the", "env")) == ["the", "env"]
