"""Every command and example in README.md and docs/*.md runs, so the docs cannot drift.

Each page's fenced blocks run in order in a scratch folder of their own (``packages/``, ``tools/``
and ``docs/`` are linked into it, ``HF_LEROBOT_HOME`` points inside it), so later blocks see
what earlier ones wrote:

- ``bash``/``sh`` blocks run command by command; ``console`` blocks run their ``$ `` lines.
  ``uv run X`` runs ``X`` in this environment; ``lr`` is this checkout's ``lr``. Commands that
  train, record or evaluate get small sizes appended (:data:`SMALL`; a later flag wins), and
  ``lr quickstart`` runs as ``--fast``;
- ``python`` blocks run as scripts (``docs/dataset.md`` and ``docs/sim.md``'s Python examples
  are run by their packages' own doc tests, and ``<!-- test: NAME -->`` blocks by
  ``packages/lr-policies/tests/test_docs.py``);
- other blocks (``text``, trees, output) are not run, and may not hide a command: a line that
  starts like one (``lr ``, ``uv ``, ``pip ``, ``$ ``...) fails the test.

Install commands (``pip install``, ``pip3 install``, ``python3 -m pip install``, ``uv pip
install``) are checked, not run (running them would change this machine's Python and download
gigabytes): each ``./packages/<dist>[extras]`` must exist with those extras, and every lr
distribution it needs must be installed by the same command (none is on PyPI); a bare ``lr-*``
name is refused for the same reason (:func:`check_install`).

An HTML comment on the line before a block changes that: ``<!-- docs-test: skip: REASON -->``
(hardware, network, root; the reason is required), or a comma-separated list of
``slow`` (the page's test is marked slow), ``in-repo`` (read-only commands run from the
repository root, e.g. the linters) and ``background`` (commands that run until Ctrl-C: each is
started, must print something and keep running, then gets SIGINT and must end).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

#: Python blocks another test runs (page -> that test).
PYTHON_RUN_BY = {
    "docs/dataset.md": "packages/lr-dataset/tests/test_docs.py",
    "docs/sim.md": "packages/lr-sim/tests/test_docs.py",
}
NAMED_TEST = "packages/lr-policies/tests/test_docs.py"

#: Flags appended to commands so that they run in seconds (a later flag wins).
SMALL_ACT = [
    "--policy.pretrained_backbone_weights=null",
    "--policy.dim_model=32",
    "--policy.n_heads=2",
    "--policy.dim_feedforward=64",
    "--policy.n_encoder_layers=1",
    "--policy.n_vae_encoder_layers=1",
    "--policy.chunk_size=4",
    "--policy.n_action_steps=4",
]
SMALL: dict[str, list[str]] = {
    "train": [
        "--steps=2",
        "--batch_size=2",
        "--num_workers=0",
        "--log_freq=1",
        "--progress_bar=false",
    ],
    "eval": [
        "--eval.n_episodes=1",
        "--eval.batch_size=1",
        "--eval.max_videos=1",
        "--env.episode_length=4",
    ],
    "sim record": ["--episodes=2", "--env.task=reach", "--progress=false"],
    "sim expert": ["--episodes=2", "--env.task=reach"],
    "quickstart": ["--fast", "--progress=false"],
}
COMMAND_START = re.compile(r"^\s*(\$ |lr |uv |pip |pip3 |python3? |torchrun |apt-get |git )")
MARKER = re.compile(r"<!--\s*docs-test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^```(\S*)\s*$")


@dataclass
class Block:
    page: str
    line: int
    lang: str
    body: str
    marker: str | None
    named_test: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def flags(self) -> set[str]:
        """The marker's words (``slow``, ``in-repo``, ``background``)."""
        if not self.marker or self.marker.startswith("skip"):
            return set()
        return {word.strip() for word in self.marker.split(",")}


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` with the marker comment before each."""
    lines = page.read_text().splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        start, lang = i, match.group(1)
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = lines[start - 1].strip() if start else ""
        marker = MARKER.match(before)
        named = re.match(r"<!--\s*test:\s*(\w+)\s*-->", before)
        out.append(
            Block(
                page=str(page.relative_to(REPO)),
                line=start + 1,
                lang=lang,
                body="\n".join(lines[start + 1 : end]) + "\n",
                marker=marker.group(1) if marker else None,
                named_test=named.group(1) if named else None,
            )
        )
        i = end + 1
    return out


def commands(block: Block) -> list[str]:
    """Shell commands of a block: continuation lines joined, comments and output dropped."""
    out: list[str] = []
    pending = ""
    for raw in block.body.splitlines():
        line = raw.rstrip()
        if block.lang == "console":
            if not line.startswith("$ "):
                continue
            line = line[2:]
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append((pending + line).strip())
        pending = ""
    return out


INSTALL = re.compile(r"^(?:uv\s+pip|pip3?|python3?\s+-m\s+pip)\s+install\s")


def _lr_requirements(dist: str, extras: set[str]) -> set[str]:
    """The lr distributions ``dist`` with ``extras`` needs, itself excluded, transitively."""
    import tomllib

    needed: set[str] = set()
    todo = [(dist, set(extras))]
    while todo:
        name, wanted = todo.pop()
        project = tomllib.loads((REPO / "packages" / name / "pyproject.toml").read_text())
        project = project["project"]
        reqs = list(project.get("dependencies", []))
        optional = project.get("optional-dependencies", {})
        for extra in wanted:
            reqs += optional[extra]
        for req in reqs:
            match = re.match(r"\s*(lr-[a-z]+)(?:\[([^\]]*)\])?", req)
            if not match:
                continue
            other, other_extras = (
                match.group(1),
                set(filter(None, (match.group(2) or "").split(","))),
            )
            if other == name:  # a self-reference such as lr-robots[all] = lr-robots[av,...]
                todo.append((name, other_extras - wanted))
                wanted = wanted | other_extras
                continue
            if other not in needed:
                needed.add(other)
                todo.append((other, other_extras))
    return needed - {dist}


def check_install(command: str, where: str) -> None:
    """Refuse an install command a user could not run from a clone (see the module docstring)."""
    words = shlex.split(command.split(" #")[0])
    args = words[words.index("install") + 1 :]
    installed: dict[str, set[str]] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--index-url", "-i", "--extra-index-url", "-f", "--find-links"):
            i += 2
            continue
        i += 1
        if arg.startswith("-"):
            continue
        match = re.fullmatch(r"(?:\./)?packages/(lr-[a-z]+)/?(?:\[([^\]]*)\])?", arg)
        if match:
            dist, extras = match.group(1), set(filter(None, (match.group(2) or "").split(",")))
            pyproject = REPO / "packages" / dist / "pyproject.toml"
            assert pyproject.is_file(), f"{where}: `{command}`: no distribution {dist}"
            import tomllib

            declared = tomllib.loads(pyproject.read_text())["project"].get(
                "optional-dependencies", {}
            )
            unknown = extras - set(declared)
            assert not unknown, f"{where}: `{command}`: {dist} has no extras {sorted(unknown)}"
            installed[dist] = extras
            continue
        assert not re.match(r"lr-[a-z]+", arg), (
            f"{where}: `{command}`: {arg} is not on PyPI; install it from the clone "
            f"(./packages/{arg.split('[')[0]})"
        )
    for dist, extras in installed.items():
        missing = _lr_requirements(dist, extras) - set(installed)
        assert not missing, (
            f"{where}: `{command}`: {dist} needs {sorted(missing)}, which are not on PyPI: "
            "install them from ./packages/ in the same command"
        )


def small(command: str) -> str:
    """``command`` with the flags that make it quick (see :data:`SMALL`)."""
    if command.startswith("uv run "):
        command = command[len("uv run ") :]
    words = shlex.split(command.split(" #")[0])
    if not words or words[0] != "lr":
        return command
    name = " ".join(words[1:3]) if " ".join(words[1:3]) in SMALL else words[1]
    extra = list(SMALL.get(name, []))
    if name == "train":
        if "--resume=true" in words:
            extra = [f for f in extra if not f.startswith("--steps")] + ["--steps=3"]
        elif any(w.startswith("--policy.type=act") for w in words):
            extra += SMALL_ACT
    return " ".join([*(shlex.quote(w) for w in words), *extra])


class Workspace:
    """A scratch folder in which one page's blocks run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ("packages", "tools", "docs"):
            (root / name).symlink_to(REPO / name)
        shims = root / ".bin"
        shims.mkdir()
        for name, target in (("lr", "-m lr_core.cli"), ("python", ""), ("python3", "")):
            script = shims / name
            script.write_text(f'#!/bin/sh\nexec {sys.executable} {target} "$@"\n')
            script.chmod(0o755)
        self.env = {
            **os.environ,
            "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
            "HF_LEROBOT_HOME": str(root / ".hf_lerobot"),
            "OMP_NUM_THREADS": "1",
            "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"),
        }

    def run(self, command: str, where: str, timeout: float = 900, cwd: Path | None = None) -> str:
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, (
            f"{where}: `{command}` failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
        assert "Traceback" not in result.stderr, f"{where}: `{command}`\n{result.stderr[-4000:]}"
        return result.stdout

    def run_until_interrupted(self, command: str, where: str) -> None:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        first = process.stdout.readline()  # it has started when it prints (hang guard: kill)
        assert first, f"{where}: `{command}` printed nothing and ended ({process.wait()})"
        time.sleep(0.5)
        assert process.poll() is None, f"{where}: `{command}` ended instead of running"
        os.killpg(process.pid, signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"{where}: `{command}` ignored Ctrl-C") from None
        assert process.returncode in (0, 130), f"{where}: {first}{rest}"
        assert "Traceback" not in rest, f"{where}: {rest}"


def plan(page: Path) -> list[tuple[Block, str]]:
    """What to do with each block of ``page``: run, skip (with why) or text."""
    out = []
    for block in blocks(page):
        marker = block.marker or ""
        if marker.startswith("skip"):
            reason = marker.partition(":")[2].strip()
            assert reason, f"{block.where}: a skip marker needs a reason (skip: why)"
            out.append((block, "skip"))
        elif block.lang in ("bash", "sh", "shell", "console"):
            unknown = block.flags - {"slow", "in-repo", "background"}
            assert not unknown, f"{block.where}: unknown docs-test markers {unknown}"
            out.append((block, "background" if "background" in block.flags else "shell"))
        elif block.lang == "python":
            if block.named_test:
                out.append((block, "named"))
            elif block.page in PYTHON_RUN_BY:
                out.append((block, "elsewhere"))
            else:
                out.append((block, "python"))
        elif block.lang == "text":  # declared not to be commands (a synopsis, a listing)
            out.append((block, "text"))
        else:
            hidden = [ln for ln in block.body.splitlines() if COMMAND_START.match(ln)]
            assert not hidden, (
                f"{block.where}: a ```{block.lang or ''} block holds commands {hidden}: label it "
                "```bash (or ```console for $ lines with output) so it runs, or mark it "
                "<!-- docs-test: skip: why -->"
            )
            out.append((block, "text"))
    return out


def _page_param(page: Path):
    slow = any("slow" in b.flags for b in blocks(page))
    return pytest.param(
        page, id=str(page.relative_to(REPO)), marks=[pytest.mark.slow] if slow else []
    )


def test_every_block_is_run_here_or_elsewhere_or_skipped_with_a_reason():
    counts: dict[str, int] = {}
    for page in PAGES:
        for _, action in plan(page):
            counts[action] = counts.get(action, 0) + 1
    assert counts.get("shell", 0) >= 5 and counts.get("python", 0) >= 3
    for page, test in PYTHON_RUN_BY.items():
        assert (REPO / test).is_file(), f"{page}'s examples should be run by {test}"
    names = re.findall(r"snippet\(\"(\w+)\"\)", (REPO / NAMED_TEST).read_text())
    for page in PAGES:
        for block, action in plan(page):
            if action == "named":
                assert block.named_test in names, f"{block.where}: no test runs it"


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES])
def test_page_commands_run(page, tmp_path):
    work = Workspace(tmp_path)
    for index, (block, action) in enumerate(plan(page)):
        if action == "shell":
            cwd = REPO if "in-repo" in block.flags else None
            for command in commands(block):
                if INSTALL.match(command):
                    check_install(command, block.where)
                else:
                    work.run(small(command), block.where, cwd=cwd)
        elif action == "background":
            for command in commands(block):
                work.run_until_interrupted(small(command), block.where)
        elif action == "python":
            script = tmp_path / f"block_{index}.py"
            script.write_text(textwrap.dedent(block.body))
            work.run(f"{sys.executable} {script}", block.where)


def test_install_commands_are_checked_not_run():
    check_install("pip install ./packages/lr-core ./packages/lr-motors", "t")
    check_install(
        "uv pip install --torch-backend=cpu ./packages/lr-core ./packages/lr-dataset", "t"
    )
    check_install("pip install torch --index-url https://download.pytorch.org/whl/cpu", "t")
    with pytest.raises(AssertionError, match="needs \\['lr-core'\\]"):
        check_install("pip install ./packages/lr-motors", "t")
    with pytest.raises(AssertionError, match="not on PyPI"):
        check_install("pip install 'lr-dataset[torch]'", "t")
    with pytest.raises(AssertionError, match="no extras"):
        check_install("pip install ./packages/lr-core './packages/lr-motors[nope]'", "t")
