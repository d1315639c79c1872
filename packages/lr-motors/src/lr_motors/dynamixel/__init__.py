"""Dynamixel X-series servos (Protocol 2.0): control tables, packet codec and the bus."""
