"""The ``opencv`` camera (optional extra ``lr-robots[opencv]``), as LeRobot's."""
