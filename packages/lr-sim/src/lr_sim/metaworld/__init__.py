"""Meta-World tasks (the ``metaworld`` package) with LeRobot's observation keys."""
