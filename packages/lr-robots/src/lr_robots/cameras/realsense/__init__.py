"""The ``intelrealsense`` camera (optional extra ``lr-robots[intelrealsense]``), as LeRobot's."""
