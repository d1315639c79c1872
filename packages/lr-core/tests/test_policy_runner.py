"""The in-process policy contract: found through ``lr.policy_runners``; its absence named."""

from __future__ import annotations

import pytest

from lr_core import registry
from lr_core.errors import MissingDependencyError, PluginError
from lr_core.policy_runner import POLICY_RUNNER_GROUP, load_policy_runner


def test_the_group_is_one_of_lrs():
    assert POLICY_RUNNER_GROUP in registry.GROUPS


def test_without_a_loader_the_error_names_what_to_install(monkeypatch):
    monkeypatch.setattr(registry, "names", lambda group: [])
    with pytest.raises(MissingDependencyError, match=r"lr-policies.*lr-robots\[policy\]"):
        load_policy_runner("some/checkpoint")


def test_an_unknown_runner_lists_the_installed_ones(monkeypatch):
    monkeypatch.setattr(registry, "names", lambda group: ["local"])
    with pytest.raises(PluginError, match="carrier"):
        load_policy_runner("some/checkpoint", runner="carrier")
