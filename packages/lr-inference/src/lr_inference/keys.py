"""CurveZMQ key pairs: ``lr keys generate`` and loading keys for the client and the server.

ZeroMQ's CURVE mechanism (RFC 26, CurveZMQ: Curve25519 key exchange, every message
encrypted and authenticated) needs one key pair per side. Files use ZeroMQ's certificate
format (what ``zmq.auth.create_certificates`` writes and ``zmq.auth.load_certificate`` reads)::

    <name>.key          public key: copy it to the other side
    <name>.key_secret   public + secret key: stays on this machine, mode 0600

The server is given its ``.key_secret`` and a folder of the allowed clients' ``.key`` files;
a client is given its own ``.key_secret`` and the server's ``.key``.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from pydantic import Field

from lr_core.config import LrConfig, parse_cli
from lr_core.errors import ConfigError

PUBLIC_SUFFIX = ".key"
SECRET_SUFFIX = ".key_secret"

_BANNER = """#   ****  Generated on {date} by lr keys generate  ****
#   ZeroMQ CURVE {kind} Certificate
#   {advice}

metadata
curve
    public-key = "{public}"
"""


def generate_keys(
    directory: str | Path, name: str, *, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write a new key pair ``<directory>/<name>.key`` and ``<name>.key_secret`` (0600).

    Returns ``(public_file, secret_file)``. Raises :class:`ConfigError` when either file exists
    and ``overwrite`` is false (a key pair in use is never replaced by accident), or when
    ``name`` is not a plain file name.
    """
    import zmq

    if not name or Path(name).name != name or name.startswith("."):
        raise ConfigError(f"key name {name!r} must be a plain file name such as 'robot1'")
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    public_file = directory / f"{name}{PUBLIC_SUFFIX}"
    secret_file = directory / f"{name}{SECRET_SUFFIX}"
    if not overwrite:
        for file in (public_file, secret_file):
            if file.exists():
                raise ConfigError(
                    f"{file} already exists; pick another --name, or pass --overwrite=true to "
                    "replace the key pair (every peer that trusted it must then get the new one)"
                )
    public, secret = (k.decode("ascii") for k in zmq.curve_keypair())
    date = dt.datetime.now().isoformat(timespec="seconds")
    public_text = _BANNER.format(
        date=date, kind="Public", advice="Copy this file to the other side.", public=public
    )
    secret_text = (
        _BANNER.format(
            date=date, kind="**Secret**", advice="Keep this file on this machine.", public=public
        )
        + f'    secret-key = "{secret}"\n'
    )
    _write(secret_file, secret_text, mode=0o600)
    _write(public_file, public_text, mode=0o644)
    return public_file, secret_file


def _write(path: Path, text: str, *, mode: int) -> None:
    """Write ``text`` into a fresh file created with ``mode`` (never readable by others first)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # the umask may have removed bits we want (0644 public)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def load_secret_key(path: str | Path) -> tuple[bytes, bytes]:
    """``(public, secret)`` Z85 keys from a ``.key_secret`` file; errors name the file."""
    public, secret = _load(path)
    if secret is None:
        raise ConfigError(
            f"{path} holds no secret key: give the '{SECRET_SUFFIX}' file of this machine's "
            f"key pair (the '{PUBLIC_SUFFIX}' file is the one you copy to the other side)"
        )
    mode = Path(path).expanduser().stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        import logging

        logging.getLogger(__name__).warning(
            "%s is readable by other users (mode %o); run: chmod 600 %s", path, mode & 0o777, path
        )
    return public, secret


def load_public_key(path: str | Path) -> bytes:
    """The Z85 public key from a ``.key`` (or ``.key_secret``) file; errors name the file."""
    return _load(path)[0]


def _load(path: str | Path) -> tuple[bytes, bytes | None]:
    import zmq.auth

    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"key file {file} does not exist (create one with `lr keys generate`)")
    try:
        public, secret = zmq.auth.load_certificate(file)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{file} is not a ZeroMQ certificate file: {exc}") from exc
    if not public or len(public) != 40:
        raise ConfigError(f"{file} has no valid 40-character Z85 public-key")
    return public, secret


def allowed_public_keys(directory: str | Path) -> list[bytes]:
    """The public keys of every ``*.key`` file in ``directory`` (the allowed clients)."""
    folder = Path(directory).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"allowed-clients folder {folder} does not exist")
    keys = [load_public_key(file) for file in sorted(folder.glob(f"*{PUBLIC_SUFFIX}"))]
    if not keys:
        raise ConfigError(
            f"{folder} holds no client public keys (*{PUBLIC_SUFFIX}): copy each robot's "
            f"<name>{PUBLIC_SUFFIX} there, or no client can connect"
        )
    return keys


class KeysGenerateConfig(LrConfig):
    """``lr keys generate --name=robot1 --output_dir=DIR``: a new CurveZMQ key pair."""

    name: str = Field(description="file name of the pair: <name>.key and <name>.key_secret")
    output_dir: Path = Field(
        default=Path("~/.config/lr/keys"), description="folder to write the key pair into"
    )
    overwrite: bool = Field(
        default=False, description="replace an existing key pair of that name (else an error)"
    )


def generate_main(argv: list[str]) -> int:
    """``lr keys generate``."""
    cfg = parse_cli(KeysGenerateConfig, argv, prog="lr keys generate")
    public, secret = generate_keys(cfg.output_dir, cfg.name, overwrite=cfg.overwrite)
    print(f"public key: {public}   (copy to the other side)")
    print(f"secret key: {secret}   (keep here; mode 0600)")
    print(
        "server: lr serve --keys.server_secret_key=<server>.key_secret "
        "--keys.allowed_clients=<folder of client .key files>\n"
        "client: lr client ... --keys.client_secret_key=<client>.key_secret "
        "--keys.server_public_key=<server>.key"
    )
    return 0
