"""``HomunculusArm`` and ``HomunculusGlove``: HopeJR's exoskeleton arm and data glove
(LeRobot's ``homunculus_arm`` / ``homunculus_glove``).

Each is an ESP32 printing one line of space-separated integers per reading over USB serial
(115200 bps): the glove sixteen joint sensors, the arm sixteen raw values and five angles. A
background thread keeps the newest complete line; readings are smoothed with LeRobot's
exponential moving average (span 10 on the glove, 50 on the arm), then normalised with the
calibration: ranges recorded by moving the joints (finger by finger on the glove) and saved in
LeRobot's file format (id = joint index, offset 0, ``drive_mode`` 1 for inverted joints).

The glove's action is already the HopeJR hand's: flexion and abduction sensors are mixed into the
radial / ulnar tendon commands with LeRobot's splay factors (:func:`glove_to_hope_jr_hand`).
These sensors are potentiometers, not encoders: nothing wraps.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

from lr_core.errors import (
    CalibrationError,
    DeviceAlreadyConnectedError,
    DeviceNotConnectedError,
    HardwareError,
)
from lr_core.features import HardwareFeatures
from lr_core.motors import MotorCalibration, MotorNormMode
from lr_core.teleoperator import Teleoperator
from lr_motors.calibration import enter_pressed, print_table
from lr_motors.normalization import normalize
from lr_robots.teleoperators.homunculus.config import HomunculusArmConfig, HomunculusGloveConfig

logger = logging.getLogger(__name__)

M100, P100 = MotorNormMode.RANGE_M100_100, MotorNormMode.RANGE_0_100

GLOVE_JOINTS: dict[str, MotorNormMode] = {
    "thumb_cmc": P100, "thumb_mcp": P100, "thumb_pip": P100, "thumb_dip": P100,
    "index_mcp_abduction": M100, "index_mcp_flexion": P100, "index_dip": P100,
    "middle_mcp_abduction": M100, "middle_mcp_flexion": P100, "middle_dip": P100,
    "ring_mcp_abduction": M100, "ring_mcp_flexion": P100, "ring_dip": P100,
    "pinky_mcp_abduction": M100, "pinky_mcp_flexion": P100, "pinky_dip": P100,
}  # fmt: skip
GLOVE_INVERSIONS = {
    "left": ("thumb_cmc", "index_dip", "middle_mcp_abduction", "middle_dip",
             "pinky_mcp_abduction", "pinky_dip"),
    "right": ("thumb_mcp", "thumb_cmc", "thumb_pip", "thumb_dip", "index_mcp_abduction",
              "middle_mcp_abduction", "ring_mcp_abduction", "ring_mcp_flexion",
              "pinky_mcp_abduction"),
}  # fmt: skip
#: the arm's joints and the column of the board's 21-value line each comes from
ARM_COLUMNS: dict[str, int] = {
    "shoulder_pitch": 19, "shoulder_yaw": 18, "shoulder_roll": 20, "elbow_flex": 17,
    "wrist_roll": 16, "wrist_yaw": 1, "wrist_pitch": 0,
}  # fmt: skip
#: LeRobot's splay factors: how much of an abduction sensor goes into each tendon
SPLAY = {"index": 0.3, "middle": 0.3, "ring": 0.3, "pinky": 0.5}


def glove_to_hope_jr_hand(glove: dict[str, float]) -> dict[str, float]:
    """Glove joints (normalised) → HopeJR hand actions (LeRobot's
    ``homunculus_glove_to_hope_jr_hand``: ``radial = abd·s + flex·(1-s)``,
    ``ulnar = -abd·s + flex·(1-s)``)."""
    out = {f"thumb_{j}.pos": glove[f"thumb_{j}.pos"] for j in ("cmc", "mcp", "pip", "dip")}
    for finger, s in SPLAY.items():
        flex, abd = glove[f"{finger}_mcp_flexion.pos"], glove[f"{finger}_mcp_abduction.pos"]
        out[f"{finger}_radial_flexor.pos"] = abd * s + flex * (1 - s)
        out[f"{finger}_ulnar_flexor.pos"] = -abd * s + flex * (1 - s)
        out[f"{finger}_pip_dip.pos"] = glove[f"{finger}_dip.pos"]
    return out


class LineSensorDevice(Teleoperator):
    """A board streaming integer lines (see the module docstring)."""

    name: ClassVar[str]
    joints: ClassVar[dict[str, MotorNormMode]]
    #: values per line
    line_length: ClassVar[int]
    #: span of the exponential moving average (alpha = 2 / (span + 1))
    ema_span: ClassVar[int]

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.config = config
        self._serial: Any = None
        self._state: dict[str, int] | None = None
        self._ema: dict[str, float] = {}
        self._fresh = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._partial = b""

    @property
    def label(self) -> str:
        """``"homunculus_glove 'left' on /dev/ttyUSB0"``."""
        return f"{self.name} {self.id!r} on {self.config.port}"

    def parse(self, values: list[int]) -> dict[str, int]:
        """Joint readings from one line's integers."""
        return dict(zip(self.joints, values, strict=True))

    @property
    def feedback_features(self) -> HardwareFeatures:
        """None: the boards take no feedback."""
        return {}

    @property
    def is_connected(self) -> bool:
        """Whether the port is open and the reader thread runs."""
        return self._serial is not None and self._thread is not None and self._thread.is_alive()

    def connect(self, calibrate: bool = True, timeout_s: float = 2.0) -> None:
        """Open the port, wait for a first complete line, calibrate when asked and no file
        exists. Raises :class:`~lr_core.errors.HardwareError` naming the port when nothing
        arrives within ``timeout_s``."""
        import serial

        if self.is_connected:
            raise DeviceAlreadyConnectedError(f"{self.label} is already connected")
        try:
            self._serial = serial.Serial(self.config.port, self.config.baud_rate, timeout=0.1)
        except serial.SerialException as exc:
            raise HardwareError(f"{self.label}: cannot open the port: {exc}") from exc
        self._stop.clear()
        self._thread = threading.Thread(target=self._read_loop, daemon=True, name=self.label)
        self._thread.start()
        if not self._fresh.wait(timeout_s):
            self.disconnect()
            raise HardwareError(
                f"{self.label}: no line of {self.line_length} numbers within {timeout_s} s; is "
                f"the board flashed and on this port at {self.config.baud_rate} bps?"
            )
        if calibrate and not self.is_calibrated:
            self.calibrate()
        logger.info("%s connected", self)

    def _read_loop(self) -> None:
        ser = self._serial
        while not self._stop.is_set():
            try:
                chunk = ser.read(max(1, ser.in_waiting))
            except Exception as exc:  # the port vanished: remembered, raised by the next read
                self._error = exc
                self._fresh.set()
                return
            if not chunk:
                continue
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            for line in reversed(lines):
                parts = line.decode(errors="replace").split()
                if len(parts) == self.line_length:
                    try:
                        values = [int(p) for p in parts]
                    except ValueError:
                        continue
                    with self._lock:
                        self._state = self.parse(values)
                    self._fresh.set()
                    break

    def read_raw(self, timeout_s: float = 1.0) -> dict[str, int]:
        """The newest readings, smoothed (LeRobot's EMA); waits for a fresh line."""
        if not self._fresh.wait(timeout_s):
            raise HardwareError(f"{self.label}: no new line for {timeout_s} s")
        if self._error is not None:
            raise HardwareError(f"{self.label}: the port failed: {self._error}") from self._error
        with self._lock:
            state = dict(self._state or {})
            self._fresh.clear()
        alpha = 2 / (self.ema_span + 1)
        smoothed = {}
        for joint, value in state.items():
            ema = self._ema.get(joint)
            self._ema[joint] = float(value) if ema is None else alpha * value + (1 - alpha) * ema
            smoothed[joint] = round(self._ema[joint])
        return smoothed

    @property
    def is_calibrated(self) -> bool:
        """Whether a calibration file exists (the boards store none)."""
        return self.calibration_fpath.is_file()

    def record_ranges(self, joints: list[str]) -> tuple[dict[str, int], dict[str, int]]:
        """Min / max of ``joints`` while they are moved, until Enter (a live table)."""
        start = self.read_raw()
        mins = {j: start[j] for j in joints}
        maxes = dict(mins)
        while True:
            values = self.read_raw()
            positions = {j: values[j] for j in joints}
            for j, v in positions.items():
                mins[j], maxes[j] = min(mins[j], v), max(maxes[j], v)
            print_table(mins, positions, maxes)
            if enter_pressed():
                break
        still = [j for j in joints if mins[j] == maxes[j]]
        if still:
            raise CalibrationError(
                f"{self.label}: these joints did not move while recording: {', '.join(still)}"
            )
        return mins, maxes

    def calibration_groups(self) -> dict[str, list[str]]:
        """Joints recorded together, one Enter each."""
        return {"all": list(self.joints)}

    def inverted(self) -> tuple[str, ...]:
        """Joints whose reading runs the other way (``drive_mode`` 1)."""
        return ()

    def calibrate(self) -> None:
        """Record the ranges group by group and save them in LeRobot's file format."""
        if not self.is_connected:
            raise DeviceNotConnectedError(f"{self.label} is not connected")
        mins: dict[str, int] = {}
        maxes: dict[str, int] = {}
        for group, joints in self.calibration_groups().items():
            what = "all joints" if group == "all" else group
            print(f"\nMove {what} through its entire range of motion.\n"
                  "Recording positions. Press ENTER to stop...")  # fmt: skip
            lo, hi = self.record_ranges(joints)
            mins.update(lo)
            maxes.update(hi)
        inverted = self.inverted()
        self.calibration = {
            joint: MotorCalibration(
                id=i,
                drive_mode=int(joint in inverted),
                homing_offset=0,
                range_min=mins[joint],
                range_max=maxes[joint],
            )
            for i, joint in enumerate(self.joints)
        }
        self.save_calibration()
        print(f"Calibration saved to {self.calibration_fpath}")

    def configure(self) -> None:
        """Nothing to write: the boards only stream."""

    def read_normalized(self) -> dict[str, float]:
        """Every joint's smoothed reading in its norm mode (clamped to the calibrated range)."""
        if not self.is_connected:
            raise DeviceNotConnectedError(f"{self.label} is not connected")
        if not self.calibration:
            raise CalibrationError(f"{self.label} has no calibration; run lr calibrate")
        raw = self.read_raw()
        return {
            f"{joint}.pos": normalize(
                raw[joint],
                mode,
                self.calibration[joint],
                4096,
                invert=bool(self.calibration[joint].drive_mode),
                motor=joint,
            )
            for joint, mode in self.joints.items()
        }

    def send_feedback(self, feedback: dict[str, float]) -> None:
        """The boards take no feedback (ignored)."""

    def disconnect(self) -> None:
        """Stop the reader and close the port."""
        if self._serial is None:
            raise DeviceNotConnectedError(f"{self.label} is not connected")
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)
        self._serial.close()
        self._serial = None
        self._fresh.clear()
        logger.info("%s disconnected", self)


class HomunculusGlove(LineSensorDevice):
    """The data glove; its actions are the HopeJR hand's (see the module docstring)."""

    config_class: ClassVar[type[HomunculusGloveConfig]] = HomunculusGloveConfig
    name: ClassVar[str] = "homunculus_glove"
    joints: ClassVar[dict[str, MotorNormMode]] = GLOVE_JOINTS
    line_length: ClassVar[int] = 16
    ema_span: ClassVar[int] = 10

    config: HomunculusGloveConfig

    @property
    def action_features(self) -> HardwareFeatures:
        """The HopeJR hand's action keys."""
        return dict.fromkeys(glove_to_hope_jr_hand({f"{j}.pos": 0.0 for j in self.joints}),
                             float)  # fmt: skip

    def calibration_groups(self) -> dict[str, list[str]]:
        """Finger by finger."""
        return {
            finger: [j for j in self.joints if j.startswith(finger)]
            for finger in ("thumb", "index", "middle", "ring", "pinky")
        }

    def inverted(self) -> tuple[str, ...]:
        """The side's inverted sensors (LeRobot's lists)."""
        return GLOVE_INVERSIONS[self.config.side]

    def get_action(self) -> dict[str, float]:
        """The HopeJR hand's tendon commands from the glove's sensors."""
        return glove_to_hope_jr_hand(self.read_normalized())


class HomunculusArm(LineSensorDevice):
    """The exoskeleton arm; its actions are the HopeJR arm's."""

    config_class: ClassVar[type[HomunculusArmConfig]] = HomunculusArmConfig
    name: ClassVar[str] = "homunculus_arm"
    joints: ClassVar[dict[str, MotorNormMode]] = dict.fromkeys(ARM_COLUMNS, M100)
    line_length: ClassVar[int] = 21
    ema_span: ClassVar[int] = 50

    config: HomunculusArmConfig

    def parse(self, values: list[int]) -> dict[str, int]:
        """The five angles and two raw values the joints come from."""
        return {joint: values[column] for joint, column in ARM_COLUMNS.items()}

    @property
    def action_features(self) -> HardwareFeatures:
        """The HopeJR arm's action keys."""
        return {f"{joint}.pos": float for joint in self.joints}

    def get_action(self) -> dict[str, float]:
        """The HopeJR arm's joint commands (−100..100)."""
        return self.read_normalized()
