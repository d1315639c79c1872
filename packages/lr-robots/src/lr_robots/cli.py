"""What ``lr calibrate``, ``lr teleoperate`` and ``lr replay`` run, with LeRobot's flags.

::

    lr calibrate --robot.type=so101_follower --robot.port=/dev/ttyACM0 --robot.id=black
    lr teleoperate --robot.type=so101_follower --robot.port=... --robot.id=black \\
        --teleop.type=so101_leader --teleop.port=... --teleop.id=blue --fps=60
    lr replay --robot.type=so101_follower --robot.port=... --robot.id=black \\
        --dataset.root=data/pick --dataset.episode=0

Configs are parsed by :func:`lr_core.config.parse_cli`; the robot and teleoperator types come
from the ``lr.robots`` / ``lr.teleoperators`` registries, so plugins work the same.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from lr_core.config import LrConfig, parse_cli
from lr_core.devices import RobotConfig, TeleoperatorConfig
from lr_core.errors import ConfigError

logger = logging.getLogger(__name__)


def _init_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


class CalibrateConfig(LrConfig):
    """``lr calibrate``: give either ``--robot.type=...`` or ``--teleop.type=...`` (with their
    ``port`` and ``id``); the calibration file goes to the user calibration folder under the id."""

    robot: RobotConfig | None = None
    teleop: TeleoperatorConfig | None = None


class TeleoperateConfig(LrConfig):
    """``lr teleoperate``: the leader (``--teleop.*``) drives the follower (``--robot.*``) at
    ``--fps`` for ``--teleop_time_s`` seconds (until Ctrl-C or SIGTERM when unset); loop-time
    statistics are printed at the end. ``--display_data=true`` streams observations, actions and
    camera frames to rerun (``lr-robots[viz]``; a remote viewer with ``--display_ip`` /
    ``--display_port``, or a ``.rrd`` file with ``--display_save``)."""

    teleop: TeleoperatorConfig
    robot: RobotConfig
    fps: int = 60
    """Limit the maximum frames (leader reads, follower commands) per second."""
    teleop_time_s: float | None = None
    """Stop after this many seconds (default: until Ctrl-C or SIGTERM)."""
    display_data: bool = False
    """Stream observations, actions and camera frames to rerun (pip install 'lr-robots[viz]')."""
    display_mode: str = "rerun"
    """Viewer backend: rerun (LeRobot's foxglove is refused: not in lr)."""
    display_ip: str | None = None
    """IP of a remote rerun viewer (default: spawn a local viewer)."""
    display_port: int | None = None
    """Port of the remote rerun viewer (with display_ip)."""
    display_compressed_images: bool = False
    """Send camera frames JPEG-compressed (always so with a remote viewer)."""
    display_save: Path | None = None
    """Write the rerun recording to this .rrd file instead of showing a viewer (lr's)."""


class DatasetReplayConfig(LrConfig):
    """Which episode to replay: ``root`` (a local dataset folder; default
    ``$HF_LEROBOT_HOME/<repo_id>``), ``episode`` (its index) and ``fps`` (default: the
    dataset's own)."""

    repo_id: str | None = None
    """Dataset identifier, '{hf_username}/{dataset_name}' (e.g. lerobot/test); its folder
    is $HF_LEROBOT_HOME/<repo_id> unless root is given."""
    episode: int
    """Episode to replay (its index)."""
    root: Path | None = None
    """Local dataset folder (default: $HF_LEROBOT_HOME/<repo_id>)."""
    fps: int | None = None
    """Replay rate in frames per second (default: the dataset's fps)."""


class ReplayConfig(LrConfig):
    """``lr replay``: send a recorded episode's actions to ``--robot.*`` at the dataset's fps,
    through the robot's clamps (calibrated range, ``max_relative_target``)."""

    robot: RobotConfig
    dataset: DatasetReplayConfig
    play_sounds: bool = False
    """Use vocal synthesis to read events (LeRobot's option; accepted, lr stays silent)."""


def calibrate_main(argv: list[str]) -> int:
    """Run ``lr calibrate``."""
    from lr_robots.control.safety import shutdown, stop_signals
    from lr_robots.devices import make_robot_from_config, make_teleoperator_from_config

    cfg = parse_cli(CalibrateConfig, argv, prog="lr calibrate")
    if (cfg.robot is None) == (cfg.teleop is None):
        raise ConfigError("lr calibrate: choose either a robot (--robot.type=...) or a "
                          "teleoperator (--teleop.type=...)")  # fmt: skip
    _init_logging()
    device = (
        make_robot_from_config(cfg.robot)
        if cfg.robot is not None
        else make_teleoperator_from_config(cfg.teleop)  # type: ignore[arg-type]
    )
    with stop_signals():
        try:
            device.connect(calibrate=False)
            device.calibrate()
        finally:
            errors = shutdown(device)
    if errors:
        raise errors[0]
    return 0


def _display(cfg: TeleoperateConfig):  # -> RerunDisplay | None
    """The rerun view ``--display_data=true`` asks for (LeRobot's session name)."""
    if not cfg.display_data:
        return None
    if cfg.display_mode != "rerun":
        raise ConfigError(f"--display_mode={cfg.display_mode!r}: lr displays with rerun only")
    from lr_robots.visualization import RerunDisplay

    return RerunDisplay(
        "teleoperation",
        ip=cfg.display_ip,
        port=cfg.display_port,
        save_path=cfg.display_save,
        compress_images=cfg.display_compressed_images,
    )


def teleoperate_main(argv: list[str]) -> int:
    """Run ``lr teleoperate``; prints the loop statistics at the end."""
    from lr_robots.control.loops import teleop_loop
    from lr_robots.control.session import run_safely
    from lr_robots.control.timing import LoopStats
    from lr_robots.devices import make_robot_from_config, make_teleoperator_from_config

    cfg = parse_cli(TeleoperateConfig, argv, prog="lr teleoperate")
    if cfg.fps <= 0:
        raise ConfigError(f"--fps must be positive, got {cfg.fps}")
    _init_logging()
    display = _display(cfg)
    teleop = make_teleoperator_from_config(cfg.teleop)
    robot = make_robot_from_config(cfg.robot)
    stats = LoopStats()

    def body() -> None:
        stats.started = time.perf_counter()
        teleop_loop(teleop, robot, cfg.fps, cfg.teleop_time_s,
                    display=display.log if display is not None else None,
                    stats=stats)  # fmt: skip

    try:
        stopped = run_safely([robot], [teleop], body)
    finally:
        if display is not None:
            display.close()
        if stats.count:
            print(f"\nteleoperate at {cfg.fps} Hz target: {stats.summary()}")
    if stopped:
        print(f"stopped by {stopped}", file=sys.stderr)
    return 0


def load_episode_actions(cfg: DatasetReplayConfig) -> tuple[list[dict[str, float]], float]:
    """The actions of one episode as ``[{name: value}]`` and the dataset's fps."""
    from lr_core.errors import require

    require("lr_dataset", "dataset", "lr-robots")
    from lr_robots.replay import episode_actions

    return episode_actions(cfg.repo_id, cfg.root, cfg.episode)


def replay_main(argv: list[str]) -> int:
    """Run ``lr replay``."""
    from lr_robots.control.loops import replay_loop
    from lr_robots.control.session import run_safely
    from lr_robots.control.timing import LoopStats
    from lr_robots.devices import make_robot_from_config

    cfg = parse_cli(ReplayConfig, argv, prog="lr replay")
    _init_logging()
    actions, dataset_fps = load_episode_actions(cfg.dataset)
    fps = cfg.dataset.fps or dataset_fps
    robot = make_robot_from_config(cfg.robot)
    missing = sorted({k for a in actions[:1] for k in a} - set(robot.action_features))
    if missing:
        raise ConfigError(
            f"episode {cfg.dataset.episode} has actions {missing} that {cfg.robot.type} does not "
            f"take (its actions: {', '.join(robot.action_features)})"
        )
    stats = LoopStats()
    print(f"Replaying episode {cfg.dataset.episode}: {len(actions)} actions at {fps} fps")

    def body() -> None:
        stats.started = time.perf_counter()
        replay_loop(robot, actions, fps, stats=stats)

    try:
        stopped = run_safely([robot], [], body)
    finally:
        if stats.count:
            print(f"replayed {stats.count}/{len(actions)} actions: {stats.summary()}")
    if stopped:
        print(f"stopped by {stopped}", file=sys.stderr)
    return 0
