"""Child processes that end with Ctrl-C (lr_core.processes)."""

from __future__ import annotations

import operator
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from lr_core.processes import run_in_child, stop_processes


class _Popen:
    """A subprocess seen through multiprocessing.Process' methods."""

    def __init__(self, code: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
        )
        self.pid = self.popen.pid
        assert self.popen.stdout.readline().strip() == "ready"

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def join(self, timeout: float | None = None) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self) -> None:
        self.popen.terminate()

    def kill(self) -> None:
        self.popen.kill()


def test_run_in_child_returns_results_and_raises_errors():
    assert run_in_child(operator.mul, 6, 7) == 42
    with pytest.raises(ValueError, match="invalid literal for int"):
        run_in_child(int, "x")


def test_stop_processes_escalates_to_sigkill():
    stubborn = _Popen(
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(600)"
    )
    polite = _Popen("import time; print('ready', flush=True); time.sleep(600)")
    stop_processes([stubborn, polite], grace_s=0.2)
    assert stubborn.popen.returncode == -signal.SIGKILL
    assert polite.popen.returncode == -signal.SIGTERM


def test_ctrl_c_stops_the_child_of_run_in_child(tmp_path):
    marker = tmp_path / "child.pid"
    script = textwrap.dedent(
        f"""
        import os, time
        from lr_core.processes import run_in_child

        def stage(path):
            open(path, "w").write(str(os.getpid()))
            time.sleep(600)

        if __name__ == "__main__":
            try:
                run_in_child(stage, {str(marker)!r})
            except KeyboardInterrupt:
                raise SystemExit(130)
        """
    )
    (tmp_path / "main.py").write_text(script)
    process = subprocess.Popen([sys.executable, str(tmp_path / "main.py")], cwd=tmp_path)
    deadline = time.monotonic() + 120  # hang guard
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    process.send_signal(signal.SIGINT)  # only the parent: the child must be stopped by it
    assert process.wait(timeout=60) == 130
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the child outlived the interrupted parent")
