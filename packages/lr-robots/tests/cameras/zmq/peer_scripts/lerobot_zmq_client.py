"""Peer side: LeRobot 0.6.1's ZMQCamera reads one frame from a server; saves it as .npy.

Usage: python lerobot_zmq_client.py PORT OUT.npy
"""

import json
import sys

import numpy as np
from lerobot.cameras.zmq import ZMQCamera, ZMQCameraConfig

port, out = int(sys.argv[1]), sys.argv[2]
camera = ZMQCamera(ZMQCameraConfig(server_address="127.0.0.1", port=port, camera_name="head"))
camera.connect()
try:
    frame = camera.async_read(timeout_ms=5000)
finally:
    camera.disconnect()
np.save(out, frame)
print("RESULT " + json.dumps({"shape": list(frame.shape), "dtype": str(frame.dtype)}))
