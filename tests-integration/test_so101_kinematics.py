"""lr-robots' SO-101 forward kinematics against MuJoCo's, on the SO-101 URDF's joint tree.

The URDF below keeps the ``<joint>`` elements of TheRobotStudio's
``Simulation/SO101/so101_new_calib.urdf`` as published (origins, axes, limits, the
``gripperframe`` tool frame), with each link reduced to a small inertia (meshes are not needed
for kinematics). MuJoCo compiles it with its own URDF importer and computes the frames with
``mj_kinematics``; lr's :class:`~lr_robots.kinematics.so101.SO101Kinematics` must give the same
tool pose at random joint angles, and its inverse must land where MuJoCo says it does.
"""

from __future__ import annotations

import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from lr_robots.kinematics.so101 import ARM_JOINTS, SO101Kinematics  # noqa: E402

_LINK = (
    '<link name="{0}"><inertial><origin xyz="0 0 0" rpy="0 0 0"/><mass value="0.1"/>'
    '<inertia ixx="1e-5" ixy="0" ixz="0" iyy="1e-5" iyz="0" izz="1e-5"/></inertial></link>'
)
URDF = f"""<robot name="so101_new_calib">
  <mujoco><compiler fusestatic="false" discardvisual="true"/></mujoco>
  {_LINK.format("base")}{_LINK.format("shoulder")}{_LINK.format("upper_arm")}
  {_LINK.format("lower_arm")}{_LINK.format("wrist")}{_LINK.format("gripper")}
  {_LINK.format("gripperframe")}{_LINK.format("moving_jaw_so101_v1")}
  <joint name="gripperframe_frame" type="fixed">
    <origin xyz="-0.0079 -0.000218121 -0.0981274" rpy="1.5708 1.22465e-16 1.5708"/>
    <parent link="gripper"/><child link="gripperframe"/><axis xyz="0 0 0"/>
  </joint>
  <joint name="gripper" type="revolute">
    <origin xyz="0.0202 0.0188 -0.0234" rpy="1.5708 -5.14108e-17 -1.38655e-14"/>
    <parent link="gripper"/><child link="moving_jaw_so101_v1"/><axis xyz="0 0 1"/>
    <limit effort="10" velocity="10" lower="-0.174533" upper="1.74533"/>
  </joint>
  <joint name="wrist_roll" type="revolute">
    <origin xyz="0 -0.0611 0.0181" rpy="1.5708 -9.38083e-08 3.14159"/>
    <parent link="wrist"/><child link="gripper"/><axis xyz="0 0 1"/>
    <limit effort="10" velocity="10" lower="-2.79253" upper="2.79253"/>
  </joint>
  <joint name="wrist_flex" type="revolute">
    <origin xyz="-0.1349 0.0052 1.65232e-16" rpy="3.2474e-15 2.86219e-15 -1.5708"/>
    <parent link="lower_arm"/><child link="wrist"/><axis xyz="0 0 1"/>
    <limit effort="10" velocity="10" lower="-1.65806" upper="1.65806"/>
  </joint>
  <joint name="elbow_flex" type="revolute">
    <origin xyz="-0.11257 -0.028 2.46331e-16" rpy="-1.22818e-15 5.75928e-16 1.5708"/>
    <parent link="upper_arm"/><child link="lower_arm"/><axis xyz="0 0 1"/>
    <limit effort="10" velocity="10" lower="-1.69" upper="1.69"/>
  </joint>
  <joint name="shoulder_lift" type="revolute">
    <origin xyz="-0.0303992 -0.0182778 -0.0542" rpy="-1.5708 -1.5708 0"/>
    <parent link="shoulder"/><child link="upper_arm"/><axis xyz="0 0 1"/>
    <limit effort="10" velocity="10" lower="-1.74533" upper="1.74533"/>
  </joint>
  <joint name="shoulder_pan" type="revolute">
    <origin xyz="0.0207909 -0.0230745 0.0948817" rpy="-3.14159 6.03684e-16 1.5708"/>
    <parent link="base"/><child link="shoulder"/><axis xyz="0 0 1"/>
    <limit effort="10" velocity="10" lower="-1.91986" upper="1.91986"/>
  </joint>
</robot>
"""


@pytest.fixture(scope="module")
def model():
    return mujoco.MjModel.from_xml_string(URDF)


def _mujoco_tool(model, q_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    data = mujoco.MjData(model)
    for name, value in zip(ARM_JOINTS, np.radians(q_deg), strict=True):
        data.qpos[model.joint(name).qposadr[0]] = value
    mujoco.mj_kinematics(model, data)
    body = model.body("gripperframe").id
    return data.xpos[body].copy(), data.xmat[body].reshape(3, 3).copy()


def test_forward_kinematics_matches_mujoco(model):
    kin = SO101Kinematics()
    rng = np.random.default_rng(0)
    for _ in range(200):
        q = rng.uniform(kin.lower_deg, kin.upper_deg)
        pose = kin.forward(q)
        position, rotation = _mujoco_tool(model, q)
        np.testing.assert_allclose(pose[:3, 3], position, atol=1e-6)
        np.testing.assert_allclose(pose[:3, :3], rotation, atol=1e-6)


def test_inverse_kinematics_reaches_targets_mujoco_agrees_with(model):
    kin = SO101Kinematics()
    rng = np.random.default_rng(1)
    for _ in range(100):
        start = rng.uniform(0.8 * kin.lower_deg, 0.8 * kin.upper_deg)
        goal = np.clip(start + rng.uniform(-20, 20, 5), kin.lower_deg, kin.upper_deg)
        goal[4] = start[4]
        target = kin.forward(goal)[:3, 3]
        solution, error = kin.inverse(target, start, pitch=kin.pitch(goal), iterations=100)
        assert error < 1e-3
        reached, _ = _mujoco_tool(model, solution)
        assert np.linalg.norm(reached - target) == pytest.approx(error, abs=1e-6)
        # the pitch is held as the approach axis' vertical component
        assert np.sin(kin.pitch(solution)) == pytest.approx(np.sin(kin.pitch(goal)), abs=5e-3)
        assert solution[4] == pytest.approx(start[4])  # wrist roll kept
        assert np.all(solution >= kin.lower_deg - 1e-9) and np.all(solution <= kin.upper_deg + 1e-9)
