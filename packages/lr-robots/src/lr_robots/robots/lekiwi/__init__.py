"""LeKiwi (``lekiwi`` on the robot, ``lekiwi_client`` on the laptop) and its host.

Port from LeRobot by changing the import: ``from lr_robots.robots.lekiwi import LeKiwiClient,
LeKiwiClientConfig``; the host runs as ``lr lekiwi-host`` or
``python -m lr_robots.robots.lekiwi.lekiwi_host``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "LeKiwi": "lr_robots.robots.lekiwi.robot",
    "LeKiwiClient": "lr_robots.robots.lekiwi.lekiwi_client",
    "LeKiwiHost": "lr_robots.robots.lekiwi.lekiwi_host",
    "LeKiwiConfig": "lr_robots.robots.lekiwi.config",
    "LeKiwiHostConfig": "lr_robots.robots.lekiwi.config",
    "LeKiwiServerConfig": "lr_robots.robots.lekiwi.config",
    "LeKiwiClientConfig": "lr_robots.robots.lekiwi.config",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-robots")

if TYPE_CHECKING:
    from lr_robots.robots.lekiwi.config import (
        LeKiwiClientConfig,
        LeKiwiConfig,
        LeKiwiHostConfig,
        LeKiwiServerConfig,
    )
    from lr_robots.robots.lekiwi.lekiwi_client import LeKiwiClient
    from lr_robots.robots.lekiwi.lekiwi_host import LeKiwiHost
    from lr_robots.robots.lekiwi.robot import LeKiwi
