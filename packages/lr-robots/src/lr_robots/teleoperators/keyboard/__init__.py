"""Keyboard teleoperators: ``keyboard`` (joint jog), ``keyboard_ee`` (end effector through the
SO-101's kinematics), ``keyboard_rover`` (LeRobot's rover keys) and ``keyboard_base`` (LeKiwi's
base keys)."""
