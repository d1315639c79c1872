"""``lr_robots.kinematics``'s public names are exact."""

from __future__ import annotations

from lr_core.lazy import export_problems


def test_exports_are_exact():
    assert export_problems("lr_robots.kinematics") == []
