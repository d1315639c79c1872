# ruff: noqa: E501  (the MJCF template keeps one XML element per line)
"""The MJCF scene: an SO-101-like arm on a table with a cube, a goal marker and two cameras.

The arm is built from primitive shapes with the real SO-101's kinematics (link lengths from its
CAD model: shoulder-lift axis 11.7 cm above the table, upper arm 11.3 cm with a 2.8 cm offset,
forearm 13.5 cm, wrist to fingertips about 11 cm) and joint limits (:mod:`lr_sim.so101.joints`).
Frames: x points forward from the robot base, z up, the table top is ``z = 0``. With every joint
at the middle of its range the upper arm points up and the forearm and gripper point forward.

The gripper is a fixed jaw plus a jaw hinged like the real one; its pad is angled so that it
closes parallel to the fixed pad on a 2.5 cm cube. Every actuator is a position servo (``ctrl``
in radians), as the real STS3215 servos run in position mode.
"""

from __future__ import annotations

import math

import numpy as np

from lr_sim.so101.joints import JOINTS

#: Edge length of the cube (m).
CUBE_SIZE = 0.025
#: Inner face of the fixed jaw's pad, in the gripper frame (y, m).
FIXED_PAD_Y = -0.016
#: Pad thickness (m) and where pads sit along the approach axis (x in the gripper frame).
PAD_THICKNESS = 0.008
PAD_X = 0.063
PAD_HALF_LENGTH = 0.015
#: The grasp point (tool centre point, TCP) in the gripper frame: where a held cube's centre is.
TCP_LOCAL = (PAD_X + 0.005, FIXED_PAD_Y + CUBE_SIZE / 2, 0.0)
#: The moving jaw's hinge in the gripper frame, and the jaw angle (rad) at which its pad is
#: parallel to the fixed pad with a cube in between.
HINGE = (0.012, 0.012)
GRASP_ANGLE = math.radians(22.0)


def _moving_pad_pose() -> tuple[tuple[float, float], float]:
    """Centre ``(x, y)`` and yaw of the moving pad in the jaw's own frame."""
    target = np.array([PAD_X, FIXED_PAD_Y + CUBE_SIZE + PAD_THICKNESS / 2])
    c, s = math.cos(-GRASP_ANGLE), math.sin(-GRASP_ANGLE)
    rel = target - np.array(HINGE)
    local = np.array([c * rel[0] - s * rel[1], s * rel[0] + c * rel[1]])
    return (float(local[0]), float(local[1])), -GRASP_ANGLE


def _fmt(*values: float) -> str:
    return " ".join(f"{v:.6g}" for v in values)


def build_mjcf(offscreen_width: int = 640, offscreen_height: int = 480) -> str:
    """The scene's MJCF text; the offscreen buffer must be at least as large as any render."""
    ranges = {j.name: (j.lower, j.upper) for j in JOINTS}
    (pad_x, pad_y), pad_yaw = _moving_pad_pose()
    half = CUBE_SIZE / 2
    jaw_len = math.hypot(pad_x, pad_y)
    jaw_dir = math.atan2(pad_y, pad_x)
    actuators = "\n".join(
        f'    <position name="{j.name}" joint="{j.name}" class="servo" '
        f'ctrlrange="{_fmt(j.lower, j.upper)}"/>'
        for j in JOINTS
    )
    return f"""<mujoco model="lr_so101_table">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="0.002" cone="elliptic" impratio="10" integrator="implicitfast"/>
  <visual>
    <global offwidth="{offscreen_width}" offheight="{offscreen_height}"/>
    <quality shadowsize="2048"/>
    <headlight ambient="0.4 0.4 0.4" diffuse="0.6 0.6 0.6"/>
  </visual>
  <default>
    <default class="servo">
      <joint damping="0.8" armature="0.02" frictionloss="0.02"/>
      <position kp="40" forcerange="-6 6"/>
    </default>
    <default class="link">
      <geom contype="1" conaffinity="1" rgba="1 0.82 0.12 1" density="600"/>
    </default>
    <default class="pad">
      <geom type="box" friction="1.5 0.02 0.001" solref="0.005 1" solimp="0.95 0.99 0.001"
            rgba="0.15 0.15 0.15 1" condim="4" density="800"/>
    </default>
  </default>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1="0.55 0.45 0.35" rgb2="0.5 0.4 0.3"
             width="256" height="256"/>
    <material name="table" texture="grid" texrepeat="8 8" reflectance="0.1"/>
  </asset>
  <worldbody>
    <light name="top" pos="0.2 0 1.2" dir="0 0 -1" diffuse="0.7 0.7 0.7" castshadow="true"/>
    <geom name="table" type="plane" size="0.6 0.45 0.01" pos="0.15 0 0" material="table"
          friction="0.6 0.005 0.0001"/>
    <camera name="front" pos="0.42 0 0.26" xyaxes="0 1 0 -0.663 0 0.749" fovy="45"/>
    <camera name="top" pos="0.2 0 0.75" xyaxes="0 1 0 -1 0 0" fovy="45"/>
    <body name="base" pos="0 0 0" childclass="link">
      <geom name="base" type="cylinder" size="0.045 0.025" pos="0 0 0.025" rgba="0.2 0.2 0.2 1"/>
      <body name="shoulder" pos="0 0 0.05" gravcomp="1">
        <joint name="shoulder_pan" axis="0 0 1" range="{_fmt(*ranges["shoulder_pan"])}" class="servo"/>
        <geom name="shoulder" type="box" size="0.025 0.03 0.03" pos="0 0 0.03"/>
        <body name="upper_arm" pos="0 0 0.067" gravcomp="1">
          <joint name="shoulder_lift" axis="0 1 0" range="{_fmt(*ranges["shoulder_lift"])}" class="servo"/>
          <geom name="upper_arm" type="capsule" size="0.016" fromto="0 0 0 0.028 0 0.1126"/>
          <body name="lower_arm" pos="0.028 0 0.1126" gravcomp="1">
            <joint name="elbow_flex" axis="0 1 0" range="{_fmt(*ranges["elbow_flex"])}" class="servo"/>
            <geom name="lower_arm" type="capsule" size="0.014" fromto="0 0 0 0.1349 0 0"/>
            <body name="wrist" pos="0.1349 0 0" gravcomp="1">
              <joint name="wrist_flex" axis="0 1 0" range="{_fmt(*ranges["wrist_flex"])}" class="servo"/>
              <geom name="wrist" type="box" size="0.015 0.018 0.016" pos="0.012 0 0"/>
              <body name="gripper" pos="0.03 0 0" gravcomp="1">
                <joint name="wrist_roll" axis="1 0 0" range="{_fmt(*ranges["wrist_roll"])}" class="servo"/>
                <geom name="palm" type="box" size="0.01 0.028 0.016" pos="0.002 -0.004 0"
                      rgba="0.15 0.15 0.15 1"/>
                <geom name="fixed_jaw" type="box" size="0.026 0.004 0.01"
                      pos="0.03 {_fmt(FIXED_PAD_Y - PAD_THICKNESS / 2)} 0" contype="0" conaffinity="0"/>
                <geom name="fixed_pad" class="pad" size="{_fmt(PAD_HALF_LENGTH, PAD_THICKNESS / 2, 0.01)}"
                      pos="{_fmt(PAD_X, FIXED_PAD_Y - PAD_THICKNESS / 2)} 0"/>
                <site name="tcp" pos="{_fmt(*TCP_LOCAL)}" size="0.004" rgba="1 0 0 0.6" group="4"/>
                <camera name="wrist" pos="-0.01 -0.004 0.04" xyaxes="0 -1 0 0.45 0 1" fovy="70"/>
                <body name="moving_jaw" pos="{_fmt(*HINGE)} 0" gravcomp="1">
                  <joint name="gripper" axis="0 0 1" range="{_fmt(*ranges["gripper"])}" class="servo"/>
                  <geom name="jaw" type="box" size="{_fmt(jaw_len / 2, 0.003, 0.009)}"
                        pos="{_fmt(pad_x / 2, pad_y / 2)} 0" euler="0 0 {_fmt(jaw_dir)}"
                        contype="0" conaffinity="0"/>
                  <geom name="moving_pad" class="pad" size="{_fmt(PAD_HALF_LENGTH, PAD_THICKNESS / 2, 0.01)}"
                        pos="{_fmt(pad_x, pad_y)} 0" euler="0 0 {_fmt(pad_yaw)}"/>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
    <body name="cube" pos="0.2 0 {_fmt(half)}">
      <freejoint name="cube"/>
      <geom name="cube" type="box" size="{_fmt(half, half, half)}" rgba="0.85 0.15 0.15 1"
            mass="0.03" friction="1.2 0.01 0.001" condim="4" solref="0.005 1"/>
    </body>
    <body name="goal" mocap="true" pos="0.2 0.1 0.001">
      <geom name="goal" type="cylinder" size="0.02 0.001" rgba="0.1 0.7 0.2 0.6"
            contype="0" conaffinity="0"/>
    </body>
    <body name="target" mocap="true" pos="0.2 0 0.1">
      <geom name="target" type="sphere" size="0.012" rgba="0.1 0.4 0.9 0.7"
            contype="0" conaffinity="0"/>
    </body>
  </worldbody>
  <contact>
    <exclude body1="base" body2="shoulder"/>
    <exclude body1="shoulder" body2="upper_arm"/>
    <exclude body1="upper_arm" body2="lower_arm"/>
    <exclude body1="lower_arm" body2="wrist"/>
    <exclude body1="wrist" body2="gripper"/>
  </contact>
  <actuator>
{actuators}
  </actuator>
</mujoco>
"""


def load_model(offscreen_width: int = 640, offscreen_height: int = 480):  # -> mujoco.MjModel
    """Compile the scene (imports mujoco)."""
    from lr_sim._mujoco import import_mujoco

    mujoco = import_mujoco()
    return mujoco.MjModel.from_xml_string(build_mjcf(offscreen_width, offscreen_height))
