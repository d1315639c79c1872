"""Diffusion Policy (Chi et al., 2023), LeRobot-compatible.

Module tree and parameter names are LeRobot 0.6.1's ``DiffusionPolicy``
(``diffusion.rgb_encoder.0.backbone.4.0.conv1.weight``, ``diffusion.unet.down_modules...``), so
its ``model.safetensors`` loads with ``strict=True``; given the same noise (an injected tensor,
or the same global RNG seed) the sampled actions match LeRobot's.

Shapes: B batch, S = ``n_obs_steps``, N cameras, T = ``horizon``, A action dim.
Observations over S steps are encoded (ResNet → spatial soft-argmax → linear per camera) and
flattened with the state into a global condition; a 1-D U-Net denoises a (B, T, A) action
sequence over ``num_inference_steps`` DDPM/DDIM steps.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any, Self

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_policies.diffusion.config import DiffusionConfig
from lr_policies.errors import PolicyError
from lr_policies.layers.resnet import (
    conv_norm,
    group_norm_16,
    load_backbone_weights,
    no_pretrained_backbone,
    pretrained_backbone_enabled,
    resnet,
    to_channels_last,
)
from lr_policies.layers.schedulers import make_scheduler
from lr_policies.layers.spatial_softmax import SpatialSoftmax
from lr_policies.layers.unet1d import ConditionalUnet1d
from lr_policies.policy_config import ACTION, OBS_ENV_STATE, OBS_IMAGES, OBS_STATE
from lr_policies.pretrained import PreTrainedPolicy


class DiffusionPolicy(PreTrainedPolicy):
    """Diffusion Policy with observation and action queues for online use.

    Batches hold normalised tensors. Online (:meth:`select_action`): one step of observations,
    ``observation.state`` (B, D_state), ``observation.images.<cam>`` (B, 3, H, W),
    ``observation.environment_state`` (B, D_env). Offline (:meth:`predict_action_chunk` on a
    fresh policy, :meth:`forward`): the same keys with an S axis after B, plus for training
    ``action`` (B, T, A) and ``action_is_pad`` (B, T).
    """

    config_class = DiffusionConfig
    name = "diffusion"
    config: DiffusionConfig

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__(config)
        config.validate_features()
        self.diffusion = DiffusionModel(config)
        self._queues: dict[str, deque[Tensor]] = {}
        self.reset()

    @classmethod
    def from_pretrained(cls, pretrained_name_or_path: str | Path, **kwargs: Any) -> Self:
        """Load a saved policy without fetching ImageNet backbone weights first."""
        with no_pretrained_backbone():
            return super().from_pretrained(pretrained_name_or_path, **kwargs)

    def get_optim_params(self) -> list[nn.Parameter]:
        """All trainable parameters (one group)."""
        return [p for p in self.diffusion.parameters() if p.requires_grad]

    def reset(self) -> None:
        """Clear the observation and action queues (call at each episode start)."""
        cfg = self.config
        self._queues = {
            OBS_STATE: deque(maxlen=cfg.n_obs_steps),
            ACTION: deque(maxlen=cfg.n_action_steps),
        }
        if cfg.image_features:
            self._queues[OBS_IMAGES] = deque(maxlen=cfg.n_obs_steps)
        if cfg.env_state_feature is not None:
            self._queues[OBS_ENV_STATE] = deque(maxlen=cfg.n_obs_steps)

    def _stack_images(self, batch: dict[str, Tensor], add_step_axis: bool) -> dict[str, Tensor]:
        batch = dict(batch)
        if self.config.image_features:
            missing = [k for k in self.config.image_features if k not in batch]
            if missing:
                raise PolicyError(f"batch lacks camera keys {missing}; it has {sorted(batch)}")
            images = []
            for key in self.config.image_features:
                img = batch[key]
                images.append(img.unsqueeze(1) if add_step_axis and img.ndim == 4 else img)
            batch[OBS_IMAGES] = torch.stack(images, dim=-4)
        return batch

    @torch.no_grad()
    def predict_action_chunk(
        self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs: Any
    ) -> Tensor:
        """(B, n_action_steps, A) actions from the current observation on.

        Uses the queued observations once :meth:`select_action` has filled them, else
        ``batch`` itself (with an S axis). ``noise`` (B, T, A) replaces the initial sample.
        """
        if any(len(q) > 0 for q in self._queues.values()):
            batch = {
                k: torch.stack(list(self._queues[k]), dim=1) for k in batch if k in self._queues
            }
        else:
            batch = self._stack_images(batch, add_step_axis=True)
        return self.diffusion.generate_actions(batch, noise=noise)

    @torch.no_grad()
    def select_action(
        self, batch: dict[str, Tensor], noise: Tensor | None = None, **kwargs: Any
    ) -> Tensor:
        """The next action (B, A): observations enter the queues (the first one repeated
        ``n_obs_steps`` times); a new chunk is sampled when the action queue is empty."""
        batch = {k: v for k, v in batch.items() if k != ACTION}
        batch = self._stack_images(batch, add_step_axis=False)
        for key, value in batch.items():
            queue = self._queues.get(key)
            if queue is None or key == ACTION:
                continue
            while len(queue) < (queue.maxlen or 0) - 1:
                queue.append(value)
            queue.append(value)
        if not self._queues[ACTION]:
            actions = self.predict_action_chunk(batch, noise=noise)
            self._queues[ACTION].extend(actions.transpose(0, 1))
        return self._queues[ACTION].popleft()

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Any]]:
        """Denoising loss (MSE to the noise, or to the clean actions) and ``{"loss": float}``."""
        for key in (OBS_STATE, ACTION, "action_is_pad"):
            if key not in batch:
                raise PolicyError(f"Diffusion training batch lacks {key!r}; it has {sorted(batch)}")
        batch = self._stack_images(batch, add_step_axis=self.config.n_obs_steps == 1)
        loss = self.diffusion.compute_loss(batch)
        return loss, {"loss": loss.item()}


class DiffusionModel(nn.Module):
    """Observation encoders, the U-Net and the noise scheduler (LeRobot's ``DiffusionModel``)."""

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.config = config
        state, action = config.robot_state_feature, config.action_feature
        assert state is not None and action is not None  # validate_features checked them
        cond_dim = state.shape[0]
        if config.image_features:
            n_cams = len(config.image_features)
            if config.use_separate_rgb_encoder_per_camera:
                encoders = [RgbEncoder(config) for _ in range(n_cams)]
                self.rgb_encoder: nn.Module = nn.ModuleList(encoders)
                cond_dim += encoders[0].feature_dim * n_cams
            else:
                encoder = RgbEncoder(config)
                self.rgb_encoder = encoder
                cond_dim += encoder.feature_dim * n_cams
        if config.env_state_feature is not None:
            cond_dim += config.env_state_feature.shape[0]
        self.unet = ConditionalUnet1d(
            action_dim=action.shape[0],
            global_cond_dim=cond_dim * config.n_obs_steps,
            down_dims=config.down_dims,
            kernel_size=config.kernel_size,
            n_groups=config.n_groups,
            diffusion_step_embed_dim=config.diffusion_step_embed_dim,
            use_film_scale_modulation=config.use_film_scale_modulation,
            gradient_checkpointing=config.gradient_checkpointing,
        )
        self.noise_scheduler = make_scheduler(
            config.noise_scheduler_type,
            num_train_timesteps=config.num_train_timesteps,
            beta_start=config.beta_start,
            beta_end=config.beta_end,
            beta_schedule=config.beta_schedule,
            clip_sample=config.clip_sample,
            clip_sample_range=config.clip_sample_range,
            prediction_type=config.prediction_type,
        )
        self.num_inference_steps = config.num_inference_steps or config.num_train_timesteps

    def conditional_sample(
        self,
        batch_size: int,
        global_cond: Tensor | None = None,
        generator: torch.Generator | None = None,
        noise: Tensor | None = None,
    ) -> Tensor:
        """Denoise from ``noise`` (else fresh Gaussian noise) to actions (B, T, A)."""
        param = next(iter(self.parameters()))
        action_dim = self.config.action_dim
        sample = (
            noise
            if noise is not None
            else torch.randn(
                size=(batch_size, self.config.horizon, action_dim),
                dtype=param.dtype,
                device=param.device,
                generator=generator,
            )
        )
        scheduler = self.noise_scheduler
        scheduler.set_timesteps(self.num_inference_steps)
        for t in scheduler.timesteps:
            timesteps = torch.full(sample.shape[:1], t, dtype=torch.long, device=sample.device)
            model_output = self.unet(sample, timesteps, global_cond=global_cond)
            sample = scheduler.step(model_output, t, sample, generator=generator)
        return sample

    def _global_condition(self, batch: dict[str, Tensor]) -> Tensor:
        """State, image features and env state of all S steps, flattened: (B, cond_dim · S)."""
        batch_size, n_obs = batch[OBS_STATE].shape[:2]
        feats = [batch[OBS_STATE]]
        if self.config.image_features:
            images = batch[OBS_IMAGES]  # (B, S, N, C, H, W)
            if isinstance(self.rgb_encoder, nn.ModuleList):
                per_cam = images.transpose(0, 2).transpose(1, 2)  # (N, B, S, C, H, W)
                encoded = [enc(cams.flatten(0, 1)) for enc, cams in zip(self.rgb_encoder, per_cam)]
                # (N, B·S, F) → (B, S, N·F)
                img = torch.stack(encoded).reshape(len(encoded), batch_size, n_obs, -1)
                img = img.permute(1, 2, 0, 3).flatten(2)
            else:
                img = self.rgb_encoder(images.flatten(0, 2))  # (B·S·N, F)
                img = img.reshape(batch_size, n_obs, -1)
            feats.append(img)
        if self.config.env_state_feature is not None:
            feats.append(batch[OBS_ENV_STATE])
        return torch.cat(feats, dim=-1).flatten(start_dim=1)

    def generate_actions(self, batch: dict[str, Tensor], noise: Tensor | None = None) -> Tensor:
        """(B, n_action_steps, A) actions, starting at the current (last observed) step."""
        batch_size, n_obs = batch[OBS_STATE].shape[:2]
        if n_obs != self.config.n_obs_steps:
            raise PolicyError(
                f"observation.state has {n_obs} steps, the policy uses n_obs_steps="
                f"{self.config.n_obs_steps}"
            )
        cond = self._global_condition(batch)
        actions = self.conditional_sample(batch_size, global_cond=cond, noise=noise)
        start = n_obs - 1
        return actions[:, start : start + self.config.n_action_steps]

    def compute_loss(self, batch: dict[str, Tensor]) -> Tensor:
        """MSE between the U-Net's prediction and the noise (or the clean actions)."""
        cfg = self.config
        n_obs, horizon = batch[OBS_STATE].shape[1], batch[ACTION].shape[1]
        if horizon != cfg.horizon or n_obs != cfg.n_obs_steps:
            raise PolicyError(
                f"batch has {n_obs} observation steps and {horizon} actions; the policy uses "
                f"n_obs_steps={cfg.n_obs_steps}, horizon={cfg.horizon}"
            )
        cond = self._global_condition(batch)
        trajectory = batch[ACTION]
        eps = torch.randn(trajectory.shape, device=trajectory.device)
        timesteps = torch.randint(
            0, cfg.num_train_timesteps, (trajectory.shape[0],), device=trajectory.device
        ).long()
        noisy = self.noise_scheduler.add_noise(trajectory, eps, timesteps)
        pred = self.unet(noisy, timesteps, global_cond=cond)
        target = eps if cfg.prediction_type == "epsilon" else trajectory
        loss = F.mse_loss(pred, target, reduction="none")
        if cfg.do_mask_loss_for_padding:
            mask = (~batch["action_is_pad"]).unsqueeze(-1)
            return (loss * mask).sum() / (mask.sum() * loss.shape[-1]).clamp_min(1)
        return loss.mean()


class ResNetTrunk(nn.Sequential):
    """A ResNet without ``avgpool``/``fc`` as an ``nn.Sequential`` (children 0-7: conv1, bn1,
    relu, maxpool, layer1-4), the form and names LeRobot's Diffusion Policy saves."""

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        """(B, 3, H, W) → (B, 512, H/32, W/32)."""
        x = self[3](F.relu(conv_norm(to_channels_last(x), self[0], self[1]), inplace=True))
        for i in range(4, 8):
            x = self[i](x)
        return x


class RgbEncoder(nn.Module):
    """Image (B, 3, H, W) in [0, 1] (normalised) → features (B, 2·K): resize, crop, ResNet,
    spatial soft-argmax over K keypoints, linear + ReLU."""

    def __init__(self, config: DiffusionConfig) -> None:
        super().__init__()
        self.resize_shape = config.resize_shape
        self.crop_shape = config.crop_shape
        self.crop_is_random = config.crop_is_random
        norm = group_norm_16 if config.use_group_norm else nn.BatchNorm2d
        weights = config.pretrained_backbone_weights
        if config.use_group_norm and weights:
            raise PolicyError(
                "use_group_norm replaces batch norm, which would ruin pretrained weights: set "
                "pretrained_backbone_weights=null or use_group_norm=false"
            )
        net = resnet(config.vision_backbone, norm_layer=norm, include_top=False)
        if weights and pretrained_backbone_enabled():
            load_backbone_weights(net, weights)
        self.backbone = ResNetTrunk(
            net.conv1,
            net.bn1,
            net.relu,
            net.maxpool,
            net.layer1,
            net.layer2,
            net.layer3,
            net.layer4,
        )
        image_shape = next(iter(config.image_features.values())).shape
        hw = config.crop_shape or config.resize_shape or tuple(image_shape[1:])
        # A dry run gives the feature-map size. Like LeRobot's, it runs in training mode, so
        # batch-norm running statistics take one momentum step towards those of a zero image.
        with torch.inference_mode():
            fmap = self.backbone(torch.zeros(1, image_shape[0], *hw))
        c, h, w = fmap.shape[1:]
        k = config.spatial_softmax_num_keypoints
        self.pool = SpatialSoftmax((c, h, w), num_kp=k)
        self.feature_dim = k * 2
        self.out = nn.Linear(k * 2, self.feature_dim)
        self.relu = nn.ReLU()

    def preprocess(self, x: Tensor) -> Tensor:
        """Resize (bilinear, antialiased) then crop: random in training, centre otherwise."""
        if self.resize_shape is not None:
            x = F.interpolate(
                x,
                size=list(self.resize_shape),
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )
        if self.crop_shape is not None:
            h, w = x.shape[-2:]
            th, tw = self.crop_shape
            if self.training and self.crop_is_random:
                # torchvision's RandomCrop.get_params: one offset for the whole batch.
                if (h, w) == (th, tw):
                    top = left = 0
                else:
                    top = int(torch.randint(0, h - th + 1, size=(1,)).item())
                    left = int(torch.randint(0, w - tw + 1, size=(1,)).item())
            else:
                top = round((h - th) / 2.0)
                left = round((w - tw) / 2.0)
            x = x[..., top : top + th, left : left + tw]
        return x

    def forward(self, x: Tensor) -> Tensor:
        """(B, 3, H, W) → (B, feature_dim)."""
        x = self.backbone(self.preprocess(x))
        x = torch.flatten(self.pool(x), start_dim=1)
        return self.relu(self.out(x))
