"""An example lr robot plugin: a three-joint desk arm on Feetech STS3215 servos, and its leader."""
