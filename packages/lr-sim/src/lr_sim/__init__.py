"""lr-sim: MuJoCo and Meta-World environments, scripted experts, simulated robots.

Names are resolved lazily: ``import lr_sim`` imports neither mujoco nor gymnasium.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SO101EnvConfig": "lr_sim.configs",
    "MetaWorldEnvConfig": "lr_sim.configs",
    "make_env": "lr_sim.factory",
    "env_features": "lr_sim.factory",
    "RenderSettings": "lr_sim.render",
    "CameraRenderer": "lr_sim.render",
    "SO101Env": "lr_sim.so101.env",
    "SO101Expert": "lr_sim.so101.expert",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, distribution="lr-sim")


if TYPE_CHECKING:
    from lr_sim.configs import MetaWorldEnvConfig, SO101EnvConfig
    from lr_sim.factory import env_features, make_env
    from lr_sim.render import CameraRenderer, RenderSettings
    from lr_sim.so101.env import SO101Env
    from lr_sim.so101.expert import SO101Expert
