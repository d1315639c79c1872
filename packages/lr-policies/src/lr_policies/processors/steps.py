"""Stateless processor steps: key renaming, batch dimension, device and dtype placement."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import torch
from torch import Tensor

from lr_core.errors import ConfigError
from lr_policies.processors.pipeline import Batch, ProcessorStep, map_tensors, register_step


@register_step
class RenameObservationsStep(ProcessorStep):
    """Rename observation keys (``{"observation.images.left": "observation.images.top"}``),
    e.g. to feed a policy trained on other camera names; other keys are kept."""

    registry_name: ClassVar[str] = "rename_observations_processor"

    def __init__(self, rename_map: Mapping[str, str] | None = None) -> None:
        self.rename_map = dict(rename_map or {})

    def __call__(self, batch: Batch) -> Batch:
        if not self.rename_map:
            return dict(batch)
        return {
            (self.rename_map.get(k, k) if k.startswith("observation") else k): v
            for k, v in batch.items()
        }

    def get_config(self) -> dict[str, Any]:
        return {"rename_map": dict(self.rename_map)}


@register_step
class AddBatchDimensionStep(ProcessorStep):
    """Add a leading batch dimension of 1 to unbatched inputs: state vectors ``(D,)``,
    images ``(C, H, W)``, actions ``(D,)``, ``task`` strings; batched inputs pass unchanged."""

    registry_name: ClassVar[str] = "to_batch_processor"

    def __call__(self, batch: Batch) -> Batch:
        out = dict(batch)
        for key, value in batch.items():
            if key in ("observation.state", "observation.environment_state", "action"):
                if isinstance(value, Tensor) and value.dim() == 1:
                    out[key] = value.unsqueeze(0)
            elif key == "observation.image" or key.startswith("observation.images."):
                if isinstance(value, Tensor) and value.dim() == 3:
                    out[key] = value.unsqueeze(0)
            elif key == "task" and isinstance(value, str):
                out[key] = [value]
            elif key in ("index", "task_index") and isinstance(value, Tensor) and value.dim() == 0:
                out[key] = value.unsqueeze(0)
        return out


_DTYPES = {
    "float16": torch.float16,
    "half": torch.float16,
    "float32": torch.float32,
    "float": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
    "bfloat16": torch.bfloat16,
}


@register_step
class DeviceStep(ProcessorStep):
    """Move every tensor to ``device`` and, when ``float_dtype`` is set, cast floating-point
    tensors to it (``"float32"``, ``"bfloat16"``...)."""

    registry_name: ClassVar[str] = "device_processor"

    def __init__(self, device: str = "cpu", float_dtype: str | None = None) -> None:
        if float_dtype is not None and float_dtype not in _DTYPES:
            raise ConfigError(
                f"device_processor: float_dtype {float_dtype!r} is not one of {sorted(_DTYPES)}"
            )
        self.device = torch.device(device)
        self.float_dtype = float_dtype
        self._dtype = _DTYPES.get(float_dtype) if float_dtype else None

    def __call__(self, batch: Batch) -> Batch:
        non_blocking = self.device.type == "cuda"

        def move(t: Tensor) -> Tensor:
            if t.device != self.device:
                t = t.to(self.device, non_blocking=non_blocking)
            if self._dtype is not None and t.is_floating_point():
                t = t.to(self._dtype)
            return t

        return map_tensors(batch, move)

    def get_config(self) -> dict[str, Any]:
        return {"device": self.device.type, "float_dtype": self.float_dtype}

    def to(self, device: str | torch.device) -> Self:
        self.device = torch.device(device)
        return self
