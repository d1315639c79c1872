"""``lr serve``: parse a :class:`PolicyServerConfig` and serve until Ctrl-C."""

from __future__ import annotations

from lr_core.config import parse_cli
from lr_inference.commands import setup_logging
from lr_inference.server.config import PolicyServerConfig


def main(argv: list[str]) -> int:
    """``lr serve --host=127.0.0.1 --port=8080`` (CurveZMQ: ``--keys.server_secret_key=…
    --keys.allowed_clients=…``)."""
    cfg = parse_cli(PolicyServerConfig, argv, prog="lr serve")
    setup_logging()
    from lr_inference.server.server import PolicyServer

    server = PolicyServer(cfg)
    address = server.start()
    print(f"lr serve: listening on {address}", flush=True)
    server.serve_forever()
    return 0
