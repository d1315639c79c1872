"""Stages run in a spawned child: results and exceptions come back, a crash is named, and
Ctrl-C stops the child and the command instead of hanging."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from lr_core.errors import ConfigError, LrError
from lr_sim.quickstart_stages import in_child_process

# Stage functions must be importable by the spawned child: they live in a module written to a
# folder on sys.path (the child inherits sys.path), not in this test file.
STAGES = textwrap.dedent(
    """
    import os, time

    def add(a, b):
        return {"sum": a + b, "pid": os.getpid()}

    def fail():
        from lr_core.errors import ConfigError
        raise ConfigError("bad --steps")

    def crash():
        os._exit(3)

    def sleeper():
        print("child started", flush=True)
        time.sleep(60)
    """
)


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stages")
    (folder / "lr_test_stages.py").write_text(STAGES)
    sys.path.insert(0, str(folder))
    try:
        import lr_test_stages

        yield lr_test_stages
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("lr_test_stages", None)


def test_result_comes_back_from_another_process(stages):
    result = in_child_process(stages.add, 2, 3)
    assert result["sum"] == 5 and result["pid"] != os.getpid()


def test_exception_is_re_raised_with_its_type(stages):
    with pytest.raises(ConfigError, match="bad --steps"):
        in_child_process(stages.fail)


def test_a_crashed_stage_is_named_with_its_exit_code(stages):
    with pytest.raises(LrError, match=r"crash ended without a result \(exit code 3\)"):
        in_child_process(stages.crash)


SCRIPT = textwrap.dedent(
    """
    import sys
    from lr_sim.quickstart_stages import in_child_process
    from lr_test_stages import sleeper

    if __name__ == "__main__":
        try:
            in_child_process(sleeper)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(130)
    """
)


def test_ctrl_c_stops_the_stage_and_the_command(stages, tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives a command
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "child started"
    started = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    try:
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "interrupted" in proc.stdout.read()
    assert time.monotonic() - started < 25
    # no process of the group is left (multiprocessing's resource tracker exits once it reads
    # the end of its pipe, a moment after the command)
    for _ in range(50):
        ps = subprocess.run(["ps", "-eo", "pgid=,args="], capture_output=True, text=True)
        left = [line for line in ps.stdout.splitlines() if line.split()[0] == str(proc.pid)]
        if not left:
            break
        time.sleep(0.1)
    assert not left
