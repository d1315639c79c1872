"""Find the reference-peer interpreters made by ``tools/peer/install.sh``.

Peer tests and benchmarks load this file by path (it is not part of any distribution) and call
:func:`peer_python`; a missing peer makes tests skip with the command that installs it.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def peer_home() -> Path:
    """Directory holding the peer venvs: ``$LR_PEER_HOME`` or ``<repo>/.peer``."""
    return Path(os.environ.get("LR_PEER_HOME", REPO / ".peer"))


def peer_python(version: str = "0.6.1") -> Path | None:
    """Interpreter of the ``lerobot==<version>`` peer venv, or None when it is not installed."""
    python = peer_home() / f"lerobot-{version}" / "bin" / "python"
    return python if python.exists() else None


INSTALL_HINT = "run tools/peer/install.sh (or set LR_PEER_HOME) to install the lerobot peers"
