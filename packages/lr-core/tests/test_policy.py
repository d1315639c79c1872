"""The remote-policy contract resolves its connector by address scheme through the registry."""

from __future__ import annotations

import pytest

from lr_core.errors import PluginError
from lr_core.policy import REMOTE_POLICY_GROUP, connect_remote_policy
from lr_core.registry import GROUPS


def test_remote_policy_group_is_a_known_group():
    assert REMOTE_POLICY_GROUP in GROUPS


def test_unknown_scheme_names_the_group_and_the_installed_schemes():
    with pytest.raises(PluginError, match=r"lr\.remote_policies.*'carrier-pigeon'"):
        connect_remote_policy("carrier-pigeon://coop:1", pretrained_name_or_path="user/policy")
