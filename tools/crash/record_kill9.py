"""Kill ``lr record`` with SIGKILL at random moments and check what it leaves (ADR 0005).

Each trial records into a fresh dataset from an emulated SO-101 leader/follower with two
synthetic cameras (AV1, so the encoders are busy), and SIGKILLs the process at a random moment
of one of four kinds, chosen in turn:

- ``frame``: while an episode records (frames being added, cameras encoding);
- ``save``: just after an episode ended, while its background save commits;
- ``encode``: at the end of an episode, while the encoders flush its last frames;
- ``finalize``: after the last episode, while the session waits for saves and finalizes.

Then it checks that the dataset loads as it is, holds every episode whose "Episode N saved"
line was printed (with the number of frames its "Episode N done" line reported), and that
``lr record --resume=true`` adds one more episode to it, after which it loads again with every
episode. Usage::

    uv run python tools/crash/record_kill9.py --trials 20 [--seed 0] [--workdir DIR]

It prints one line per trial and a summary; the exit code is 0 only when every trial passed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

KINDS = ("frame", "save", "encode", "finalize")
CAMERAS = (
    '--robot.cameras={"front": {"type": "synthetic", "width": 320, "height": 240}, '
    '"wrist": {"type": "synthetic", "width": 320, "height": 240}}'
)
EPISODE_S = 1.5
#: how a session stopped by an emulated servo missing its reply on a loaded machine ends: no
#: reply in time, or a late reply of the killed session read as the calibration (which then
#: does not match, and the prompt finds no terminal)
LOAD_SIGNS = ("no status packet", "no terminal to answer the calibration prompts")


@dataclass
class Trial:
    """One kill and what was found after it."""

    index: int
    kind: str
    delay_s: float
    killed: bool = False
    reported_saved: list[int] = field(default_factory=list)
    episodes_after_kill: int = 0
    episodes_after_resume: int = 0
    #: resume sessions run again after an emulated servo missed a reply (machine load)
    resume_retries: int = 0
    #: recording sessions run again after one stopped by itself on a missed servo reply
    session_retries: int = 0
    ok: bool = False
    problem: str = ""


class Recorder:
    """``lr record`` in a subprocess whose output lines are collected with their times."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lr_core.cli", "record", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 120) -> bool:
        """Wait for a line matching ``pattern``; False if the process ended without one."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if any(regex.search(line) for _, line in self.lines):
                    return True
                if self.proc.poll() is not None and not self._reader.is_alive():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no line matching {pattern!r}:\n{self.text()[-3000:]}")
                self._cond.wait(min(left, 0.2))

    def kill(self) -> bool:
        """SIGKILL the process; True if it was still running."""
        alive = self.proc.poll() is None
        if alive:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._reader.join(timeout=10)
        return alive

    def finish(self, timeout: float = 180) -> int:
        """Wait for a normal exit."""
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def text(self) -> str:
        with self._cond:
            return "\n".join(line for _, line in self.lines)


def install_calibrations(home: Path, follower, leader) -> None:
    """What ``lr calibrate`` would have left: files and the servos' registers."""
    from lr_core.motors import MotorCalibration, save_calibration
    from lr_motors.presets import robot_motors

    calibration = {
        name: MotorCalibration(
            id=m.id,
            drive_mode=0,
            homing_offset=0,
            range_min=0 if name == "wrist_roll" else 1000,
            range_max=4095 if name == "wrist_roll" else 3000,
        )
        for name, m in robot_motors("so101").motors.items()
    }
    for emu, path in (
        (follower, home / "robots/so_follower/black.json"),
        (leader, home / "teleoperators/so_leader/blue.json"),
    ):
        save_calibration(path, calibration)
        for name, cal in calibration.items():
            emu.set_register(name, "Min_Position_Limit", cal.range_min)
            emu.set_register(name, "Max_Position_Limit", cal.range_max)


def record_args(follower, leader, root: Path, episodes: int, *extra: str) -> list[str]:
    """Flags of one session (AV1 cameras, short episodes and resets, no Hub)."""
    return [
        "--robot.type=so101_follower", f"--robot.port={follower.port}", "--robot.id=black",
        CAMERAS,
        "--teleop.type=so101_leader", f"--teleop.port={leader.port}", "--teleop.id=blue",
        "--dataset.repo_id=crash/pick", f"--dataset.root={root}", "--dataset.single_task=pick",
        f"--dataset.num_episodes={episodes}", f"--dataset.episode_time_s={EPISODE_S}",
        "--dataset.reset_time_s=0.6", "--dataset.push_to_hub=false", "--dataset.no_stamp=true",
        *extra,
    ]  # fmt: skip


def episode_frames(text: str) -> dict[int, int]:
    """``{episode: frames}`` from the "Episode N done: F frames" lines."""
    return {int(m[1]): int(m[2]) for m in re.finditer(r"Episode (\d+) done: (\d+) frames", text)}


def saved_episodes(text: str) -> list[int]:
    """Episodes whose "Episode N saved" line was printed."""
    return [int(m[1]) for m in re.finditer(r"Episode (\d+) saved", text)]


def check_dataset(root: Path, saved: list[int], frames: dict[int, int]) -> int:
    """Load the dataset as it is; every reported episode is there with its frames. Returns the
    number of episodes (raises AssertionError with the reason)."""
    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.metadata import LeRobotDatasetMetadata

    total = LeRobotDatasetMetadata("crash/pick", root=root).total_episodes
    if total == 0:  # killed before the first commit: the metadata loads, no episode to read
        assert not saved, f"episodes {saved} were reported saved but the dataset has none"
        return 0
    ds = LeRobotDataset("crash/pick", root=root)
    for ep in saved:
        assert ep < total, f"episode {ep} was reported saved but the dataset has {total}"
        length = int(ds.meta.episodes[ep]["length"])
        assert length == frames[ep], f"episode {ep}: {length} frames, {frames[ep]} recorded"
    for ep in range(total):  # the last frame of every episode, video included
        last = int(ds.meta.episodes[ep]["dataset_to_index"]) - 1
        item = ds[last]
        assert int(item["episode_index"]) == ep
        assert tuple(item["observation.images.front"].shape) == (3, 240, 320)
    return total


def run_trial(trial: Trial, workdir: Path, follower, leader, env: dict[str, str]) -> Trial:
    """Record, kill at the trial's moment, check; resume one episode, check again. A session
    that stops by itself because an emulated servo missed a reply (a loaded machine) is not the
    dataset's doing: what it left is checked to load, and the trial runs again (up to 3 times)."""
    for attempt in range(3):
        suffix = "" if attempt == 0 else f"-{attempt}"
        root = workdir / f"trial-{trial.index:03d}{suffix}"
        rec = Recorder(record_args(follower, leader, root, 3), env)
        try:
            target = rng_target(trial, rec)
            if target:
                time.sleep(trial.delay_s)
            trial.killed = rec.kill()
        finally:
            if rec.proc.poll() is None:
                rec.kill()
        text = rec.text()
        (workdir / f"{root.name}.log").write_text(text)
        code = rec.proc.returncode
        if trial.killed or code == 0:
            break
        if not any(sign in text for sign in LOAD_SIGNS) or attempt == 2:
            trial.problem = f"lr record failed by itself (exit {code}):\n{text[-2000:]}"
            return trial
        trial.session_retries += 1
        try:  # a session that failed is one more crash the dataset must survive
            if (root / "meta/info.json").exists():
                check_dataset(root, saved_episodes(text), episode_frames(text))
        except AssertionError as exc:
            trial.problem = f"after a failed session: {exc}"
            return trial
    trial.reported_saved = saved_episodes(text)
    frames = episode_frames(text)
    # a person restarts after seconds; the emulated servos may still be answering the killed
    # process (late on a loaded machine), and such a late reply must not meet the next session
    time.sleep(0.5)
    try:
        if not (root / "meta/info.json").exists():
            assert not trial.reported_saved, "episodes reported saved but no dataset"
            trial.ok = True  # killed before the dataset existed, or it was left empty
            return trial
        trial.episodes_after_kill = check_dataset(root, trial.reported_saved, frames)
        for _attempt in range(3):
            resumed = Recorder(record_args(follower, leader, root, 1, "--resume=true"), env)
            code = resumed.finish()
            out = resumed.text()
            if code == 0 or not any(sign in out for sign in LOAD_SIGNS):
                break
            # the emulated servos missed a reply on a loaded machine (not the dataset's doing):
            # what that failed session left must still load, then the resume is tried again
            trial.resume_retries += 1
            check_dataset(root, trial.reported_saved, frames)
        assert code == 0, f"--resume failed ({code}):\n{out[-3000:]}"
        new = saved_episodes(out)
        assert len(new) == 1, f"--resume saved {new}:\n{out[-2000:]}"
        before = trial.episodes_after_kill
        assert new == [before], f"resume saved episode {new}, expected {before} (after repair)"
        frames.update(episode_frames(out))
        trial.episodes_after_resume = check_dataset(root, trial.reported_saved + new, frames)
        assert trial.episodes_after_resume == before + 1
        trial.ok = True
    except AssertionError as exc:
        trial.problem = str(exc)
    return trial


def rng_target(trial: Trial, rec: Recorder) -> bool:
    """Wait for the moment of the trial's kind (the random delay is slept after it)."""
    ep = trial.index % 3  # which episode the kill aims at
    if trial.kind == "frame":
        return rec.wait_for(rf"Recording episode {ep}\b")
    if trial.kind in ("save", "encode"):
        return rec.wait_for(rf"Episode {ep} done")
    return rec.wait_for(r"Stop recording")


def main(argv: list[str] | None = None) -> int:
    """Run the trials (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the trials here")
    args = parser.parse_args(argv)

    from lr_motors.emulator import ServoEmulator, robot_servos

    rng = random.Random(args.seed)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lr-kill9-"))
    workdir.mkdir(parents=True, exist_ok=True)
    home = workdir / "calibration"
    env = {**os.environ, "HF_LEROBOT_CALIBRATION": str(home), "PYTHONUNBUFFERED": "1"}
    trials: list[Trial] = []
    started = time.monotonic()
    with (
        ServoEmulator(robot_servos("so101", "follower")) as follower,
        ServoEmulator(robot_servos("so101", "leader")) as leader,
    ):
        install_calibrations(home, follower, leader)
        for i in range(args.trials):
            kind = KINDS[i % len(KINDS)]
            delay = {
                "frame": rng.uniform(0.05, EPISODE_S - 0.1),
                "save": rng.uniform(0.0, 0.25),
                "encode": rng.uniform(0.0, 0.05),
                "finalize": rng.uniform(0.0, 0.12),
            }[kind]
            leader.move("elbow_flex", rng.randint(1200, 2800))
            trial = run_trial(Trial(i, kind, delay), workdir, follower, leader, env)
            trials.append(trial)
            status = "ok" if trial.ok else f"FAILED: {trial.problem}"
            print(
                f"trial {i:3d} {kind:8s} +{delay * 1e3:5.0f} ms  killed={trial.killed!s:5s} "
                f"saved={trial.reported_saved} on disk={trial.episodes_after_kill} "
                f"after resume={trial.episodes_after_resume}"
                + (f" (resume retried {trial.resume_retries}x)" if trial.resume_retries else "")
                + (f" (session rerun {trial.session_retries}x)" if trial.session_retries else "")
                + f"  {status}",
                flush=True,
            )
    passed = sum(t.ok for t in trials)
    killed = {k: sum(t.killed for t in trials if t.kind == k) for k in KINDS}
    tried = {k: sum(t.kind == k for t in trials) for k in KINDS}
    print(
        f"{passed}/{len(trials)} trials passed in {time.monotonic() - started:.0f} s "
        f"(seed {args.seed}); killed while running: "
        + ", ".join(f"{k} {killed[k]}/{tried[k]}" for k in KINDS)
        + " (the others had finished first: checked all the same)"
    )
    if args.json:
        args.json.write_text(json.dumps([asdict(t) for t in trials], indent=2))
    if args.workdir is None and passed == len(trials):
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if passed == len(trials) else 1


if __name__ == "__main__":
    sys.exit(main())
