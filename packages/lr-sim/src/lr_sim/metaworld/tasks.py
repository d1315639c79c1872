"""Meta-World task names: what ``--env.task`` (a name, a comma list, MT10 or MT50) stands for.

Apart from the env (:mod:`lr_sim.metaworld.env`) so that the env configs can expand a task set
without importing the env, which imports them.
"""

from __future__ import annotations

from lr_core.errors import ConfigError
from lr_sim._mujoco import import_mujoco

__all__ = ["task_names"]


def task_names(task: str) -> list[str]:
    """The Meta-World task names ``task`` stands for: ``MT10`` / ``MT50`` expand to their sets,
    a comma-separated list to its items, a single name to itself (checked)."""
    import_mujoco()  # choose the GL backend before metaworld imports mujoco
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS, MT10_V3, MT50_V3

    if task == "MT10":
        return list(MT10_V3)
    if task == "MT50":
        return list(MT50_V3)
    names = [t.strip() for t in task.split(",") if t.strip()]
    unknown = [n for n in names if n not in ALL_V3_ENVIRONMENTS]
    if unknown or not names:
        raise ConfigError(
            f"unknown Meta-World task(s) {unknown or task!r}; use MT10, MT50 or names such as "
            f"{', '.join(list(ALL_V3_ENVIRONMENTS)[:5])}, ..."
        )
    return names
