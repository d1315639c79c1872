"""How lr layers config mappings: built-in defaults, then a config file, then flags."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["deep_merge"]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` recursively (mappings merge, everything else replaces).

    Selecting another plugin ``type`` drops the base's other keys for that section.
    """
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            if "type" in value and value["type"] != old.get("type"):
                out[key] = dict(value)
            else:
                out[key] = deep_merge(old, value)
        else:
            out[key] = value
    return out
