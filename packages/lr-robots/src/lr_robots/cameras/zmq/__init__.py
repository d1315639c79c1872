"""The ``zmq`` network camera and its image server (LeRobot 0.6.1's message layout)."""
