"""The base classes of lr-robots refuse, at construction, a subclass that lacks one of their
hooks (``abc.abstractmethod``): a plugin author sees a TypeError naming the hook when the
device is made, not a NotImplementedError at the first connect or capture."""

from __future__ import annotations

import pytest

from lr_robots.cameras.threaded import ThreadedCamera
from lr_robots.robots.arm import MotorArm
from lr_robots.teleoperators.leader import LeaderArm


class ArmWithoutBus(MotorArm):
    name = "arm_without_bus"

    def configure(self) -> None:
        pass


class LeaderWithoutBus(LeaderArm):
    name = "leader_without_bus"

    def configure(self) -> None:
        pass


class CameraWithoutGrab(ThreadedCamera):
    def _open(self) -> None:
        pass


@pytest.mark.parametrize(
    ("cls", "hook"),
    [(ArmWithoutBus, "make_bus"), (LeaderWithoutBus, "make_bus"), (CameraWithoutGrab, "_grab")],
)
def test_a_subclass_missing_a_hook_cannot_be_constructed(cls, hook):
    with pytest.raises(TypeError, match=rf"abstract method.*\b{hook}\b"):
        cls(None)


def test_the_hooks_are_abstract_on_the_base_classes():
    assert MotorArm.__abstractmethods__ >= {"make_bus", "configure"}
    assert LeaderArm.__abstractmethods__ >= {"make_bus", "configure"}
    assert ThreadedCamera.__abstractmethods__ == {"_open", "_grab"}
