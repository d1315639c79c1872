"""The ``gamepad`` teleoperator (optional extra ``lr-robots[gamepad]``: pygame / SDL)."""
