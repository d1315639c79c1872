"""The base class of every lr policy, its checkpoint format, and the policy factory.

A saved policy is a folder in LeRobot's layout, so either tool reads the other's::

    config.json          the policy config, with its "type" (indent 4)
    model.safetensors    every parameter and buffer, LeRobot's parameter names
    policy_preprocessor.json, policy_postprocessor.json, *.safetensors  (lr_policies.processors)

``PreTrainedPolicy.from_pretrained(path_or_repo_id)`` reads a local folder or a Hugging Face Hub
model repository (through ``huggingface_hub.snapshot_download``). Loading is strict: a checkpoint
whose tensors do not match the model's (missing, unexpected or differently shaped) is refused
with the offending names.
"""

from __future__ import annotations

import abc
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self

import torch
from torch import Tensor, nn

from lr_core.errors import ConfigError, LrError
from lr_core.features import (
    FeatureSpec,
    FeatureType,
    PolicyFeature,
    dataset_to_policy_features,
    features_from_json,
)
from lr_core.fileio import atomic_path, atomic_write_text
from lr_core.policy import PolicyConfig
from lr_policies.errors import CheckpointError, PolicyError

#: File names of a saved policy (LeRobot's, from huggingface_hub's constants).
CONFIG_NAME = "config.json"
SAFETENSORS_SINGLE_FILE = "model.safetensors"

#: What a policy hands its optimizer: parameters, or param-group dicts (``{"params": [...],
#: "lr": ...}``).
OptimParams = list[nn.Parameter] | list[dict[str, Any]]


class DatasetMeta(Protocol):
    """Dataset metadata as ``make_policy`` reads it: LeRobot's ``features`` mapping."""

    @property
    def features(self) -> Mapping[str, Any]:
        """Feature specs by key (lr FeatureSpec objects or LeRobot's dicts)."""
        ...


_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_MAX_LISTED_KEYS = 20


class PreTrainedPolicy(nn.Module, abc.ABC):
    """A policy: a ``torch.nn.Module`` implementing :class:`lr_core.policy.Policy`.

    Subclasses set ``config_class`` (their :class:`PolicyConfig` subclass) and implement
    :meth:`forward`, :meth:`predict_action_chunk`, :meth:`select_action` and :meth:`reset`.
    Batches hold *normalised* tensors (the pre-processor normalises, the post-processor
    unnormalises): ``observation.state`` ``(B, D_state)``, ``observation.images.<cam>``
    ``(B, 3, H, W)`` float in [0, 1] before normalisation, ``action`` ``(B, T, D_action)``.
    """

    config_class: ClassVar[type[PolicyConfig]]

    def __init__(self, config: PolicyConfig) -> None:
        super().__init__()
        expected = getattr(type(self), "config_class", None)
        if expected is None:
            raise TypeError(f"{type(self).__name__} must set the class attribute config_class")
        if not isinstance(config, expected):
            raise PolicyError(
                f"{type(self).__name__} needs a {expected.__name__}, got "
                f"{type(config).__name__}; load a saved policy with "
                f"{type(self).__name__}.from_pretrained(path)"
            )
        self.config = config

    # ----------------------------------------------------------------- the policy contract

    @abc.abstractmethod
    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Any]]:
        """The training loss (a scalar tensor) and a dict of loggable floats."""

    @abc.abstractmethod
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        """A whole chunk of (normalised) actions ``(B, T, D_action)`` for this observation."""

    @abc.abstractmethod
    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        """The next (normalised) action ``(B, D_action)``, from an internal queue of chunks."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Clear internal queues and caches; call at the start of every episode."""

    def get_optim_params(self) -> OptimParams:
        """What to hand the optimizer: trainable parameters, or a list of param-group dicts
        (ACT puts the backbone in its own group)."""
        return [p for p in self.parameters() if p.requires_grad]

    # ----------------------------------------------------------------- checkpoints

    def save_pretrained(
        self, save_directory: str | Path, *, state_dict: Mapping[str, Tensor] | None = None
    ) -> Path:
        """Write ``config.json`` and ``model.safetensors`` into ``save_directory``.

        ``state_dict`` overrides the module's own tensors (e.g. gathered from a wrapped model).
        """
        from safetensors.torch import save_file, save_model

        directory = Path(save_directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_policy_config(self.config, directory)
        with atomic_path(directory / SAFETENSORS_SINGLE_FILE) as tmp:
            if state_dict is None:
                save_model(self, str(tmp), metadata={"format": "pt"})
            else:
                tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
                save_file(tensors, str(tmp), metadata={"format": "pt"})
        return directory

    @classmethod
    def from_pretrained(
        cls,
        pretrained_name_or_path: str | Path,
        *,
        config: PolicyConfig | None = None,
        revision: str | None = None,
        device: str | torch.device | None = None,
    ) -> Self:
        """Load a saved policy from a local folder or a Hub model repository.

        Called on ``PreTrainedPolicy`` itself, the class is chosen from the ``type`` in
        ``config.json`` through the ``lr.policies`` registry. ``config`` replaces the saved
        config (e.g. to change inference-time settings). The policy is returned in eval mode, on
        ``device`` (else ``config.device``, else CPU).
        """
        directory = resolve_pretrained(pretrained_name_or_path, revision=revision)
        if config is None:
            config = load_policy_config(directory)
        if cls is PreTrainedPolicy or getattr(cls, "config_class", None) is None:
            # Let the concrete class load (it may skip work a fresh model does, such as
            # fetching ImageNet backbone weights that the checkpoint overwrites anyway).
            policy_cls = policy_class_for(config)
            return policy_cls.from_pretrained(  # type: ignore[return-value]
                directory, config=config, revision=revision, device=device
            )
        policy = cls(config)
        load_weights(policy, directory / SAFETENSORS_SINGLE_FILE)
        policy.to(torch.device(device or config.device or "cpu"))
        policy.eval()
        return policy  # type: ignore[return-value]


# --------------------------------------------------------------------------- loading helpers


def resolve_pretrained(pretrained_name_or_path: str | Path, *, revision: str | None = None) -> Path:
    """A local folder holding a saved policy: ``pretrained_name_or_path`` itself when it is a
    folder (or its ``pretrained_model/`` for a training checkpoint), else a snapshot of the Hub
    model repository of that id (``*.json`` and ``*.safetensors`` files only)."""
    path = Path(pretrained_name_or_path).expanduser()
    if path.is_dir():
        # A training checkpoint folder (checkpoints/<step>) holds the policy one level down.
        nested = path / "pretrained_model"
        if not (path / CONFIG_NAME).exists() and (nested / CONFIG_NAME).exists():
            return nested
        return path
    text = str(pretrained_name_or_path)
    if path.exists() or not _REPO_ID.match(text):
        raise CheckpointError(
            f"{text!r} is neither a folder holding a saved policy ({CONFIG_NAME}, "
            f"{SAFETENSORS_SINGLE_FILE}) nor a Hub repository id of the form 'user/name'"
        )
    from huggingface_hub import snapshot_download

    try:
        local = snapshot_download(
            repo_id=text,
            revision=revision,
            repo_type="model",
            allow_patterns=["*.json", "*.safetensors"],
        )
    except Exception as exc:
        raise CheckpointError(
            f"cannot fetch policy {text!r} (revision {revision or 'main'}) from the Hugging Face "
            f"Hub, and there is no local folder of that name: {exc}"
        ) from exc
    return Path(local)


def load_policy_config(directory: str | Path) -> PolicyConfig:
    """Read and validate ``<directory>/config.json``; its ``type`` picks the config class."""
    file = Path(directory) / CONFIG_NAME
    try:
        data = json.loads(file.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{file} does not exist: not a saved policy folder") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{file} cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise CheckpointError(f"{file} must be a JSON object with a string 'type' (e.g. 'act')")
    try:
        return PolicyConfig.from_dict(data, source=str(file))
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from None


def save_policy_config(config: PolicyConfig, directory: str | Path) -> None:
    """Write ``config.json`` (indent 4, with its ``type``) as LeRobot does."""
    data = config.to_dict()
    data = {"type": data.pop("type"), **data}
    atomic_write_text(Path(directory) / CONFIG_NAME, json.dumps(data, indent=4) + "\n")


def policy_class_for(config: PolicyConfig | type[PolicyConfig]) -> type[PreTrainedPolicy]:
    """The policy class a config names through its ``implementation``."""
    config_cls = config if isinstance(config, type) else type(config)
    target = config_cls.implementation_class()
    if not (isinstance(target, type) and issubclass(target, PreTrainedPolicy)):
        raise LrError(
            f"{config_cls.__name__}.implementation is {target!r}, "
            f"which is not a PreTrainedPolicy subclass"
        )
    return target


def load_weights(policy: nn.Module, file: str | Path) -> None:
    """Load a ``model.safetensors`` into ``policy`` strictly (CPU first, then moved by caller).

    Raises :class:`CheckpointError` listing missing and unexpected tensor names, or the tensors
    whose shapes differ.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    file = Path(file)
    if not file.is_file():
        raise CheckpointError(f"{file} does not exist: the policy weights are missing")
    try:
        tensors = load_file(str(file), device="cpu")
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{file} is not a readable safetensors file: {exc}") from exc

    expected = policy.state_dict()
    # safetensors stores a tensor shared by several names once; restore the aliases.
    for name, tensor in expected.items():
        if name in tensors:
            continue
        for other, other_tensor in expected.items():
            if other in tensors and other_tensor.data_ptr() == tensor.data_ptr() and other != name:
                tensors[name] = tensors[other]
                break
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    mismatched = [
        f"{k}: checkpoint {tuple(tensors[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in sorted(set(expected) & set(tensors))
        if tuple(tensors[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f"missing keys ({len(missing)}): {_listing(missing)}")
        if unexpected:
            parts.append(f"unexpected keys ({len(unexpected)}): {_listing(unexpected)}")
        if mismatched:
            parts.append(f"shape mismatches ({len(mismatched)}): {_listing(mismatched)}")
        raise CheckpointError(
            f"{file} does not match {type(policy).__name__}: " + "; ".join(parts) + ". "
            "Was it saved by another policy type or with a different config?"
        )
    policy.load_state_dict(tensors, strict=True)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED_KEYS])
    more = len(names) - _MAX_LISTED_KEYS
    return shown + (f", ... and {more} more" if more > 0 else "")


# --------------------------------------------------------------------------- factory


def _features_of(dataset_meta: DatasetMeta | Mapping[str, Any]) -> dict[str, FeatureSpec]:
    """The dataset features of ``dataset_meta``: an object with ``.features`` or a mapping."""
    features = getattr(dataset_meta, "features", dataset_meta)
    if not isinstance(features, Mapping):
        raise PolicyError(
            f"cannot read dataset features from {type(dataset_meta).__name__}: pass dataset "
            "metadata with a .features mapping, or the mapping itself"
        )
    out: dict[str, FeatureSpec] = {}
    raw: dict[str, Any] = {}
    for key, spec in features.items():
        if isinstance(spec, FeatureSpec):
            out[key] = spec
        else:
            raw[key] = spec
    if raw:
        out.update(features_from_json(raw))
    return {key: out[key] for key in features}


def policy_features(
    config: PolicyConfig,
    dataset_meta: DatasetMeta | Mapping[str, Any],
    rename_map: Mapping[str, str] | None = None,
) -> tuple[dict[str, PolicyFeature], dict[str, PolicyFeature]]:
    """``(input_features, output_features)`` for ``config`` from a dataset's features.

    As LeRobot: outputs are the ACTION features; inputs, unless the config already names them,
    are every other policy feature (state, environment state, cameras). ``rename_map`` renames
    dataset keys to the policy's (as the pre-processor's renaming step does).
    """
    renames = dict(rename_map or {})
    features = {
        renames.get(k, k): f
        for k, f in dataset_to_policy_features(_features_of(dataset_meta)).items()
    }
    outputs = {k: f for k, f in features.items() if f.type is FeatureType.ACTION}
    if not outputs:
        raise PolicyError(
            f"the dataset has no action feature (keys starting with 'action'); "
            f"found {sorted(features)}"
        )
    inputs = dict(config.input_features) or {k: f for k, f in features.items() if k not in outputs}
    return inputs, outputs


def make_policy(
    config: PolicyConfig,
    dataset_meta: DatasetMeta | Mapping[str, Any] | None = None,
    *,
    pretrained: str | Path | None = None,
    device: str | torch.device | None = None,
    rename_map: Mapping[str, str] | None = None,
) -> PreTrainedPolicy:
    """Build the policy ``config`` describes.

    ``config.type`` is resolved through the ``lr.policies`` registry (a base
    :class:`PolicyConfig` with a ``type`` is first validated into its registered subclass).
    With ``dataset_meta`` (a dataset metadata object with ``.features``, or the features mapping
    itself) the input/output features are derived from the dataset's features. With
    ``pretrained`` the weights are loaded from that folder or Hub repository. ``rename_map``
    maps dataset keys to the policy's (``{"observation.images.left": "observation.images.top"}``).
    """
    if type(config).own_type() is None:
        config = _specialised(config)
    if dataset_meta is not None:
        inputs, outputs = policy_features(config, dataset_meta, rename_map)
        update: dict[str, Any] = {"input_features": inputs, "output_features": outputs}
        # π0/π0.5's relative actions name the joints to keep absolute (LeRobot fills this too).
        if "action_feature_names" in type(config).model_fields and not getattr(
            config, "action_feature_names", None
        ):
            action = _features_of(dataset_meta).get("action")
            names = getattr(action, "names", None)
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                update["action_feature_names"] = list(names)
        config = config.model_copy(update=update)
    elif not config.output_features and pretrained is None:
        raise PolicyError(
            f"policy {config.type!r} has no output features: pass the dataset metadata "
            "(make_policy(config, dataset.meta)) or set input_features/output_features"
        )
    policy_cls = policy_class_for(config)
    if pretrained is not None:
        policy = policy_cls.from_pretrained(pretrained, config=config, device=device)
        policy.train()
        return policy
    policy = policy_cls(config)
    policy.to(torch.device(device or config.device or "cpu"))
    return policy


def _specialised(config: PolicyConfig) -> PolicyConfig:
    """A config of the registered class for ``config.type`` built from ``config``'s values."""
    return PolicyConfig.from_dict(config.to_dict(), source=f"policy config of type {config.type!r}")
