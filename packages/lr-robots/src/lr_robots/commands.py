"""The ``lr`` subcommands lr-robots contributes (``lr.commands`` entry points); cheap to import."""

from __future__ import annotations

from lr_core.cli import Command

calibrate = Command(
    help="calibrate a robot or teleoperator (--robot.type=so101_follower --robot.port=… "
    "--robot.id=…)",
    run="lr_robots.cli:calibrate_main",
)

teleoperate = Command(
    help="drive a robot with a teleoperator (--robot.* --teleop.* --fps=60 --teleop_time_s=…)",
    run="lr_robots.cli:teleoperate_main",
)

replay = Command(
    help="replay a recorded episode on a robot (--robot.* --dataset.root=… --dataset.episode=N)",
    run="lr_robots.cli:replay_main",
)

lekiwi_host = Command(
    help="run LeKiwi's host on the robot: commands in, observations out over ZeroMQ "
    "(--robot.id=… --robot.port=… --host.connection_time_s=…)",
    run="lr_robots.robots.lekiwi.lekiwi_host:main",
)

record = Command(
    help="record episodes into a LeRobotDataset (--robot.* --teleop.* or --policy.path=… "
    "--dataset.repo_id=… --dataset.single_task=… --dataset.num_episodes=N)",
    run="lr_robots.record.session:record_main",
)
