"""Messages exchanged between a robot client and a policy server.

They are plain pydantic models; :mod:`lr_core.wire` encodes them as a JSON header plus raw
array buffers (never pickle). Times are ``time.time()`` seconds; ``timestep`` counts control
steps since the client started.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from lr_core.features import FeatureSpec

#: Array dtype kinds allowed on the wire: bool, signed/unsigned ints, floats.
WIRE_DTYPE_KINDS = frozenset("biuf")


def _check_array(value: Any) -> np.ndarray:
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    if array.dtype.kind not in WIRE_DTYPE_KINDS:
        raise ValueError(
            f"array dtype {array.dtype} cannot go on the wire; use bool, int, uint or float"
        )
    return array


def _check_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _check_array(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError(
        f"observation values must be numpy arrays, numbers or strings, got {type(value).__name__}"
    )


#: A numpy array with a plain numeric dtype.
WireArray = Annotated[np.ndarray, BeforeValidator(_check_array)]
#: One observation entry: an array (image, state vector), a number or a string.
ObservationValue = Annotated[Any, AfterValidator(_check_value)]


class WireMessage(BaseModel):
    """Base of every message; ``kind`` on the wire is the class name."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class TimingStamps(BaseModel):
    """Wall-clock stamps (``time.time()``) collected along one observation → action trip.

    In order: ``observation_captured`` and ``client_sent`` (client clock), ``server_received``,
    ``preprocess_started`` (the request left the server's queue), ``inference_started`` and
    ``inference_finished`` (the model's forward pass), ``postprocess_finished``, ``server_sent``
    (server clock), ``client_received`` (client clock). Client and server clocks differ by an
    offset that the receiver estimates; see ``lr_inference.clock``.
    """

    model_config = ConfigDict(extra="forbid")

    observation_captured: float | None = None
    client_sent: float | None = None
    server_received: float | None = None
    preprocess_started: float | None = None
    inference_started: float | None = None
    inference_finished: float | None = None
    postprocess_finished: float | None = None
    server_sent: float | None = None
    client_received: float | None = None


class PolicySpec(WireMessage):
    """What the client asks the server to run.

    ``features`` are the robot's dataset features (``observation.state``,
    ``observation.images.<cam>``, ``action``) so the server can build policy inputs;
    ``rename_map`` maps client keys to the keys the policy was trained on.
    """

    policy_type: str
    pretrained_name_or_path: str
    features: dict[str, FeatureSpec] = {}
    actions_per_chunk: int = Field(gt=0)
    device: str = "cpu"
    rename_map: dict[str, str] = {}
    fps: float = Field(default=30.0, gt=0)


class TimedObservation(WireMessage):
    """One observation from the robot, stamped with its capture time and control step.

    ``observation`` holds raw robot values: ``"shoulder_pan.pos"`` → float, camera keys →
    ``(H, W, 3)`` uint8 arrays. ``must_go`` asks the server to act on it even if it resembles
    the previous one.
    """

    timestamp: float
    timestep: int = Field(ge=0)
    observation: dict[str, ObservationValue]
    task: str = ""
    must_go: bool = False
    timing: TimingStamps = TimingStamps()


class ActionChunk(WireMessage):
    """A chunk of actions: ``actions[i]`` is for control step ``timestep + i``.

    ``actions`` is ``(T, D_action)`` in robot units, columns named by ``names``; ``dt`` is the
    control period in seconds.
    """

    timestep: int = Field(ge=0)
    timestamp: float
    dt: float = Field(gt=0)
    actions: WireArray
    names: list[str]
    timing: TimingStamps = TimingStamps()


class Ack(WireMessage):
    """A positive reply with an optional note."""

    note: str = ""


class ErrorReply(WireMessage):
    """A server-side failure, sent back instead of the expected reply."""

    error: str
    message: str
