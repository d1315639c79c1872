"""Feetech STS/SMS/SCS servos: wire protocol, control tables and the bus."""
