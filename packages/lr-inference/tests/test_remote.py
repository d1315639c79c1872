"""The lr.remote_policies connector that `lr eval --policy.server` resolves through lr-core."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_core.policy import RemotePolicy, connect_remote_policy
from lr_inference.remote import RemotePolicyClient, split_address


def test_addresses_carry_key_paths():
    address, keys = split_address(
        "tcp://gpu:8080?client_secret_key=/k/robot.key_secret&server_public_key=/k/server.key"
    )
    assert address == "tcp://gpu:8080"
    assert keys == {
        "client_secret_key": Path("/k/robot.key_secret"),
        "server_public_key": Path("/k/server.key"),
    }
    assert split_address("gpu:8080") == ("tcp://gpu:8080", {})
    with pytest.raises(ConfigError, match="unknown options"):
        split_address("tcp://gpu:8080?password=x")


def test_lr_core_finds_the_connector_and_it_steps_a_batch_of_envs(fixed_cost_server):
    server = fixed_cost_server(
        "--policy.chunk_length=4", "--policy.n_obs_steps=2", "--policy.action_dim=3"
    )
    remote = connect_remote_policy(server.address, pretrained_name_or_path="any")
    assert isinstance(remote, RemotePolicyClient) and isinstance(remote, RemotePolicy)
    try:
        assert remote.input_features == {}  # known once connected
        for step in range(9):
            state = np.stack([np.full(3, 10.0 * env + step, np.float32) for env in range(2)])
            actions = remote.select_action({"observation.state": state})
            assert actions.shape == (2, 3) and actions.dtype == np.float32
            # a new chunk every 4 steps (the policy's chunk, no n_action_steps in its config),
            # holding the newest state of the two frames sent at the chunk's first step
            first = step - step % 4
            np.testing.assert_array_equal(actions[:, 0], [first, 10.0 + first])
        assert set(remote.input_features) == {"observation.state"}
        remote.reset()
        state = np.zeros((2, 3), np.float32)
        np.testing.assert_array_equal(remote.select_action({"observation.state": state}), 0)
    finally:
        remote.close()
