"""Shared fixtures: policy servers in their own processes on 127.0.0.1."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# MuJoCo picks its GL backend at import; render headless on Mesa (EGL) unless told otherwise.
os.environ.setdefault("MUJOCO_GL", "egl")


class ServerProcess:
    """A policy server running in a child process; ``address`` is where it listens."""

    def __init__(self, args: list[str], *, log: Path) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        self.log = log
        self._log_file = log.open("a")
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self._log_file, text=True, env=env
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 120)
        line = self.process.stdout.readline() if ready else ""
        if "listening on" not in line:
            self.process.kill()
            raise RuntimeError(f"server did not start: {line!r}\n{log.read_text()[-3000:]}")
        self.address = line.split("listening on", 1)[1].strip()
        self.port = int(self.address.rsplit(":", 1)[1])

    def kill(self) -> None:
        """SIGKILL: the server dies without saying anything to its clients."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log_file.close()

    def logs(self) -> str:
        return self.log.read_text()


@pytest.fixture
def fixed_cost_server(tmp_path) -> Iterator:
    """``start(*flags)`` runs ``python -m lr_inference.testing`` with those flags."""
    started: list[ServerProcess] = []

    def start(*flags: str) -> ServerProcess:
        args = [sys.executable, "-m", "lr_inference.testing", *flags]
        server = ServerProcess(args, log=tmp_path / f"server{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def lr_serve(tmp_path) -> Iterator:
    """``start(*flags)`` runs ``lr serve`` (real lr-policies checkpoints) with those flags."""
    started: list[ServerProcess] = []

    def start(*flags: str) -> ServerProcess:
        args = [sys.executable, "-m", "lr_core.cli", "serve", "--port=0", *flags]
        server = ServerProcess(args, log=tmp_path / f"lr_serve{len(started)}.log")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
