"""``lr client``: parse a :class:`RobotClientConfig`, run the robot, print the summary."""

from __future__ import annotations

import json

from lr_core.config import parse_cli
from lr_inference.commands import setup_logging
from lr_inference.configs import RobotClientConfig


def main(argv: list[str]) -> int:
    """``lr client --robot.type=so101_follower --robot.port=… --server_address=gpu:8080
    --policy_type=act --pretrained_name_or_path=user/act --actions_per_chunk=50``."""
    cfg = parse_cli(RobotClientConfig, argv, prog="lr client")
    setup_logging()
    from lr_inference.robot_client import RobotClient

    stats = RobotClient(cfg).run()
    summary = {k: v for k, v in stats.to_dict().items() if k not in ("queue_sizes", "timing")}
    print("lr client: " + json.dumps(summary))
    return 0
