"""LeKiwi's messages between host (the Pi) and client (the laptop), laid out as LeRobot 0.6.1
lays them out, so either side can be LeRobot's (``lekiwi_host.py`` / ``lekiwi_client.py``).

::

    command      client PUSH --> host PULL (port 5555, CONFLATE: only the newest is kept)
                 one UTF-8 JSON object  {"arm_shoulder_pan.pos": 1.5, ..., "x.vel": 0.1, ...}

    observation  host PUSH --> client PULL (port 5556, SNDHWM/RCVHWM 2)
                 multipart  [header, jpeg_0, jpeg_1, ...]
                 header: UTF-8 JSON {"_cams": ["front", "wrist"], "arm_shoulder_pan.pos": ..,
                                     "x.vel": .., "y.vel": .., "theta.vel": ..}
                 jpeg_i: the frame of camera _cams[i], JPEG quality 90 (empty: no frame)

LeRobot's host encodes its RGB frames with ``cv2.imencode``, which takes them for BGR, so the
JPEG on the wire has red and blue swapped and LeRobot's client (``cv2.imdecode``) swaps them
back. lr does the same on both sides: frames leave and arrive as RGB arrays.

Everything received is untrusted network input, checked in order of cost before use (as
:func:`lr_core.wire.decode` does): size, UTF-8, JSON, the shape of the document, known keys,
numbers that are finite and within range; a JPEG's size is read from its header before it is
decoded. Every failure is a :class:`~lr_core.errors.WireFormatError` saying what was wrong;
nothing else escapes the decoders.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lr_core.errors import WireFormatError
from lr_core.motors import Motor, MotorNormMode

#: Largest command accepted (bytes): a LeKiwi command is about 300.
MAX_COMMAND_BYTES = 64 * 1024
#: Largest observation header accepted (bytes).
MAX_HEADER_BYTES = 256 * 1024
#: Most cameras an observation may carry.
MAX_CAMERAS = 16
#: JPEG quality of the host's frames (LeRobot's).
JPEG_QUALITY = 90
#: Body speeds beyond these are not commands but garbage (m/s, deg/s); the wheels top out near
#: 0.23 m/s of rim speed, and sane commands are scaled down to that by the kinematics.
MAX_LINEAR_SPEED_M_S = 5.0
MAX_TURN_RATE_DEG_S = 1000.0
#: Room around a joint's normalised span for values a leader or a policy may overshoot by; the
#: robot then clamps them to the calibrated range.
POSITION_MARGIN = 0.1

Limits = Mapping[str, tuple[float, float]]


def command_limits(motors: Mapping[str, Motor], position_motors: Sequence[str]) -> dict[
    str, tuple[float, float]
]:  # fmt: skip
    """``{key: (lowest, highest)}`` a command may carry: ``<motor>.pos`` for each of
    ``position_motors`` within its norm mode's span (±180 degrees, -100..100, 0..100) plus
    :data:`POSITION_MARGIN` of it, and the three body velocities."""
    spans = {
        MotorNormMode.DEGREES: (-180.0, 180.0),
        MotorNormMode.RANGE_M100_100: (-100.0, 100.0),
        MotorNormMode.RANGE_0_100: (0.0, 100.0),
    }
    limits: dict[str, tuple[float, float]] = {}
    for name in position_motors:
        lo, hi = spans[motors[name].norm_mode]
        pad = (hi - lo) * POSITION_MARGIN
        limits[f"{name}.pos"] = (lo - pad, hi + pad)
    limits["x.vel"] = (-MAX_LINEAR_SPEED_M_S, MAX_LINEAR_SPEED_M_S)
    limits["y.vel"] = (-MAX_LINEAR_SPEED_M_S, MAX_LINEAR_SPEED_M_S)
    limits["theta.vel"] = (-MAX_TURN_RATE_DEG_S, MAX_TURN_RATE_DEG_S)
    return limits


def _number(value: Any, what: str) -> float:
    """A finite JSON number as a float (``true``/``false`` are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WireFormatError(f"{what} is {type(value).__name__} {value!r:.40}, not a number")
    try:
        number = float(value)
    except OverflowError:
        raise WireFormatError(f"{what} is an integer too large for a float") from None
    if not math.isfinite(number):
        raise WireFormatError(f"{what} is {number}, not a finite number")
    return number


def _json_object(data: Any, limit: int, what: str) -> dict[str, Any]:
    """Parse ``data`` (bytes or str) as one JSON object of at most ``limit`` bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    try:
        view = memoryview(data)
    except TypeError:
        raise WireFormatError(f"{what} is a {type(data).__name__}, not bytes") from None
    if view.nbytes > limit:
        raise WireFormatError(f"{what} of {view.nbytes} bytes exceeds the limit of {limit}")
    try:
        document = json.loads(view.tobytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WireFormatError(f"{what} is not UTF-8: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, huge integers, deep nesting
        raise WireFormatError(f"{what} is not JSON: {str(exc)[:200]}") from None
    if not isinstance(document, dict):
        raise WireFormatError(f"{what} is a JSON {type(document).__name__}, not an object")
    return document


# --------------------------------------------------------------------------- commands


def encode_command(action: Mapping[str, Any]) -> str:
    """The command string for ``action`` (values as plain floats), as LeRobot's client sends
    it with ``send_string``.

    Raises:
        WireFormatError: a value that is not a finite number (JSON cannot carry it faithfully
            and no host would accept it).
    """
    values = {str(key): _number(_plain(value), f"action {key!r}") for key, value in action.items()}
    return json.dumps(values, allow_nan=False)


def _plain(value: Any) -> Any:
    """numpy scalars and 0-d arrays (and torch-like ``.item()`` values) as Python numbers."""
    if isinstance(value, bool | int | float):
        return value
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def decode_command(data: bytes | str, limits: Limits) -> dict[str, float]:
    """The action in one command, checked against ``limits`` (:func:`command_limits`).

    Raises:
        WireFormatError: too large, not UTF-8 JSON, not an object, an unknown key, a value
            that is not a finite number or lies outside its limits.
    """
    document = _json_object(data, MAX_COMMAND_BYTES, "command")
    action: dict[str, float] = {}
    for key, value in document.items():
        bounds = limits.get(key)
        if bounds is None:
            raise WireFormatError(
                f"command key {key[:60]!r} is not a LeKiwi action key ({', '.join(limits)})"
            )
        number = _number(value, f"command {key!r}")
        if not bounds[0] <= number <= bounds[1]:
            raise WireFormatError(
                f"command {key!r} = {number} is outside {bounds[0]:g}..{bounds[1]:g}"
            )
        action[key] = number
    return action


# --------------------------------------------------------------------------- observations


def encode_observation(
    state: Mapping[str, float], frames: Mapping[str, np.ndarray], quality: int = JPEG_QUALITY
) -> list[bytes]:
    """The multipart observation: the JSON header (``_cams`` first, then ``state``), then
    one JPEG per camera of ``frames`` (``(H, W, 3)`` uint8 RGB), encoded as LeRobot's host
    does (red and blue swapped in the file, see the module docstring)."""
    from lr_robots.cameras.jpeg import encode_jpeg

    header = {"_cams": list(frames), **{k: float(v) for k, v in state.items()}}
    parts = [json.dumps(header).encode()]
    for frame in frames.values():
        parts.append(encode_jpeg(frame, quality=quality, pixel_format="bgr24"))
    return parts


def decode_observation(
    parts: Sequence[Any], state_keys: Sequence[str]
) -> tuple[dict[str, float], dict[str, bytes]]:
    """``(state, jpegs)`` from a multipart observation: ``state`` has every key of
    ``state_keys`` (0.0 when the host sent none, as LeRobot's client does); ``jpegs`` maps each
    camera with a non-empty frame to its JPEG bytes (decode with :func:`decode_frame`).

    Raises:
        WireFormatError: no header, a header too large or not a JSON object, ``_cams`` not a
            list of names matching the frames that came, or a state value that is not a
            finite number.
    """
    if not parts:
        raise WireFormatError("empty observation: no header frame")
    if len(parts) - 1 > MAX_CAMERAS:
        raise WireFormatError(f"observation with {len(parts) - 1} frames (limit {MAX_CAMERAS})")
    header = _json_object(parts[0], MAX_HEADER_BYTES, "observation header")
    cams = header.get("_cams")
    if not isinstance(cams, list) or not all(isinstance(c, str) for c in cams):
        raise WireFormatError("observation header has no '_cams' list of camera names")
    if len(cams) != len(parts) - 1:
        raise WireFormatError(
            f"observation header lists {len(cams)} cameras but {len(parts) - 1} frames came"
        )
    state = {key: _number(header.get(key, 0.0), f"observation {key!r}") for key in state_keys}
    jpegs: dict[str, bytes] = {}
    for name, part in zip(cams, parts[1:], strict=True):
        data = bytes(memoryview(part))
        if data:
            jpegs[name] = data
    return state, jpegs


def decode_frame(jpeg: bytes, height: int, width: int) -> np.ndarray:
    """The ``(height, width, 3)`` uint8 RGB frame in a host's JPEG.

    Raises:
        WireFormatError: not a JPEG, another size than the camera's (checked before decoding),
            or undecodable.
    """
    from lr_robots.cameras.jpeg import decode_jpeg, jpeg_size

    try:
        w, h = jpeg_size(jpeg)
        if (w, h) != (width, height):
            raise WireFormatError(f"frame is {w}x{h}, expected {width}x{height}")
        frame = decode_jpeg(jpeg, pixel_format="bgr24")  # undo the swap (module docstring)
    except ValueError as exc:
        if isinstance(exc, WireFormatError):
            raise
        raise WireFormatError(str(exc)) from None
    if frame.shape != (height, width, 3):
        raise WireFormatError(f"frame decoded to {frame.shape}, expected {(height, width, 3)}")
    return frame
