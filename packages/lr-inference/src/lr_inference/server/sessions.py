"""Per-client state on the server: the handshake's checks and each observation's validation.

:func:`plan_session` compares the client's robot features with the policy's inputs *before*
any action exists: every policy input must be provided (after the client's ``rename_map``)
with the same shape, and the policy's action must have as many columns as the robot's. A
mismatch is refused with one line per feature.

:meth:`Session.prepare` checks every observation against that plan (key present, shape,
dtype) and decides whether to skip it, as LeRobot's server does (``policy_server.py``,
``_enqueue_observation``): an observation is run when it is ``must_go``, the first one, or
for a timestep not predicted yet whose ``observation.state`` differs from the last run one by
an L2 norm of at least ``obs_similarity_atol`` (robot units).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lr_core.features import FeatureSpec, FeatureType
from lr_core.messages import PolicySpec, TimedObservation
from lr_inference.errors import HandshakeRefusedError
from lr_inference.protocol import PolicyInfo
from lr_inference.server.served import PolicyDescription

STATE_KEY = "observation.state"


class ObservationError(ValueError):
    """An observation does not match its session's plan (the message names the key)."""


@dataclass(frozen=True)
class SessionPlan:
    """What a session's observations must hold.

    ``inputs``: client key → policy key; ``shapes``: client key → wire shape (images
    ``(H, W, C)``; with ``S`` = n_obs_steps > 1 a leading ``S`` axis); ``images``: client keys
    that must be uint8.
    """

    inputs: dict[str, str]
    shapes: dict[str, tuple[int, ...]]
    images: frozenset[str]
    action_names: list[str]
    actions_per_chunk: int
    dt: float


def plan_session(spec: PolicySpec, description: PolicyDescription) -> SessionPlan:
    """Check ``spec`` (the client's robot features) against the loaded policy.

    Raises :class:`HandshakeRefusedError` listing every mismatching feature.
    """
    problems: list[str] = []
    if spec.policy_type and spec.policy_type != description.policy_type:
        problems.append(
            f"policy_type: the client asked for {spec.policy_type!r} but "
            f"{spec.pretrained_name_or_path} is a {description.policy_type!r} policy"
        )
    features = spec.features
    renamed: dict[str, str] = {}  # policy key -> client key
    for client_key in features:
        renamed.setdefault(spec.rename_map.get(client_key, client_key), client_key)
    inputs: dict[str, str] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    images: set[str] = set()
    steps = description.n_obs_steps
    for policy_key, wanted in description.input_features.items():
        client_key = renamed.get(policy_key)
        if client_key is None:
            via = [k for k, v in spec.rename_map.items() if v == policy_key]
            hint = f" (rename_map maps {via} onto it)" if via else ""
            problems.append(
                f"{policy_key}: the policy needs {wanted.type.value} {list(wanted.shape)}, the "
                f"robot has no such feature{hint}; it has {sorted(features)}. Map one onto it "
                f'with rename_map={{"<robot key>": "{policy_key}"}}'
            )
            continue
        have: FeatureSpec = features[client_key]
        got = have.channels_first_shape if have.is_visual else tuple(have.shape)
        if wanted.type == FeatureType.VISUAL and not have.is_visual:
            problems.append(f"{policy_key}: the policy needs an image, {client_key} is not one")
            continue
        if tuple(got) != tuple(wanted.shape):
            layout = " (C, H, W)" if have.is_visual else ""
            problems.append(
                f"{policy_key}: the policy expects shape {list(wanted.shape)}{layout}, the "
                f"robot's {client_key} has {list(got)}"
                + (
                    f" (names {have.names})"
                    if isinstance(have.names, list) and not have.is_visual
                    else ""
                )
            )
            continue
        inputs[client_key] = policy_key
        wire_shape = tuple(have.shape)
        shapes[client_key] = (steps, *wire_shape) if steps > 1 else wire_shape
        if have.is_visual:
            images.add(client_key)
    action = features.get("action")
    action_names = [f"action_{i}" for i in range(description.action_dim)]
    if action is not None:  # robots declare it; a simulation client may leave it out
        action_names = [str(n) for n in action.names] if isinstance(action.names, list) else []
        if tuple(action.shape) != (description.action_dim,):
            problems.append(
                f"action: the policy outputs {description.action_dim} values per step, the robot "
                f"takes {list(action.shape)} ({action_names})"
            )
        if len(action_names) != description.action_dim:
            action_names = [f"action_{i}" for i in range(description.action_dim)]
    if spec.actions_per_chunk > description.chunk_length:
        problems.append(
            f"actions_per_chunk: {spec.actions_per_chunk} requested, the policy predicts "
            f"{description.chunk_length} per call"
        )
    if problems:
        raise HandshakeRefusedError(
            f"{spec.pretrained_name_or_path} ({description.policy_type}) cannot drive this "
            "robot:\n  " + "\n  ".join(problems)
        )
    return SessionPlan(
        inputs=inputs,
        shapes=shapes,
        images=frozenset(images),
        action_names=action_names,
        actions_per_chunk=spec.actions_per_chunk,
        dt=1.0 / spec.fps,
    )


def policy_info(plan: SessionPlan, description: PolicyDescription) -> PolicyInfo:
    """The ``policy`` part of the Welcome."""
    return PolicyInfo(
        policy_type=description.policy_type,
        input_keys=list(plan.inputs),
        input_shapes={k: list(v) for k, v in plan.shapes.items()},
        input_features=description.input_features,
        action_names=plan.action_names,
        chunk_length=description.chunk_length,
        n_obs_steps=description.n_obs_steps,
        config=description.config,
    )


@dataclass
class Session:
    """One client: its routing id, plan and what the similarity filter remembers."""

    routing_id: bytes
    spec: PolicySpec
    plan: SessionPlan
    key: Any
    name: str = ""
    public_key: str | None = None
    last_seen: float = field(default_factory=time.monotonic)
    last_state: np.ndarray | None = None
    predicted: deque[int] = field(default_factory=lambda: deque(maxlen=256))
    requests: int = 0
    skipped: int = 0

    def prepare(self, obs: TimedObservation) -> dict[str, np.ndarray]:
        """The observation's arrays keyed by policy keys, checked against the plan.

        Raises :class:`ObservationError` naming the first bad key.
        """
        item: dict[str, np.ndarray] = {}
        for client_key, policy_key in self.plan.inputs.items():
            if client_key not in obs.observation:
                raise ObservationError(
                    f"observation lacks {client_key!r} (the session needs {list(self.plan.inputs)})"
                )
            value = obs.observation[client_key]
            if not isinstance(value, np.ndarray):
                value = np.asarray(value)
            expected = self.plan.shapes[client_key]
            if value.shape != expected:
                raise ObservationError(
                    f"{client_key!r} has shape {list(value.shape)}, expected {list(expected)}"
                )
            if client_key in self.plan.images:
                if value.dtype != np.uint8:
                    raise ObservationError(f"{client_key!r} is {value.dtype}, images must be uint8")
            else:
                if value.dtype.kind not in "biuf":
                    raise ObservationError(f"{client_key!r} is {value.dtype}, expected numbers")
                value = value.astype(np.float32, copy=False)
                if not np.isfinite(value).all():
                    raise ObservationError(f"{client_key!r} holds NaN or infinite values")
            item[policy_key] = value
        return item

    def skip_reason(self, obs: TimedObservation, atol: float) -> str | None:
        """Why ``obs`` need not run (``None``: run it). See the module docstring."""
        if obs.must_go or not self.predicted:
            return None
        if obs.timestep in self.predicted:
            return f"timestep {obs.timestep} was already predicted"
        state = obs.observation.get(STATE_KEY)
        last = self.last_state
        if (
            atol > 0
            and isinstance(state, np.ndarray)
            and last is not None
            and state.shape == last.shape
        ):
            distance = float(np.linalg.norm(state.astype(np.float64) - last))
            if distance < atol:
                return (
                    f"state moved {distance:.3g} < obs_similarity_atol {atol:g} since the last run"
                )
        return None

    def ran(self, obs: TimedObservation) -> None:
        """Remember ``obs`` as the last observation the policy ran on."""
        state = obs.observation.get(STATE_KEY)
        if isinstance(state, np.ndarray):
            self.last_state = state.astype(np.float64, copy=True)
        self.predicted.append(obs.timestep)
