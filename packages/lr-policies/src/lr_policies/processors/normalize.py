"""Normalisation steps: dataset statistics applied per feature type (LeRobot's formulas).

The statistics travel with the policy: the step's state is saved flat as
``"<feature>.<stat>"`` float32 tensors (``observation.state.mean``), as LeRobot saves them.
Camera statistics have shape ``(C, 1, 1)``; flat ``(C,)`` statistics are reshaped to that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import Tensor

from lr_core.features import FeatureType, PolicyFeature
from lr_policies.errors import CheckpointError, PolicyError
from lr_policies.policy_config import NormalizationMode
from lr_policies.processors.pipeline import Batch, ProcessorStep, register_step

Stats = Mapping[str, Mapping[str, Any]]

_BOUNDS = {
    NormalizationMode.MIN_MAX: ("min", "max"),
    NormalizationMode.QUANTILES: ("q01", "q99"),
    NormalizationMode.QUANTILE10: ("q10", "q90"),
}


def stats_to_tensors(stats: Stats | None) -> dict[str, dict[str, Tensor]]:
    """Dataset stats (numpy arrays, lists or tensors) as float32 CPU tensors."""
    out: dict[str, dict[str, Tensor]] = {}
    for key, sub in (stats or {}).items():
        for name, value in sub.items():
            if isinstance(value, Tensor):
                tensor = value.detach().to("cpu", torch.float32)
            else:
                array = np.asarray(value)
                if array.dtype == object or not np.issubdtype(array.dtype, np.number):
                    continue
                tensor = torch.as_tensor(array, dtype=torch.float32)
            out.setdefault(key, {})[name] = tensor
    return out


class _Normalization(ProcessorStep):
    """Shared state and maths of :class:`NormalizerStep` and :class:`UnnormalizerStep`."""

    inverse: ClassVar[bool] = False

    def __init__(
        self,
        features: Mapping[str, PolicyFeature | Mapping[str, Any]],
        # either key kind: Mapping's key type is invariant, so a FeatureType | str key type
        # would refuse the dict[FeatureType, ...] that normalization_mapping returns
        norm_map: Mapping[FeatureType, NormalizationMode | str]
        | Mapping[str, NormalizationMode | str],
        stats: Stats | None = None,
        eps: float = 1e-8,
        normalize_observation_keys: list[str] | None = None,
    ) -> None:
        self.features = {
            k: f if isinstance(f, PolicyFeature) else PolicyFeature.model_validate(dict(f))
            for k, f in features.items()
        }
        self.norm_map = {FeatureType(k): NormalizationMode(v) for k, v in norm_map.items()}
        self.eps = float(eps)
        self.normalize_observation_keys = (
            None if normalize_observation_keys is None else sorted(normalize_observation_keys)
        )
        self._explicit = bool(stats)
        self.stats = self._shaped(stats_to_tensors(stats))

    def _shaped(self, stats: dict[str, dict[str, Tensor]]) -> dict[str, dict[str, Tensor]]:
        for key, feature in self.features.items():
            if feature.type is FeatureType.VISUAL and key in stats:
                for name, t in stats[key].items():
                    if t.ndim == 1:
                        stats[key][name] = t.reshape(-1, 1, 1)
        return stats

    def mode(self, key: str) -> NormalizationMode:
        """The mode applied to feature ``key``."""
        return self.norm_map.get(self.features[key].type, NormalizationMode.IDENTITY)

    def _keys(self, batch: Batch) -> list[str]:
        keys = []
        for key, feature in self.features.items():
            if key not in batch:
                continue
            if feature.type is FeatureType.ACTION:
                if key != "action":
                    continue
            elif (
                self.normalize_observation_keys is not None
                and key not in self.normalize_observation_keys
            ):
                continue
            keys.append(key)
        return keys

    def __call__(self, batch: Batch) -> Batch:
        out = dict(batch)
        for key in self._keys(batch):
            out[key] = self.transform(torch.as_tensor(batch[key]), key)
        return out

    def transform(self, x: Tensor, key: str) -> Tensor:
        """(Un)normalise one tensor of feature ``key``."""
        mode = self.mode(key)
        if mode is NormalizationMode.IDENTITY or key not in self.stats:
            return x
        stats = {k: v.to(x.device, x.dtype) for k, v in self.stats[key].items()}
        if mode is NormalizationMode.MEAN_STD:
            mean, std = _need(stats, key, mode, "mean", "std")
            return x * std + mean if self.inverse else (x - mean) / (std + self.eps)
        low, high = _need(stats, key, mode, *_BOUNDS[mode])
        span = high - low
        span = torch.where(span == 0, torch.full_like(span, self.eps), span)
        return (x + 1) / 2 * span + low if self.inverse else 2 * (x - low) / span - 1

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "eps": self.eps,
            "features": {
                k: {"type": f.type.value, "shape": list(f.shape)} for k, f in self.features.items()
            },
            "norm_map": {t.value: m.value for t, m in self.norm_map.items()},
        }
        if self.normalize_observation_keys is not None:
            config["normalize_observation_keys"] = list(self.normalize_observation_keys)
        return config

    def state_dict(self) -> dict[str, Tensor]:
        return {f"{k}.{name}": t for k, sub in self.stats.items() for name, t in sub.items()}

    def load_state_dict(self, state: Mapping[str, Tensor]) -> None:
        # Stats given explicitly (an override when loading) win over the saved ones, as in LeRobot.
        if self._explicit:
            return
        stats: dict[str, dict[str, Tensor]] = {}
        for flat, tensor in state.items():
            key, sep, name = flat.rpartition(".")
            if not sep:
                raise CheckpointError(f"normaliser state key {flat!r} is not '<feature>.<stat>'")
            stats.setdefault(key, {})[name] = tensor.to("cpu", torch.float32)
        self.stats = self._shaped(stats)

    def to(self, device: str | torch.device) -> Self:
        self.stats = {k: {n: t.to(device) for n, t in sub.items()} for k, sub in self.stats.items()}
        return self


def _need(stats: Mapping[str, Tensor], key: str, mode: NormalizationMode, *names: str):
    missing = [n for n in names if n not in stats]
    if missing:
        raise PolicyError(
            f"feature {key!r} is normalised with {mode.value}, which needs the statistics "
            f"{list(names)}; missing {missing} (have {sorted(stats)}). Recompute the dataset's "
            f"stats or choose another normalization_mapping"
        )
    return tuple(stats[n] for n in names)


@register_step
class NormalizerStep(_Normalization):
    """Normalise observations and ``action`` with the dataset statistics (pre-processor)."""

    registry_name: ClassVar[str] = "normalizer_processor"
    inverse: ClassVar[bool] = False


@register_step
class UnnormalizerStep(_Normalization):
    """Map normalised ``action`` back to dataset units (post-processor)."""

    registry_name: ClassVar[str] = "unnormalizer_processor"
    inverse: ClassVar[bool] = True
