"""Config of ``lekiwi_leader`` (lr's; cheap to import)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lr_core.devices import TeleoperatorConfig
from lr_robots.teleoperators.keyboard.config import (
    LEKIWI_SPEED_LEVELS,
    LEKIWI_TELEOP_KEYS,
    KeyboardInputConfig,
)


class LeKiwiLeaderConfig(KeyboardInputConfig):
    """``--teleop.type=lekiwi_leader --teleop.arm.type=so101_leader --teleop.arm.port=...
    --teleop.arm.id=...``: the leader arm drives LeKiwi's arm (its actions prefixed ``arm_``),
    the keyboard its base.

    - ``arm``: any leader arm teleoperator (``so101_leader``, ``so100_leader``,
      ``koch_leader``...) with its own ``id`` and calibration; ``null`` drives the base only.
    - ``teleop_keys`` / ``speed_levels``: LeKiwi's base keys (``keyboard_base``'s fields).
    - ``backend`` / ``hold_s``: where keys come from (the terminal works over SSH).
    """

    type: Literal["lekiwi_leader"] = "lekiwi_leader"
    implementation: ClassVar[str] = (
        "lr_robots.teleoperators.lekiwi_leader.teleoperator:LeKiwiLeader"
    )

    arm: TeleoperatorConfig | None = None
    teleop_keys: dict[str, str] = Field(default_factory=lambda: dict(LEKIWI_TELEOP_KEYS))
    speed_levels: list[dict[str, float]] = Field(
        default_factory=lambda: [dict(level) for level in LEKIWI_SPEED_LEVELS]
    )
