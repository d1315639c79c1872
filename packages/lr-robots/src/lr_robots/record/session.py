"""``lr record``: a recording session from the command line to a dataset on disk (and the Hub).

Order (LeRobot 0.6.1's ``lerobot_record.record`` unless said):

1. Build the robot, the teleoperator and, with ``--policy.path``, load the policy (lr-policies,
   found through lr-core's ``lr.policy_runners`` registry) and check that its inputs and
   outputs fit the robot — all before anything is written or moves.
2. Open the dataset: ``--resume`` checks robot type, fps and features against the robot (the
   error names every difference), then repairs and reopens it; otherwise the folder must be new.
   Either way the folder must be writable with room for an episode (:mod:`.preflight`).
3. Connect the teleoperator, then the robot, with SIGTERM/SIGHUP handled like Ctrl-C.
4. For each episode: the episode phase (:func:`~lr_robots.record.loop.run_phase`), then
   ``save_episode(background=True)``: the next phase starts at once while the episode is
   committed (the "saved" line is printed only when it is on disk); then a reset phase
   (teleoperator live, nothing stored) unless it was the last. Re-record discards the episode.
5. Whatever ends the session (the last episode, the stop key, Ctrl-C, an error), the robot is
   disconnected first (torque off, or holding); then the episode in flight is discarded (or
   saved, with ``--on_interrupt=save``), background saves are awaited, the dataset finalized,
   and with ``--dataset.push_to_hub`` uploaded.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lr_core.errors import ConfigError, FeatureError
from lr_core.features import FeatureSpec, FeatureType
from lr_robots.record.config import RecordConfig
from lr_robots.record.events import RecordControls
from lr_robots.record.frames import dataset_features
from lr_robots.record.interrupts import InterruptGate
from lr_robots.record.loop import Driver, PhaseReport, run_phase
from lr_robots.record.preflight import check_free_space, check_writable

logger = logging.getLogger(__name__)

#: the features every dataset has, left out of the resume comparison
DEFAULT_KEYS = ("timestamp", "frame_index", "episode_index", "index", "task_index")


def say(text: str) -> None:
    """LeRobot's ``log_say`` without the voice: one line on stdout, flushed."""
    print(text, flush=True)


@dataclass
class RecordResult:
    """What a session did."""

    root: Path
    repo_id: str
    #: indices of the episodes saved in this session
    saved: list[int] = field(default_factory=list)
    #: one report per episode phase (discarded ones included), in order
    episodes: list[PhaseReport] = field(default_factory=list)
    #: seconds each ``save_episode`` call blocked the loop
    save_block_s: list[float] = field(default_factory=list)
    stopped_by: str | None = None
    pushed: str | None = None


def feature_differences(
    stored: Mapping[str, FeatureSpec], wanted: Mapping[str, FeatureSpec]
) -> list[str]:
    """What differs between a dataset's features and those this session would record
    (``info`` left out, as LeRobot's check does), one line per difference."""
    out = []
    stored = {k: v for k, v in stored.items() if k not in DEFAULT_KEYS}
    for key in sorted(set(stored) - set(wanted)):
        out.append(f"feature {key!r} is in the dataset but the robot does not give it")
    for key in sorted(set(wanted) - set(stored)):
        out.append(f"feature {key!r} comes from the robot but the dataset does not have it")
    for key in sorted(set(stored) & set(wanted)):
        a, b = stored[key], wanted[key]
        for attr in ("dtype", "shape", "names"):
            va, vb = getattr(a, attr), getattr(b, attr)
            va = list(va) if isinstance(va, (tuple, list)) else va
            vb = list(vb) if isinstance(vb, (tuple, list)) else vb
            if va != vb:
                out.append(f"feature {key!r}: {attr} {va} in the dataset, {vb} from the robot")
    return out


def check_resume(meta: Any, robot_type: str, fps: int, features: Mapping[str, FeatureSpec]) -> None:
    """LeRobot's ``sanity_check_dataset_robot_compatibility``: robot type, fps, features.

    Raises:
        ConfigError: listing every difference, and the fix.
    """
    problems = []
    if meta.robot_type != robot_type:
        problems.append(f"robot_type: {meta.robot_type!r} in the dataset, {robot_type!r} now")
    if int(meta.fps) != int(fps):
        problems.append(f"fps: {meta.fps} in the dataset, --dataset.fps={fps} now")
    problems += feature_differences(meta.features, features)
    if problems:
        raise ConfigError(
            f"cannot resume {meta.root}: it was recorded differently:\n  - "
            + "\n  - ".join(problems)
            + "\nrecord with the same robot, cameras, fps and --dataset.video as the dataset, "
            "or into a new --dataset.repo_id / --dataset.root"
        )


def check_policy(policy: Any, features: Mapping[str, FeatureSpec]) -> None:
    """The policy's inputs exist in what the robot gives (with the same shapes) and its action
    has as many values as the robot takes.

    Raises:
        ConfigError: naming the key and both shapes.
    """
    problems = []
    for key, feature in policy.input_features.items():
        spec = features.get(key)
        if spec is None:
            problems.append(f"the policy reads {key!r}, which the robot does not give")
            continue
        shape = tuple(spec.shape)
        if feature.type is FeatureType.VISUAL:
            shape = (shape[2], shape[0], shape[1])  # the policy sees channels first
        if tuple(feature.shape) != shape:
            problems.append(
                f"{key!r}: the policy was trained on shape {tuple(feature.shape)}, the robot "
                f"gives {shape}"
            )
    action = policy.output_features.get("action")
    wanted = features["action"]
    if action is not None and tuple(action.shape) != tuple(wanted.shape):
        problems.append(
            f"the policy outputs actions of shape {tuple(action.shape)}, the robot takes "
            f"{tuple(wanted.shape)} ({', '.join(wanted.names or [])})"
        )
    if problems:
        raise ConfigError(
            "the policy does not fit this robot:\n  - "
            + "\n  - ".join(problems)
            + "\nconfigure the robot's cameras as in training, or map keys with "
            "--policy.rename_map"
        )


def open_dataset(cfg: RecordConfig, robot: Any, features: Mapping[str, FeatureSpec]) -> Any:
    """Create (or, with ``--resume``, reopen) the dataset, after the folder checks."""
    from lr_dataset.dataset import LeRobotDataset
    from lr_dataset.metadata import LeRobotDatasetMetadata, resolve_root
    from lr_dataset.video.encode import VideoEncoderConfig

    ds = cfg.dataset
    frames = math.ceil(ds.episode_time_s * ds.fps)
    enc = ds.rgb_encoder
    encoder = VideoEncoderConfig(
        vcodec=enc.vcodec, pix_fmt=enc.pix_fmt, g=enc.g, crf=enc.crf, preset=enc.preset,
        fast_decode=enc.fast_decode, extra_options=dict(enc.extra_options),
    )  # fmt: skip
    if cfg.resume:
        root = resolve_root(ds.repo_id, ds.root)
        if not (root / "meta/info.json").is_file():
            raise ConfigError(
                f"--resume=true: there is no dataset at {root} (no meta/info.json); record "
                f"without --resume to start one"
            )
        check_writable(root)
        check_free_space(root, features, frames)
        check_resume(LeRobotDatasetMetadata(ds.repo_id, root=root), robot.name, ds.fps, features)
        return LeRobotDataset.resume(
            ds.repo_id,
            root=root,
            encoder_threads=ds.encoder_threads,
            encoder_queue_maxsize=ds.encoder_queue_maxsize,
        )
    ds.stamp_repo_id()
    root = resolve_root(ds.repo_id, ds.root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ConfigError(
            f"{root} already exists: add episodes to it with --resume=true, or record into "
            f"another --dataset.root"
        )
    check_writable(root)
    check_free_space(root, features, frames)
    return LeRobotDataset.create(
        ds.repo_id,
        ds.fps,
        features,
        root=root,
        robot_type=robot.name,
        use_videos=ds.video,
        video_encoder=encoder,
        encoder_threads=ds.encoder_threads,
        encoder_queue_maxsize=ds.encoder_queue_maxsize,
    )


class _Display:
    """Feeds rerun with the episode / frame timelines set (see :mod:`lr_robots.visualization`)."""

    def __init__(self, cfg: RecordConfig) -> None:
        from lr_robots.visualization import RerunDisplay

        self.rerun = RerunDisplay(
            "recording",
            ip=cfg.display_ip,
            port=cfg.display_port,
            save_path=cfg.display_save,
            compress_images=cfg.display_compressed_images,
        )
        self.episode: int | None = None
        self.frame = 0

    def phase(self, episode: int | None) -> None:
        self.episode, self.frame = episode, 0

    def __call__(self, observation: dict[str, Any], action: dict[str, Any] | None) -> None:
        self.rerun.set_frame(self.episode, self.frame if self.episode is not None else None)
        self.rerun.log(observation, action)
        self.frame += 1


def record(cfg: RecordConfig) -> RecordResult:
    """Run a recording session (see the module docstring); returns what it did."""
    from lr_core.errors import require

    require("lr_dataset", "dataset", "lr-robots")
    from lr_robots.control.safety import deferred_signals
    from lr_robots.control.session import run_safely
    from lr_robots.devices import make_robot_from_config, make_teleoperator_from_config

    ds = cfg.dataset
    cfg.check_repo_id()
    if not ds.single_task.strip():
        raise ConfigError('give --dataset.single_task="<what the episodes show>"')
    robot = make_robot_from_config(cfg.robot)
    teleop = make_teleoperator_from_config(cfg.teleop) if cfg.teleop is not None else None
    features = dataset_features(robot.action_features, robot.observation_features,
                                use_video=ds.video)  # fmt: skip
    if teleop is not None and cfg.policy is None:
        missing = sorted(set(features["action"].names or []) - set(teleop.action_features))
        if missing and teleop.action_features:
            raise FeatureError(
                f"the teleoperator {cfg.teleop.type} does not give {missing}, which "  # type: ignore[union-attr]
                f"{cfg.robot.type} takes; it gives {sorted(teleop.action_features)}"
            )
    policy = None
    if cfg.policy is not None:
        from lr_core.policy_runner import load_policy_runner

        say(f"Loading the policy {cfg.policy.path}")
        policy = load_policy_runner(
            cfg.policy.path,
            device=cfg.policy.device,
            num_threads=cfg.policy.num_threads,
            rename_map=cfg.policy.rename_map,
            use_amp=cfg.policy.use_amp,
        )
        check_policy(policy, features)
    # everything that can fail on its own (a missing rerun) before the dataset folder exists
    display = _Display(cfg) if cfg.display_data else None
    dataset = open_dataset(cfg, robot, features)
    result = RecordResult(root=Path(dataset.root), repo_id=ds.repo_id)
    result_saved = result.saved

    def on_saved(index: int, seconds: float) -> None:
        result_saved.append(index)
        say(f"Episode {index} saved ({seconds:.1f} s after it ended)")

    dataset.writer.on_saved = on_saved
    driver = Driver(teleop=teleop, policy=policy, features=dataset.features,
                    task=ds.single_task, robot_type=robot.name)  # fmt: skip
    say(f"Recording into {dataset.root} ({ds.repo_id}), {dataset.meta.total_episodes} episodes "
        f"there so far")  # fmt: skip

    def body() -> None:
        controls = RecordControls.open(cfg.keyboard, teleop)
        try:
            say("Keys:\n" + controls.describe())
            with InterruptGate() as gate:
                _episodes(cfg, robot, driver, controls, dataset, display, result, gate)
        finally:
            controls.close()

    failure: BaseException | None = None
    try:
        result.stopped_by = run_safely([robot], [teleop] if teleop is not None else [], body)
    except BaseException as exc:
        failure = exc
        raise
    finally:
        driver.close()
        if policy is not None:
            policy.close()
        if display is not None:
            display.rerun.close()
        with deferred_signals():
            try:
                _close_dataset(cfg, dataset, result)
            except Exception as exc:
                if failure is None:
                    raise
                # the session's own error (already naming the robot's state) is the one to see
                logger.error("closing the dataset after the error: %s", exc)
    if result.stopped_by:
        say(f"Stopped by {result.stopped_by}")
    if ds.push_to_hub:
        result.pushed = _push(cfg, dataset, result)
    return result


def _episodes(cfg: RecordConfig, robot: Any, driver: Driver, controls: RecordControls,
              dataset: Any, display: _Display | None, result: RecordResult,
              gate: InterruptGate) -> None:  # fmt: skip
    ds = cfg.dataset
    events = controls.events
    recorded = 0
    use_policy = driver.policy is not None
    driver.warm_up(robot)
    while recorded < ds.num_episodes and not events.stop_recording:
        index = dataset.writer.next_episode_index
        with gate.hold():  # the encoders' start-up costs the loop nothing once they are open
            dataset.prepare_episode()
        say(f"Recording episode {index}")
        if driver.policy is not None:
            driver.policy.reset()
        if display is not None:
            display.phase(index)
        report = run_phase(robot, driver, controls, fps=ds.fps, duration_s=ds.episode_time_s,
                           dataset=dataset, use_policy=use_policy, display=display,
                           gate=gate)  # fmt: skip
        result.episodes.append(report)
        rerecord = events.rerecord_episode
        saved_now = False
        events.exit_early = False
        if rerecord:
            events.rerecord_episode = False
            with gate.hold():
                dataset.clear_episode_buffer()
            say(f"Re-record episode {index}: {report.frames} frames discarded")
        elif report.frames == 0:
            say(f"Episode {index} has no frames; nothing to save")
        else:
            started = time.perf_counter()
            with gate.hold():
                dataset.save_episode(background=True)
                result.save_block_s.append(time.perf_counter() - started)
                recorded += 1
                saved_now = True
            say(f"Episode {index} done: {report.summary()}; saving in the background "
                f"(the loop waited {result.save_block_s[-1] * 1e3:.1f} ms)")  # fmt: skip
        if events.stop_recording:
            break
        last = recorded >= ds.num_episodes
        if ds.reset_time_s > 0 and (not last or rerecord):
            say("Reset the environment")
            with gate.hold():  # open the next episode's encoders while nothing is stored
                dataset.prepare_episode(wait=False)
            if display is not None:
                display.phase(None)
            reset = run_phase(robot, driver, controls, fps=ds.fps, duration_s=ds.reset_time_s,
                              display=display, gate=gate)  # fmt: skip
            if events.rerecord_episode and not events.stop_recording and saved_now:
                # LeRobot's re-record after the episode ended: it is already on disk, so it is
                # removed again (crash-safely) and recorded anew
                with gate.hold():
                    dataset.discard_last_episode()
                    if index in result.saved:
                        result.saved.remove(index)
                    recorded -= 1
                say(f"Re-record episode {index}: the saved episode was removed")
            events.exit_early = events.rerecord_episode = False
            logger.debug("reset phase: %s", reset.summary())
    say("Stop recording")


def _close_dataset(cfg: RecordConfig, dataset: Any, result: RecordResult) -> None:
    """The episode in flight is saved or discarded, background saves awaited, the dataset
    finalized (signals deferred: the robot is already safe)."""
    if dataset.has_pending_frames:
        frames = dataset.writer.num_buffered_frames
        if cfg.on_interrupt == "save" and result.stopped_by is not None:
            dataset.save_episode()
            say(f"The interrupted episode was saved ({frames} frames, --on_interrupt=save)")
        else:
            dataset.clear_episode_buffer()
            say(f"The episode in progress was discarded ({frames} frames; "
                "--on_interrupt=save keeps it)")  # fmt: skip
    dataset.finalize()
    meta = dataset.meta
    if not cfg.resume and meta.total_episodes == 0:
        # created by this session and nothing in it: leave no folder that a retry would refuse
        import shutil

        shutil.rmtree(meta.root, ignore_errors=True)
        say(f"Nothing was recorded: the new dataset folder {meta.root} was removed")
        return
    say(f"Dataset {meta.root}: {meta.total_episodes} episodes, {meta.total_frames} frames "
        f"({len(result.saved)} saved in this session)")  # fmt: skip


def _push(cfg: RecordConfig, dataset: Any, result: RecordResult) -> str | None:
    from lr_dataset.tools.hub import push

    if dataset.meta.total_episodes == 0:
        logger.warning("no episodes saved: nothing pushed to the Hub")
        return None
    say(f"Pushing {cfg.dataset.repo_id} to the Hub")
    url = push(dataset.root, cfg.dataset.repo_id, private=cfg.dataset.private,
               tags=cfg.dataset.tags)  # fmt: skip
    say(f"Pushed: {url}")
    return url


def record_main(argv: list[str]) -> int:
    """``lr record``: parse the flags and run :func:`record`."""
    from lr_core.config import parse_cli

    cfg = parse_cli(RecordConfig, argv, prog="lr record")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = record(cfg)
    if result.stopped_by:
        print(f"stopped by {result.stopped_by}", file=sys.stderr)
    return 0
