"""CurveZMQ key files: `lr keys generate` writes ZeroMQ certificates with safe modes."""

from __future__ import annotations

import stat

import pytest
import zmq.auth

from lr_core.cli import main
from lr_core.errors import ConfigError
from lr_inference.keys import (
    allowed_public_keys,
    generate_keys,
    load_public_key,
    load_secret_key,
)


def test_generated_pair_is_a_zeromq_certificate_with_a_private_secret(tmp_path):
    public, secret = generate_keys(tmp_path / "keys", "robot1")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    pub, sec = zmq.auth.load_certificate(secret)
    assert (pub, sec) == load_secret_key(secret)
    assert zmq.auth.load_certificate(public) == (pub, None)
    assert load_public_key(public) == pub and len(pub) == 40
    assert zmq.curve_public(sec) == pub


def test_existing_keys_are_never_replaced_by_accident(tmp_path):
    public, _ = generate_keys(tmp_path, "server")
    before = public.read_text()
    with pytest.raises(ConfigError, match="already exists"):
        generate_keys(tmp_path, "server")
    assert public.read_text() == before
    generate_keys(tmp_path, "server", overwrite=True)
    assert public.read_text() != before


def test_bad_key_files_are_named(tmp_path):
    public, _ = generate_keys(tmp_path, "a")
    with pytest.raises(ConfigError, match=r"a\.key holds no secret key"):
        load_secret_key(public)
    with pytest.raises(ConfigError, match="does not exist"):
        load_public_key(tmp_path / "missing.key")
    (tmp_path / "junk.key").write_text("hello\n")
    with pytest.raises(ConfigError, match="junk.key is not a ZeroMQ certificate"):
        load_public_key(tmp_path / "junk.key")
    with pytest.raises(ConfigError, match="plain file name"):
        generate_keys(tmp_path, "../escape")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="holds no client public keys"):
        allowed_public_keys(empty)


def test_lr_keys_generate_command(tmp_path, capsys):
    assert main(["keys", "generate", "--name=robot", f"--output_dir={tmp_path}"]) == 0
    out = capsys.readouterr().out
    assert "robot.key" in out and "robot.key_secret" in out
    assert (tmp_path / "robot.key").is_file() and (tmp_path / "robot.key_secret").is_file()
    assert main(["keys", "generate", "--name=robot", f"--output_dir={tmp_path}"]) == 1


def test_key_paths_may_start_with_a_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    generate_keys("~/keys", "robot")
    assert (tmp_path / "keys" / "robot.key_secret").is_file()
    public, _ = load_secret_key("~/keys/robot.key_secret")
    assert load_public_key("~/keys/robot.key") == public
    assert allowed_public_keys("~/keys") == [public]
