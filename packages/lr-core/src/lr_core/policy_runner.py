"""Running a saved policy in this process on numpy observations, without importing it here.

``lr record --policy.path=<checkpoint>`` drives a robot with a trained policy, but lr-robots may
not import lr-policies (robots run on a Raspberry Pi without torch). The policy is therefore
resolved through the ``lr.policy_runners`` entry-point group: lr-policies registers ``local``
(``lr_policies.runner:load_policy_runner``), which loads an lr or LeRobot checkpoint with its
pre/post-processors. Without lr-policies installed, :func:`load_policy_runner` raises a
:class:`~lr_core.errors.MissingDependencyError` naming what to install.

The contract (:class:`PolicyRunner`) extends :class:`lr_core.policy.RemotePolicy`, so a loop
written for a served policy drives a local one: observations carry a leading batch axis,
keyed as in a dataset (``observation.state`` ``(B, D)`` float32, ``observation.images.<cam>``
``(B, H, W, 3)`` uint8), plus ``task`` (a list of ``B`` strings) for language-conditioned
policies; actions come back ``(B, D_action)`` float32, unnormalised (robot units).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from lr_core import registry
from lr_core.errors import MissingDependencyError
from lr_core.features import PolicyFeature
from lr_core.policy import RemotePolicy

#: Entry-point group of policy loaders; lr-policies registers ``local``.
POLICY_RUNNER_GROUP = "lr.policy_runners"
#: The loader used unless another is named.
DEFAULT_RUNNER = "local"


@runtime_checkable
class PolicyRunner(RemotePolicy, Protocol):
    """A saved policy with its processors, run in this process (see the module docstring): the
    :class:`~lr_core.policy.RemotePolicy` contract (``input_features``, ``select_action``,
    ``reset``, ``close``) plus what a local checkpoint also tells."""

    #: What it returns: ``{"action": PolicyFeature(shape=(D_action,))}``.
    output_features: Mapping[str, PolicyFeature]
    #: The checkpoint's policy type (``"act"``, ``"diffusion"``...).
    policy_type: str


def load_policy_runner(
    path: str | Path,
    *,
    device: str | None = None,
    num_threads: int | None = None,
    rename_map: Mapping[str, str] | None = None,
    use_amp: bool = False,
    runner: str = DEFAULT_RUNNER,
) -> PolicyRunner:
    """Load the saved policy at ``path`` (a folder, or a Hub model id) through the loader
    registered as ``runner`` in ``lr.policy_runners``.

    ``device`` (``"cpu"``, ``"cuda"``, ``"mps"``; ``None``: the checkpoint's, else the best
    available), ``num_threads`` (CPU threads for inference; ``None``: the library's default),
    ``rename_map`` (observation key → the policy's key, as in LeRobot's processors), ``use_amp``
    (autocast on CUDA).

    Raises:
        MissingDependencyError: no loader is installed (install lr-policies).
        PluginError: ``runner`` names no installed loader (the message lists them).
    """
    if not registry.names(POLICY_RUNNER_GROUP):
        raise MissingDependencyError(
            f"running a policy needs lr-policies, which registers the {POLICY_RUNNER_GROUP!r} "
            f"loader; install it with `pip install 'lr-robots[policy]'` (or `pip install "
            f"lr-policies`; `uv sync` in the lr workspace)"
        )
    load = registry.load(POLICY_RUNNER_GROUP, runner)
    return load(
        path,
        device=device,
        num_threads=num_threads,
        rename_map=dict(rename_map or {}),
        use_amp=use_amp,
    )
