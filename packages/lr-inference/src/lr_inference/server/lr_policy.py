"""Serving lr-policies checkpoints (ACT, Diffusion, …): the default loader of ``lr serve``.

A checkpoint folder or Hub id (resolved on the server, as in LeRobot) is loaded with
:meth:`lr_policies.pretrained.PreTrainedPolicy.from_pretrained` and its saved pre/post-
processors (:func:`lr_policies.processors.load_pre_post_processors`), the client's ``device``
overriding the saved one. The server does the client's ``rename_map`` itself before this
module sees the batch, so the pre-processor's own rename step is emptied.

Per forward pass: raw arrays are stacked into a batch (cameras ``(B, [S,] H, W, C)`` uint8 →
``(B, [S,] C, H, W)`` float in [0, 1], exactly as ``lr eval`` does for local policies), run
through the pre-processor, ``policy.predict_action_chunk`` (``(B, T, D)``), and the
post-processor (unnormalised robot units on the CPU).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from lr_core.errors import ConfigError, require
from lr_core.features import FeatureType
from lr_core.messages import PolicySpec
from lr_inference.server.served import PolicyDescription, StageStamps
from lr_inference.transport import now

logger = logging.getLogger(__name__)


class LrServedPolicy:
    """An lr-policies policy with its processors, behind :class:`ServedPolicy`."""

    def __init__(self, policy: Any, preprocessor: Any, postprocessor: Any, device: str) -> None:
        import torch

        self._torch = torch
        self.policy = policy
        self.pre = preprocessor
        self.post = postprocessor
        self.device = torch.device(device)
        config = policy.config
        self._images = {
            key for key, f in config.input_features.items() if f.type == FeatureType.VISUAL
        }
        action = config.output_features.get("action")
        if action is None:
            raise ConfigError(f"{config.type} policy declares no 'action' output feature")
        n_obs_steps = int(getattr(config, "n_obs_steps", 1) or 1)
        self.description = PolicyDescription(
            policy_type=config.type,
            input_features=dict(config.input_features),
            action_dim=int(action.shape[0]),
            chunk_length=0,
            n_obs_steps=n_obs_steps,
            config=config.to_dict(),
        )
        # One forward pass on zeros: finds the chunk length T for any policy, and warms up
        # the device (the first CUDA call is slow) before a robot waits on it.
        actions, _ = self.predict([self._zeros()])
        self.description = PolicyDescription(
            **{**self.description.__dict__, "chunk_length": int(actions.shape[1])}
        )

    def _zeros(self) -> dict[str, np.ndarray]:
        steps = self.description.n_obs_steps
        item: dict[str, np.ndarray] = {}
        for key, feature in self.description.input_features.items():
            shape = tuple(feature.shape)
            if key in self._images:
                c, h, w = shape
                shape, dtype = (h, w, c), np.uint8
            else:
                dtype = np.float32
            item[key] = np.zeros(((steps, *shape) if steps > 1 else shape), dtype=dtype)
        return item

    def predict(self, batch: list[dict[str, Any]]) -> tuple[np.ndarray, StageStamps]:
        """See :meth:`lr_inference.server.served.ServedPolicy.predict`."""
        torch = self._torch
        stamps = StageStamps(preprocess_started=now())
        tensors: dict[str, Any] = {}
        if any("task" in item for item in batch):  # one instruction per observation
            tensors["task"] = [str(item.get("task", "")) for item in batch]
        for key in batch[0]:
            if key == "task":
                continue
            array = np.stack([item[key] for item in batch])
            tensor = torch.from_numpy(array)
            if key in self._images:
                tensor = tensor.movedim(-1, -3).float().div_(255.0)
            tensors[key] = tensor
        inputs = self.pre(tensors)
        self._synchronize()
        stamps.inference_started = now()
        with torch.inference_mode():
            actions = self.policy.predict_action_chunk(inputs)
        self._synchronize()
        stamps.inference_finished = now()
        actions = self.post(actions)
        out = actions.detach().to("cpu", torch.float32).numpy()
        stamps.postprocess_finished = now()
        return out, stamps

    def _synchronize(self) -> None:
        if self.device.type == "cuda":
            self._torch.cuda.synchronize(self.device)


def load_lr_policy(spec: PolicySpec) -> LrServedPolicy:
    """Load ``spec.pretrained_name_or_path`` on ``spec.device`` (``cpu``, ``cuda``, ``mps``).

    Raises :class:`~lr_core.errors.MissingDependencyError` without the ``server`` extra,
    :class:`ConfigError` for a device this machine lacks, and lr-policies' checkpoint errors.
    """
    require("lr_policies", "server", "lr-inference")
    import torch

    from lr_policies.pretrained import PreTrainedPolicy, resolve_pretrained
    from lr_policies.processors import load_pre_post_processors

    device = spec.device or "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"policy_device={device!r} but this server has no CUDA device")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("policy_device='mps' but this server has no Apple GPU")
    directory = resolve_pretrained(spec.pretrained_name_or_path)
    policy = PreTrainedPolicy.from_pretrained(directory, device=device)
    policy.reset()
    pre, post = load_pre_post_processors(directory, device=device, rename_map={})
    logger.info("loaded %s (%s) on %s", spec.pretrained_name_or_path, policy.config.type, device)
    return LrServedPolicy(policy, pre, post, device)
