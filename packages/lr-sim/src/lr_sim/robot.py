"""``sim_so101``: the simulated SO-101 arm behind the lr-core :class:`~lr_core.robot.Robot`
contract, with the real SO-101 follower's features.

Observations are ``{"shoulder_pan.pos": float, ..., "gripper.pos": float, <cam>: (H, W, 3)
uint8}`` and actions ``{"<motor>.pos": float}`` in the follower's normalised units, so robot-side
code (teleoperation, recording, the async inference client) drives it unchanged. Like the real
follower, ``send_action`` accepts any subset of motors, may clamp goals with
``max_relative_target``, and returns the action actually sent.

Time: with ``realtime=True`` the physics follows the wall clock (each call first simulates the
time elapsed since the previous one, at most 1 s), as hardware would; with ``realtime=False``
each ``send_action`` advances one control period of ``1 / fps`` s.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import numpy as np

from lr_core.errors import DeviceAlreadyConnectedError, DeviceNotConnectedError, FeatureError
from lr_core.features import HardwareFeatures
from lr_core.robot import Robot
from lr_sim.render import CameraRenderer
from lr_sim.robot_config import SimSO101Config
from lr_sim.so101.joints import MOTOR_NAMES, radians_to_normalized

logger = logging.getLogger(__name__)

#: The most simulated time one call catches up on (s); a stalled caller does not freeze it.
MAX_CATCH_UP_S = 1.0


class SimSO101(Robot):
    """A MuJoCo SO-101 follower (see the module docstring)."""

    config_class: ClassVar[type[SimSO101Config]] = SimSO101Config
    name: ClassVar[str] = "sim_so101"

    def __init__(self, config: SimSO101Config) -> None:
        super().__init__(config)
        self.config: SimSO101Config = config
        self.sim: Any = None
        self._renderers: dict[str, CameraRenderer] = {}
        self._clock_origin = 0.0

    @property
    def _motors_ft(self) -> dict[str, type]:
        return {f"{motor}.pos": float for motor in MOTOR_NAMES}

    @property
    def observation_features(self) -> HardwareFeatures:
        """``<motor>.pos`` floats and one ``(height, width, 3)`` entry per camera."""
        cams = {key: (cam.height, cam.width, 3) for key, cam in self.config.cameras.items()}
        return {**self._motors_ft, **cams}

    @property
    def action_features(self) -> HardwareFeatures:
        """``<motor>.pos`` floats."""
        return self._motors_ft

    @property
    def is_connected(self) -> bool:
        """Whether the simulation is running."""
        return self.sim is not None

    @property
    def is_calibrated(self) -> bool:
        """Always true: the simulated servos' ranges are the model's joint ranges."""
        return True

    def connect(self, calibrate: bool = True) -> None:
        """Build the scene, lay out the table from ``config.seed`` and start the clock."""
        if self.sim is not None:
            raise DeviceAlreadyConnectedError(f"{self} is already connected")
        from lr_sim.so101.sim import ArmSim
        from lr_sim.so101.tasks import get_task

        widths = [c.width for c in self.config.cameras.values()] or [640]
        heights = [c.height for c in self.config.cameras.values()] or [480]
        self.sim = ArmSim(
            fps=self.config.fps,
            offscreen_size=(max(640, *widths), max(480, *heights)),
            use_degrees=self.config.use_degrees,
        )
        self._task = get_task(self.config.task)
        self.reset_scene(self.config.seed)
        self.configure()
        logger.info("%s connected (simulated)", self)

    def reset_scene(self, seed: int | None = None) -> None:
        """Put the arm home and draw a new cube/goal layout from ``seed``."""
        sim = self._require()
        layout = self._task.sample(np.random.default_rng(seed))
        sim.reset(
            cube_pos=layout.cube_xy,
            cube_yaw=layout.cube_yaw,
            goal_pos=np.array([*layout.goal_xy, 0.001]),
            target_pos=layout.target if self._task.name == "reach" else np.array([0, 0, -1.0]),
        )
        self._clock_origin = time.perf_counter()

    def calibrate(self) -> None:
        """Nothing to measure: the simulated joints' ranges are fixed by the model."""
        logger.info("%s: simulated servos need no calibration", self)

    def configure(self) -> None:
        """Nothing to write: the simulated servos' gains are part of the model."""

    def _require(self) -> Any:
        if self.sim is None:
            raise DeviceNotConnectedError(f"{self} is not connected; call connect() first")
        return self.sim

    def _advance_clock(self) -> None:
        if not self.config.realtime:
            return
        sim = self.sim
        elapsed = time.perf_counter() - self._clock_origin
        behind = elapsed - sim.data.time
        if behind > MAX_CATCH_UP_S:  # the caller stalled: skip ahead instead of freezing
            self._clock_origin += behind - MAX_CATCH_UP_S
            behind = MAX_CATCH_UP_S
        sim.step_physics(int(behind / sim.model.opt.timestep))

    def get_observation(self) -> dict[str, Any]:
        """Motor positions (normalised) and camera frames of the current simulated state."""
        sim = self._require()
        self._advance_clock()
        state = sim.state
        obs: dict[str, Any] = {f"{m}.pos": float(v) for m, v in zip(MOTOR_NAMES, state)}
        for key, cam in self.config.cameras.items():
            renderer = self._renderers.get(key)
            if renderer is None:
                renderer = CameraRenderer(sim.model, cam.height, cam.width, self.config.render)
                self._renderers[key] = renderer
            obs[key] = renderer.render(sim.data, cam.camera)
        return obs

    def send_action(self, action: dict[str, Any]) -> dict[str, Any]:
        """Set new goal positions for the motors named in ``action`` (``"<motor>.pos"``)."""
        sim = self._require()
        self._advance_clock()
        goal = sim.state.astype(np.float64)
        present = goal.copy()
        given: list[str] = []
        for key, value in action.items():
            motor = key.removesuffix(".pos")
            if not key.endswith(".pos") or motor not in MOTOR_NAMES:
                raise FeatureError(
                    f"unknown action key {key!r}; {self} accepts "
                    + ", ".join(f"{m}.pos" for m in MOTOR_NAMES)
                )
            value = float(value)
            if not np.isfinite(value):
                raise FeatureError(f"action {key!r} is {value}; goal positions must be finite")
            goal[MOTOR_NAMES.index(motor)] = value
            given.append(motor)
        # keep unnamed motors where they are commanded now, not where they happen to be
        current_cmd = sim.data.ctrl[sim.actuator_ids]
        commanded = radians_to_normalized(current_cmd, self.config.use_degrees).astype(np.float64)
        for i, motor in enumerate(MOTOR_NAMES):
            if motor not in given:
                goal[i] = commanded[i]
        limit = self.config.max_relative_target
        if limit is not None:
            for i, motor in enumerate(MOTOR_NAMES):
                if motor not in given:
                    continue
                step = limit[motor] if isinstance(limit, dict) else limit
                if step is None:
                    continue
                clamped = float(np.clip(goal[i], present[i] - step, present[i] + step))
                if clamped != goal[i]:
                    logger.warning(
                        "%s: %s goal %.1f clamped to %.1f", self, motor, goal[i], clamped
                    )
                goal[i] = clamped
        sent = sim.set_target(goal)
        if not self.config.realtime:
            sim.step()
        return {f"{m}.pos": float(sent[MOTOR_NAMES.index(m)]) for m in given}

    def disconnect(self) -> None:
        """Stop the simulation and free the renderers."""
        self._require()
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()
        self.sim = None
