"""Plugin registry over Python entry points.

Every pluggable thing — robots, teleoperators, cameras, policies, environments and ``lr``
subcommands — is found through an entry-point group. Built-ins register exactly like third-party
plugins, in their distribution's ``pyproject.toml``::

    [project.entry-points."lr.robots"]
    so101_follower = "lr_robots.so101.config:SO101FollowerConfig"

Values are ``module:attribute`` strings, imported on first use only, so listing what is installed
imports nothing. For robots, teleoperators, cameras, policies and envs the value names the
*config* class (cheap to import; it names its implementation lazily, see
:class:`lr_core.config.PluginConfig`). For ``lr.commands`` it names a :class:`lr_core.cli.Command`;
for ``lr.remote_policies`` (keyed by address scheme, ``tcp``) a function that connects to a policy
server (:func:`lr_core.policy.connect_remote_policy`);
for ``lr.policy_runners`` a function loading a saved policy to run in-process
(:func:`lr_core.policy_runner.load_policy_runner`).
"""

from __future__ import annotations

import difflib
import importlib
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from lr_core.errors import PluginError

#: The entry-point groups lr uses.
GROUPS = (
    "lr.robots",
    "lr.teleoperators",
    "lr.cameras",
    "lr.policies",
    "lr.envs",
    "lr.commands",
    "lr.remote_policies",
    "lr.policy_runners",
)


@cache
def _group(group: str) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=group):
        previous = found.get(ep.name)
        if previous is not None and previous.value != ep.value:
            raise PluginError(
                f"two installed distributions register {ep.name!r} in {group!r}: "
                f"{previous.value} and {ep.value}; uninstall one of them"
            )
        found[ep.name] = ep
    return found


def names(group: str) -> list[str]:
    """The registered names in ``group``, sorted (imports nothing)."""
    return sorted(_group(group))


def entry_point(group: str, name: str) -> EntryPoint:
    """The entry point ``name`` of ``group``; the error lists the valid names."""
    found = _group(group)
    if name not in found:
        raise PluginError(unknown_name_message(group, name, list(found)))
    return found[name]


def load(group: str, name: str) -> Any:
    """Import and return the object registered as ``name`` in ``group``."""
    ep = entry_point(group, name)
    try:
        return ep.load()
    except Exception as exc:
        dist = ep.dist.name if ep.dist is not None else "its distribution"
        raise PluginError(
            f"{group} plugin {name!r} ({ep.value}, from {dist}) failed to import: {exc}"
        ) from exc


def load_object(path: str) -> Any:
    """Import ``"package.module:Attribute"`` (the form entry points and configs use)."""
    module_name, _, attr = path.partition(":")
    if not attr:
        raise PluginError(f"{path!r} is not of the form 'package.module:Attribute'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(f"cannot import {module_name!r} (for {path!r}): {exc}") from exc
    try:
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError as exc:
        raise PluginError(f"{module_name!r} has no attribute {attr!r}") from exc
    return obj


def refresh() -> None:
    """Forget cached entry points (after installing a plugin into the running interpreter)."""
    _group.cache_clear()


def unknown_name_message(group: str, name: str, valid: list[str]) -> str:
    """An error message for an unknown plugin name, with the closest valid names."""
    close = difflib.get_close_matches(name, valid, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    listing = ", ".join(sorted(valid)) if valid else "(none installed)"
    return f"unknown {group} type {name!r}.{hint} Installed: {listing}."
