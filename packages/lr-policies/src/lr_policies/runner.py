"""A saved policy run on numpy observations: lr-core's :class:`~lr_core.policy_runner.PolicyRunner`.

Registered as ``local`` in the ``lr.policy_runners`` entry-point group, so ``lr record
--policy.path=...`` (lr-robots, which may not import this package) finds it through
:func:`lr_core.policy_runner.load_policy_runner`.

Each :meth:`LocalPolicyRunner.select_action` does what LeRobot's ``predict_action`` does
(``lerobot/utils/control_utils.py``): camera frames ``(B, H, W, 3)`` uint8 become ``(B, 3, H,
W)`` float32 in [0, 1], state vectors float32 tensors; then the checkpoint's pre-processor
(rename, batch, device, normalise), ``policy.select_action`` under ``torch.inference_mode``
(and CUDA autocast with ``use_amp``), the post-processor (unnormalise, to CPU), and numpy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lr_core.features import FeatureType, PolicyFeature
from lr_policies.errors import PolicyError
from lr_policies.pretrained import PreTrainedPolicy, resolve_pretrained
from lr_policies.processors import load_pre_post_processors


def pick_device(device: str | None, configured: str | None) -> str:
    """``device``, else the checkpoint's when available here, else CUDA, MPS or CPU."""
    if device:
        return device
    if configured and (configured == "cpu" or _available(configured)):
        return configured
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _available(device: str) -> bool:
    kind = device.split(":", 1)[0]
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


class LocalPolicyRunner:
    """A policy and its processors loaded from ``path`` (see the module docstring)."""

    def __init__(
        self,
        path: str | Path,
        *,
        device: str | None = None,
        num_threads: int | None = None,
        rename_map: Mapping[str, str] | None = None,
        use_amp: bool = False,
    ) -> None:
        if num_threads is not None:
            if num_threads < 1:
                raise PolicyError(f"num_threads must be at least 1, got {num_threads}")
            torch.set_num_threads(num_threads)
        directory = resolve_pretrained(path)
        self.path = directory
        self.policy = PreTrainedPolicy.from_pretrained(directory, device="cpu")
        self.device = pick_device(device, self.policy.config.device)
        self.policy.to(torch.device(self.device))
        self.pre, self.post = load_pre_post_processors(
            directory, device=self.device, rename_map=dict(rename_map or {})
        )
        self.use_amp = bool(use_amp) and self.device.startswith("cuda")
        self.policy_type = str(self.policy.config.type)
        back = {policy_key: key for key, policy_key in dict(rename_map or {}).items()}
        self.input_features: dict[str, PolicyFeature] = {
            back.get(k, k): f for k, f in self.policy.config.input_features.items()
        }
        self.output_features: dict[str, PolicyFeature] = dict(self.policy.config.output_features)

    def __repr__(self) -> str:
        return f"LocalPolicyRunner({self.policy_type} from {self.path} on {self.device})"

    def _batch(self, observation: Mapping[str, Any]) -> dict[str, Any]:
        batch: dict[str, Any] = {}
        for key, value in observation.items():
            if key == "task":
                batch[key] = [value] if isinstance(value, str) else list(value)
                continue
            array = np.asarray(value)
            feature = self.input_features.get(key)
            if feature is not None and feature.type is FeatureType.VISUAL:
                if array.ndim != 4 or array.shape[-1] != 3:
                    raise PolicyError(
                        f"observation {key!r} has shape {array.shape}; expected (B, H, W, 3) "
                        f"uint8 camera frames"
                    )
                wanted = tuple(feature.shape)
                got = (3, *array.shape[1:3])
                if got != wanted:
                    raise PolicyError(
                        f"camera {key!r} gives {got[2]}x{got[1]} frames but the policy was "
                        f"trained on {wanted[2]}x{wanted[1]} (C, H, W {wanted}); set the camera's "
                        f"width/height to match"
                    )
                tensor = torch.from_numpy(np.ascontiguousarray(array)).permute(0, 3, 1, 2)
                batch[key] = tensor.float().div_(255.0)
            elif np.issubdtype(array.dtype, np.number):
                batch[key] = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))
        missing = sorted(set(self.input_features) - set(batch))
        if missing:
            raise PolicyError(
                f"the observation lacks the policy inputs {missing}; it gives {sorted(batch)}. "
                "Give the robot those cameras/state, or map names with "
                '--policy.rename_map=\'{"observation key": "policy key"}\''
            )
        return batch

    def select_action(self, observation: Mapping[str, Any]) -> np.ndarray:
        """The next action ``(B, D_action)`` float32 (robot units) for ``observation``."""
        batch = self.pre(self._batch(observation))
        autocast = torch.autocast(device_type="cuda") if self.use_amp else contextlib.nullcontext()
        with torch.inference_mode(), autocast:
            action = self.post(self.policy.select_action(batch))
        return action.detach().to("cpu", torch.float32).numpy()

    def reset(self) -> None:
        """Clear the policy's action queue (start of an episode)."""
        self.policy.reset()

    def close(self) -> None:
        """Drop the model (frees device memory)."""
        self.policy = None  # type: ignore[assignment]
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()


def load_policy_runner(
    path: str | Path,
    *,
    device: str | None = None,
    num_threads: int | None = None,
    rename_map: Mapping[str, str] | None = None,
    use_amp: bool = False,
) -> LocalPolicyRunner:
    """The ``lr.policy_runners`` entry point ``local`` (see :class:`LocalPolicyRunner`)."""
    return LocalPolicyRunner(
        path, device=device, num_threads=num_threads, rename_map=rename_map, use_amp=use_amp
    )
