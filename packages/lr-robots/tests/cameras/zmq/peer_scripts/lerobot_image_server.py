"""Peer side: LeRobot 0.6.1's ImageServer publishing a fixed RGB frame until killed.

LeRobot's server builds OpenCV cameras from device ids; with no device here, its capture
thread is given a stand-in camera whose ``read()`` returns the frame in IN.npy (RGB, as
LeRobot's OpenCVCamera returns). Encoding (cv2.imencode + base64), the JSON layout and the
PUB socket are LeRobot's own.

Usage: python lerobot_image_server.py PORT IN.npy
"""

import sys
import time

import numpy as np
from lerobot.cameras.zmq.image_server import CameraCaptureThread, ImageServer

port, frame = int(sys.argv[1]), np.load(sys.argv[2])


class StandInCamera:
    def read(self):
        time.sleep(1 / 30)
        return frame

    def disconnect(self):
        pass


server = ImageServer({"fps": 30, "cameras": {}}, port=port)
server.capture_threads["head"] = CameraCaptureThread(StandInCamera(), "head")
print("READY", flush=True)
server.run()
