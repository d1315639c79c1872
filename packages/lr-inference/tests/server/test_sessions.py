"""Handshake checks (robot features vs the policy's inputs) and per-observation validation."""

from __future__ import annotations

import numpy as np
import pytest

from lr_core.features import FeatureSpec, FeatureType, PolicyFeature
from lr_core.messages import PolicySpec, TimedObservation
from lr_inference.errors import HandshakeRefusedError
from lr_inference.server.served import PolicyDescription
from lr_inference.server.sessions import ObservationError, Session, plan_session

MOTORS = [f"m{i}.pos" for i in range(6)]
DESCRIPTION = PolicyDescription(
    policy_type="act",
    input_features={
        "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,)),
        "observation.images.top": PolicyFeature(type=FeatureType.VISUAL, shape=(3, 48, 64)),
    },
    action_dim=6,
    chunk_length=100,
)


def robot(*, state: int = 6, cam: str = "top", size=(48, 64), action: int = 6) -> dict:
    return {
        "observation.state": FeatureSpec(
            dtype="float32", shape=(state,), names=[f"m{i}.pos" for i in range(state)]
        ),
        f"observation.images.{cam}": FeatureSpec(
            dtype="video", shape=(*size, 3), names=["height", "width", "channels"]
        ),
        "action": FeatureSpec(
            dtype="float32", shape=(action,), names=[f"m{i}.pos" for i in range(action)]
        ),
    }


def spec(features: dict, **kw) -> PolicySpec:
    return PolicySpec(
        policy_type=kw.pop("policy_type", "act"),
        pretrained_name_or_path="user/act",
        features=features,
        actions_per_chunk=kw.pop("actions_per_chunk", 50),
        **kw,
    )


def test_a_matching_robot_gets_a_plan():
    plan = plan_session(spec(robot()), DESCRIPTION)
    assert plan.inputs == {
        "observation.state": "observation.state",
        "observation.images.top": "observation.images.top",
    }
    assert plan.shapes["observation.images.top"] == (48, 64, 3)
    assert plan.action_names == MOTORS and plan.actions_per_chunk == 50


def test_every_mismatch_is_named_in_one_refusal():
    bad = spec(robot(state=7, cam="front", action=5), actions_per_chunk=200, policy_type="pi0")
    with pytest.raises(HandshakeRefusedError) as info:
        plan_session(bad, DESCRIPTION)
    text = str(info.value)
    assert "policy_type: the client asked for 'pi0'" in text
    assert (
        "observation.state: the policy expects shape [6], the robot's observation.state has [7]"
        in text
    )
    assert (
        "observation.images.top: the policy needs VISUAL [3, 48, 64], the robot has no such" in text
    )
    assert "rename_map" in text
    assert "action: the policy outputs 6 values per step, the robot takes [5]" in text
    assert "actions_per_chunk: 200 requested, the policy predicts 100" in text


def test_rename_map_and_image_sizes():
    renamed = spec(
        robot(cam="front"), rename_map={"observation.images.front": "observation.images.top"}
    )
    plan = plan_session(renamed, DESCRIPTION)
    assert plan.inputs["observation.images.front"] == "observation.images.top"
    with pytest.raises(
        HandshakeRefusedError, match=r"expects shape \[3, 48, 64\] \(C, H, W\).*\[3, 480, 640\]"
    ):
        plan_session(spec(robot(size=(480, 640))), DESCRIPTION)


def observation(**values) -> TimedObservation:
    base = {
        "observation.state": np.zeros(6, np.float32),
        "observation.images.top": np.zeros((48, 64, 3), np.uint8),
    }
    base.update(values)
    return TimedObservation(timestamp=1.0, timestep=3, observation=base)


def session() -> Session:
    return Session(
        routing_id=b"x", spec=spec(robot()), plan=plan_session(spec(robot()), DESCRIPTION), key=None
    )


def test_observations_are_checked_against_the_plan():
    s = session()
    item = s.prepare(observation())
    assert set(item) == {"observation.state", "observation.images.top"}
    with pytest.raises(ObservationError, match=r"'observation.images.top' has shape \[48, 64, 4\]"):
        s.prepare(observation(**{"observation.images.top": np.zeros((48, 64, 4), np.uint8)}))
    with pytest.raises(ObservationError, match="images must be uint8"):
        s.prepare(observation(**{"observation.images.top": np.zeros((48, 64, 3), np.float32)}))
    with pytest.raises(ObservationError, match="NaN"):
        s.prepare(observation(**{"observation.state": np.full(6, np.nan, np.float32)}))
    obs = observation()
    del obs.observation["observation.state"]
    with pytest.raises(ObservationError, match="lacks 'observation.state'"):
        s.prepare(obs)


def test_similarity_filter_follows_lerobots_rule():
    s = session()
    first = observation()
    assert s.skip_reason(first, atol=1.0) is None  # the first one always runs
    s.ran(first)
    near = TimedObservation(
        timestamp=2.0, timestep=4, observation={"observation.state": np.full(6, 0.1, np.float32)}
    )
    assert "obs_similarity_atol" in s.skip_reason(near, atol=1.0)
    assert s.skip_reason(near, atol=0.0) is None  # 0 disables the filter
    must = near.model_copy(update={"must_go": True})
    assert s.skip_reason(must, atol=1.0) is None
    again = TimedObservation(
        timestamp=3.0, timestep=3, observation={"observation.state": np.full(6, 50.0, np.float32)}
    )
    assert "already predicted" in s.skip_reason(again, atol=1.0)
    moved = again.model_copy(update={"timestep": 9})
    assert s.skip_reason(moved, atol=1.0) is None
