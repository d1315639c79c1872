"""CurveZMQ: only listed client keys get in, and without keys the server stays on loopback."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec
from lr_core.messages import PolicySpec
from lr_inference.connection import ConnectionOptions
from lr_inference.errors import AuthenticationError
from lr_inference.keys import generate_keys
from lr_inference.policy_client import PolicyClient
from lr_inference.server.config import PolicyServerConfig, ServerKeysConfig
from lr_inference.server.server import PolicyServer, check_binding

NAMES = ["a.pos", "b.pos"]
SPEC = PolicySpec(
    policy_type="",
    pretrained_name_or_path="any",
    features={
        "observation.state": FeatureSpec(dtype="float32", shape=(2,), names=NAMES),
        "action": FeatureSpec(dtype="float32", shape=(2,), names=NAMES),
    },
    actions_per_chunk=3,
)


@pytest.fixture
def keys(tmp_path):
    folder = tmp_path / "keys"
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    generate_keys(folder, "server")
    for name in ("robot", "intruder"):
        generate_keys(folder, name)
    shutil.copy(folder / "robot.key", allowed / "robot.key")
    return folder, allowed


def options(folder, client: str | None, server_key: str = "server") -> ConnectionOptions:
    if client is None:
        return ConnectionOptions(heartbeat_s=0.2, timeout_s=1.0)
    return ConnectionOptions(
        heartbeat_s=0.2,
        timeout_s=1.0,
        client_secret_key=folder / f"{client}.key_secret",
        server_public_key=folder / f"{server_key}.key",
    )


def test_only_allowed_client_keys_are_served(fixed_cost_server, keys):
    folder, allowed = keys
    server = fixed_cost_server(
        f"--server.keys.server_secret_key={folder / 'server.key_secret'}",
        f"--server.keys.allowed_clients={allowed}",
    )
    with PolicyClient(server.address, SPEC, options(folder, "robot")) as client:
        chunk = client.infer({"a.pos": 1.0, "b.pos": 2.0})
    np.testing.assert_array_equal(chunk.actions[0], [1.0, 2.0])

    refused = [
        ("intruder", "server", "refused this client's CurveZMQ key"),
        (None, "server", "secure handshake .* failed"),  # no keys at all
        ("robot", "intruder", "secure handshake .* failed"),  # wrong server key
    ]
    for client_key, server_key, message in refused:
        client = PolicyClient(server.address, SPEC, options(folder, client_key, server_key))
        with pytest.raises(AuthenticationError, match=message):
            client.connect(20)
        client.close()
    assert server.process.poll() is None


def test_without_keys_only_loopback_unless_insecure(caplog):
    check_binding(PolicyServerConfig(host="127.0.0.1"))
    check_binding(PolicyServerConfig(host="localhost"))
    with pytest.raises(
        ConfigError, match=r"refusing to listen on 0\.0\.0\.0.*lr keys generate.*--insecure"
    ):
        check_binding(PolicyServerConfig(host="0.0.0.0"))
    with pytest.raises(ConfigError, match="refusing"):
        PolicyServer(PolicyServerConfig(host="192.168.1.20", port=0)).start()
    with caplog.at_level(logging.WARNING):
        check_binding(PolicyServerConfig(host="0.0.0.0", insecure=True))
    assert "INSECURE" in caplog.text
    keyed = ServerKeysConfig(server_secret_key="s.key_secret", allowed_clients="allowed")
    check_binding(PolicyServerConfig(host="0.0.0.0", keys=keyed))


def test_keys_go_in_pairs():
    with pytest.raises(ValueError, match="go together"):
        ServerKeysConfig(server_secret_key="server.key_secret")
    with pytest.raises(ConfigError, match="both keys"):
        ConnectionOptions(client_secret_key="robot.key_secret")


def test_a_client_with_keys_is_told_when_the_server_has_none(fixed_cost_server, keys):
    folder, _ = keys
    server = fixed_cost_server()
    client = PolicyClient(server.address, SPEC, options(folder, "robot"))
    with pytest.raises(AuthenticationError, match="only one side uses keys"):
        client.connect(20)
    client.close()
