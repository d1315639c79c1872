"""ACT: Action Chunking with Transformers (Zhao et al., 2023), LeRobot-compatible.

The module tree and parameter names are LeRobot 0.6.1's ``ACTPolicy`` (``model.backbone.*``,
``model.encoder.layers.0.self_attn.in_proj_weight``, ``model.vae_encoder_pos_enc``, ...), so a
LeRobot ``model.safetensors`` loads with ``strict=True`` and gives the same actions.

Shapes: B batch, S chunk size, D ``dim_model``, L latent size. Tokens travel as (seq, B, D).

    images ─ResNet─▶ (B,512,h,w) ─1×1 conv─▶ h·w tokens ┐
    state ─linear─▶ 1 token                              ├─▶ transformer encoder ─▶ memory
    latent z ─linear─▶ 1 token                           ┘
    S learned queries ─▶ transformer decoder (cross-attends memory) ─▶ linear ─▶ (B,S,action)

During training with ``use_vae`` a BERT-like encoder reads [cls, state, actions] and the cls
output parameterises z ~ N(μ, σ²) (reparameterised); at inference z = 0.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any, Self

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_policies.act.config import ACTConfig
from lr_policies.errors import PolicyError
from lr_policies.layers.attention import MultiheadAttention
from lr_policies.layers.linear import Linear, linear
from lr_policies.layers.positional import SinusoidalPositionEmbedding2d, sinusoidal_table
from lr_policies.layers.resnet import (
    FrozenBatchNorm2d,
    load_backbone_weights,
    no_pretrained_backbone,
    pretrained_backbone_enabled,
    resnet,
)
from lr_policies.policy_config import ACTION, OBS_ENV_STATE, OBS_STATE
from lr_policies.pretrained import PreTrainedPolicy


class ACTPolicy(PreTrainedPolicy):
    """ACT policy: chunked action prediction with an action queue or temporal ensembling.

    Batches hold normalised tensors: ``observation.state`` (B, D_state), one
    ``observation.images.<cam>`` (B, 3, H, W) per camera and/or
    ``observation.environment_state`` (B, D_env); for training also ``action`` (B, S, D_action)
    and ``action_is_pad`` (B, S) bool.
    """

    config_class = ACTConfig
    name = "act"
    config: ACTConfig

    def __init__(self, config: ACTConfig) -> None:
        super().__init__(config)
        config.validate_features()
        self.model = ACT(config)
        self.temporal_ensembler: TemporalEnsembler | None = None
        if config.temporal_ensemble_coeff is not None:
            self.temporal_ensembler = TemporalEnsembler(
                config.temporal_ensemble_coeff, config.chunk_size
            )
        self._action_queue: deque[Tensor] = deque(maxlen=config.n_action_steps)
        self.reset()

    @classmethod
    def from_pretrained(cls, pretrained_name_or_path: str | Path, **kwargs: Any) -> Self:
        """Load a saved policy (see :meth:`PreTrainedPolicy.from_pretrained`) without fetching
        ImageNet backbone weights first: the checkpoint holds the trained ones."""
        with no_pretrained_backbone():
            return super().from_pretrained(pretrained_name_or_path, **kwargs)

    def get_optim_params(self) -> list[dict[str, Any]]:
        """Two param groups: all but the backbone, and the backbone at
        ``optimizer_lr_backbone``."""
        named = [(n, p) for n, p in self.named_parameters() if p.requires_grad]
        return [
            {"params": [p for n, p in named if not n.startswith("model.backbone")]},
            {
                "params": [p for n, p in named if n.startswith("model.backbone")],
                "lr": self.config.optimizer_lr_backbone,
            },
        ]

    def reset(self) -> None:
        """Forget queued actions and the temporal ensemble (call at each episode start)."""
        if self.temporal_ensembler is not None:
            self.temporal_ensembler.reset()
        self._action_queue = deque(maxlen=self.config.n_action_steps)

    def _images(self, batch: dict[str, Tensor]) -> list[Tensor]:
        missing = [k for k in self.config.image_features if k not in batch]
        if missing:
            raise PolicyError(f"ACT batch lacks camera keys {missing}; it has {sorted(batch)}")
        return [batch[k] for k in self.config.image_features]

    @torch.no_grad()
    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        """(B, chunk_size, D_action) normalised actions for the observation in ``batch``."""
        self.eval()
        return self.model(batch, self._images(batch))[0]

    @torch.no_grad()
    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        """The next action (B, D_action): popped from the queue (refilled with the first
        ``n_action_steps`` of a new chunk when empty), or the temporal-ensemble average."""
        self.eval()
        if self.temporal_ensembler is not None:
            return self.temporal_ensembler.update(self.predict_action_chunk(batch))
        if not self._action_queue:
            actions = self.predict_action_chunk(batch)[:, : self.config.n_action_steps]
            self._action_queue.extend(actions.transpose(0, 1))
        return self._action_queue.popleft()

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Any]]:
        """Training loss: masked L1 on the chunk (+ ``kl_weight`` · KL with the VAE).

        Returns ``(loss, {"l1_loss": float, "kld_loss": float})``.
        """
        for key in (ACTION, "action_is_pad"):
            if key not in batch:
                raise PolicyError(f"ACT training batch lacks {key!r}; it has {sorted(batch)}")
        actions_hat, (mu, log_sigma_x2) = self.model(batch, self._images(batch))
        abs_err = F.l1_loss(batch[ACTION], actions_hat, reduction="none")
        valid = ~batch["action_is_pad"].unsqueeze(-1)
        num_valid = valid.sum() * abs_err.shape[-1]
        l1_loss = (abs_err * valid).sum() / num_valid.clamp_min(1)
        info: dict[str, Any] = {"l1_loss": l1_loss.item()}
        if self.config.use_vae and log_sigma_x2 is not None and mu is not None:
            # KL(N(μ, σ²) ‖ N(0, 1)) summed over the latent, averaged over the batch.
            kld = (-0.5 * (1 + log_sigma_x2 - mu.pow(2) - log_sigma_x2.exp())).sum(-1).mean()
            info["kld_loss"] = kld.item()
            return l1_loss + kld * self.config.kl_weight, info
        return l1_loss, info


class TemporalEnsembler:
    """Online exponentially weighted average of overlapping chunks (ACT paper, Algorithm 2).

    Weights ``w_i = exp(-coeff · i)`` with ``w_0`` for the oldest prediction of a time step.
    """

    def __init__(self, coeff: float, chunk_size: int) -> None:
        self.chunk_size = chunk_size
        self.weights = torch.exp(-coeff * torch.arange(chunk_size))
        self.weights_cumsum = torch.cumsum(self.weights, dim=0)
        self.reset()

    def reset(self) -> None:
        """Drop the running ensemble."""
        self.actions: Tensor | None = None
        self.counts: Tensor | None = None

    def update(self, actions: Tensor) -> Tensor:
        """Fold in a new chunk (B, S, D) and pop the ensembled action (B, D) for this step."""
        self.weights = self.weights.to(actions.device)
        self.weights_cumsum = self.weights_cumsum.to(actions.device)
        if self.actions is None or self.counts is None:
            self.actions = actions.clone()
            self.counts = torch.ones((self.chunk_size, 1), dtype=torch.long, device=actions.device)
        else:
            self.actions *= self.weights_cumsum[self.counts - 1]
            self.actions += actions[:, :-1] * self.weights[self.counts]
            self.actions /= self.weights_cumsum[self.counts]
            self.counts = torch.clamp(self.counts + 1, max=self.chunk_size)
            self.actions = torch.cat([self.actions, actions[:, -1:]], dim=1)
            self.counts = torch.cat([self.counts, torch.ones_like(self.counts[-1:])])
        action, self.actions, self.counts = self.actions[:, 0], self.actions[:, 1:], self.counts[1:]
        return action


class ACT(nn.Module):
    """The ACT network (LeRobot's ``ACT``): returns actions (B, S, D_action) and (μ, 2·log σ)
    (each (B, L)) when the VAE encoder ran, else ``(None, None)``."""

    vae_encoder_pos_enc: Tensor  # a buffer (register_buffer) with use_vae, declared for types

    def __init__(self, config: ACTConfig) -> None:
        super().__init__()
        self.config = config
        state = config.robot_state_feature
        env = config.env_state_feature
        action = config.action_feature
        assert action is not None  # validate_features checked it
        d = config.dim_model

        if config.use_vae:
            self.vae_encoder = ACTEncoder(config, is_vae_encoder=True)
            self.vae_encoder_cls_embed = nn.Embedding(1, d)
            if state is not None:
                self.vae_encoder_robot_state_input_proj = nn.Linear(state.shape[0], d)
            self.vae_encoder_action_input_proj = nn.Linear(action.shape[0], d)
            self.vae_encoder_latent_output_proj = nn.Linear(d, config.latent_dim * 2)
            n_tokens = 1 + config.chunk_size + (1 if state is not None else 0)
            self.register_buffer("vae_encoder_pos_enc", sinusoidal_table(n_tokens, d).unsqueeze(0))

        if config.image_features:
            self.backbone = resnet(
                config.vision_backbone,
                norm_layer=FrozenBatchNorm2d,
                replace_final_stride_with_dilation=config.replace_final_stride_with_dilation,
            )
            weights = config.pretrained_backbone_weights
            if weights and pretrained_backbone_enabled():
                load_backbone_weights(self.backbone, weights)

        self.encoder = ACTEncoder(config)
        self.decoder = ACTDecoder(config)

        if state is not None:
            self.encoder_robot_state_input_proj = nn.Linear(state.shape[0], d)
        if env is not None:
            self.encoder_env_state_input_proj = nn.Linear(env.shape[0], d)
        self.encoder_latent_input_proj = nn.Linear(config.latent_dim, d)
        if config.image_features:
            self.encoder_img_feat_input_proj = nn.Conv2d(512, d, kernel_size=1)
        n_1d_tokens = 1 + (state is not None) + (env is not None)
        self.encoder_1d_feature_pos_embed = nn.Embedding(n_1d_tokens, d)
        if config.image_features:
            self.encoder_cam_feat_pos_embed = SinusoidalPositionEmbedding2d(d // 2)

        self.decoder_pos_embed = nn.Embedding(config.chunk_size, d)
        self.action_head = nn.Linear(d, action.shape[0])

        # Xavier-uniform initialisation of the transformer, as in the original code.
        for p in chain(self.encoder.parameters(), self.decoder.parameters()):
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def _latent(self, batch: dict[str, Tensor], batch_size: int, device: torch.device):  # type: ignore[no-untyped-def]
        """Latent sample (B, L) and its distribution parameters (or ``None``s)."""
        cfg = self.config
        if not (cfg.use_vae and self.training and ACTION in batch):
            if cfg.use_vae and self.training:
                raise PolicyError("ACT with use_vae needs 'action' in the batch in training mode")
            zeros = torch.zeros(batch_size, cfg.latent_dim, dtype=torch.float32, device=device)
            return zeros, None, None
        cls_embed = self.vae_encoder_cls_embed.weight.unsqueeze(0).expand(batch_size, -1, -1)
        tokens = [cls_embed]
        has_state = cfg.robot_state_feature is not None
        if has_state:
            tokens.append(self.vae_encoder_robot_state_input_proj(batch[OBS_STATE]).unsqueeze(1))
        tokens.append(self.vae_encoder_action_input_proj(batch[ACTION]))
        vae_in = torch.cat(tokens, dim=1)  # (B, S + 1 or 2, D)
        not_pad = torch.zeros((batch_size, 2 if has_state else 1), dtype=torch.bool, device=device)
        key_padding_mask = torch.cat([not_pad, batch["action_is_pad"]], dim=1)
        cls_out = self.vae_encoder(
            vae_in.permute(1, 0, 2),
            pos_embed=self.vae_encoder_pos_enc.permute(1, 0, 2),
            key_padding_mask=key_padding_mask,
        )[0]
        params = self.vae_encoder_latent_output_proj(cls_out)
        mu = params[:, : cfg.latent_dim]
        log_sigma_x2 = params[:, cfg.latent_dim :]  # 2·log σ, as the original code
        return mu + log_sigma_x2.div(2).exp() * torch.randn_like(mu), mu, log_sigma_x2

    def forward(
        self, batch: dict[str, Tensor], images: list[Tensor]
    ) -> tuple[Tensor, tuple[Tensor, Tensor] | tuple[None, None]]:
        """``batch`` as :class:`ACTPolicy` documents; ``images`` one (B, 3, H, W) per camera."""
        cfg = self.config
        if images:
            batch_size, device = images[0].shape[0], images[0].device
        else:
            batch_size, device = batch[OBS_ENV_STATE].shape[0], batch[OBS_ENV_STATE].device
        latent, mu, log_sigma_x2 = self._latent(batch, batch_size, device)

        tokens = [self.encoder_latent_input_proj(latent).unsqueeze(0)]
        if cfg.robot_state_feature is not None:
            tokens.append(self.encoder_robot_state_input_proj(batch[OBS_STATE]).unsqueeze(0))
        if cfg.env_state_feature is not None:
            tokens.append(self.encoder_env_state_input_proj(batch[OBS_ENV_STATE]).unsqueeze(0))
        pos = [self.encoder_1d_feature_pos_embed.weight.unsqueeze(1)]
        proj = self.encoder_img_feat_input_proj if images else None
        for img in images:
            features = self.backbone.features(img)  # (B, 512, h, w)
            cam_pos = self.encoder_cam_feat_pos_embed(features)  # (1, D, h, w)
            # The 1×1 convolution is a linear map of each pixel's features: apply it to the
            # (h·w, B, 512) token sequence directly.
            b, c, h, w = features.shape
            pixels = features.permute(2, 3, 0, 1).reshape(h * w, b, c)
            assert proj is not None
            tokens.append(linear(pixels, proj.weight.view(proj.out_channels, c), proj.bias))
            pos.append(cam_pos.flatten(2).permute(2, 0, 1))  # (h·w, 1, D)
        encoder_in = torch.cat(tokens, dim=0)
        encoder_pos = torch.cat(pos, dim=0)

        memory = self.encoder(encoder_in, pos_embed=encoder_pos)
        decoder_in = torch.zeros(
            (cfg.chunk_size, batch_size, cfg.dim_model), dtype=encoder_pos.dtype, device=device
        )
        decoder_out = self.decoder(
            decoder_in,
            memory,
            encoder_pos_embed=encoder_pos,
            decoder_pos_embed=self.decoder_pos_embed.weight.unsqueeze(1),
            zero_input=True,
        )
        actions = self.action_head(decoder_out.transpose(0, 1))
        return actions, (mu, log_sigma_x2)  # type: ignore[return-value]


def _activation(name: str) -> Callable[[Tensor], Tensor]:
    return {"relu": F.relu, "gelu": F.gelu, "glu": F.glu}[name]


class ACTEncoder(nn.Module):
    """A stack of encoder layers (then a LayerNorm with ``pre_norm``); (S, B, D) → (S, B, D)."""

    def __init__(self, config: ACTConfig, is_vae_encoder: bool = False) -> None:
        super().__init__()
        self.is_vae_encoder = is_vae_encoder
        n = config.n_vae_encoder_layers if is_vae_encoder else config.n_encoder_layers
        self.layers = nn.ModuleList([ACTEncoderLayer(config) for _ in range(n)])
        self.norm: nn.Module = nn.LayerNorm(config.dim_model) if config.pre_norm else nn.Identity()

    def forward(
        self, x: Tensor, pos_embed: Tensor | None = None, key_padding_mask: Tensor | None = None
    ) -> Tensor:
        """Tokens (S, B, D), position embedding (S, 1 or B, D), padding mask (B, S)."""
        for layer in self.layers:
            x = layer(x, pos_embed=pos_embed, key_padding_mask=key_padding_mask)
        return self.norm(x)


class ACTEncoderLayer(nn.Module):
    """Self-attention (positions added to queries and keys) and a feed-forward block."""

    def __init__(self, config: ACTConfig) -> None:
        super().__init__()
        d = config.dim_model
        self.self_attn = MultiheadAttention(d, config.n_heads, dropout=config.dropout)
        self.linear1 = Linear(d, config.dim_feedforward)
        self.dropout = nn.Dropout(config.dropout)
        self.linear2 = Linear(config.dim_feedforward, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.dropout1 = nn.Dropout(config.dropout)
        self.dropout2 = nn.Dropout(config.dropout)
        self.activation = _activation(config.feedforward_activation)
        self.pre_norm = config.pre_norm

    def forward(
        self, x: Tensor, pos_embed: Tensor | None = None, key_padding_mask: Tensor | None = None
    ) -> Tensor:
        """(S, B, D) → (S, B, D)."""
        skip = x
        if self.pre_norm:
            x = self.norm1(x)
        q = x if pos_embed is None else x + pos_embed
        x = self.self_attn(q, q, x, key_padding_mask=key_padding_mask)
        x = skip + self.dropout1(x)
        if self.pre_norm:
            skip = x
            x = self.norm2(x)
        else:
            x = self.norm1(x)
            skip = x
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        x = skip + self.dropout2(x)
        if not self.pre_norm:
            x = self.norm2(x)
        return x


class ACTDecoder(nn.Module):
    """A stack of decoder layers followed by a LayerNorm."""

    def __init__(self, config: ACTConfig) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            [ACTDecoderLayer(config) for _ in range(config.n_decoder_layers)]
        )
        self.norm = nn.LayerNorm(config.dim_model)

    def forward(
        self,
        x: Tensor,
        encoder_out: Tensor,
        decoder_pos_embed: Tensor | None = None,
        encoder_pos_embed: Tensor | None = None,
        zero_input: bool = False,
    ) -> Tensor:
        """Queries (S_dec, B, D) attending to ``encoder_out`` (S_enc, B, D) → (S_dec, B, D).

        ``zero_input``: ``x`` is all zeros (as ACT feeds it), which lets the first layer skip
        work whose result is known (see :meth:`ACTDecoderLayer.forward`).
        """
        for i, layer in enumerate(self.layers):
            x = layer(
                x,
                encoder_out,
                decoder_pos_embed=decoder_pos_embed,
                encoder_pos_embed=encoder_pos_embed,
                zero_input=zero_input and i == 0,
            )
        return self.norm(x)


class ACTDecoderLayer(nn.Module):
    """Self-attention, cross-attention to the encoder output, feed-forward."""

    def __init__(self, config: ACTConfig) -> None:
        super().__init__()
        d = config.dim_model
        self.self_attn = MultiheadAttention(d, config.n_heads, dropout=config.dropout)
        self.multihead_attn = MultiheadAttention(d, config.n_heads, dropout=config.dropout)
        self.linear1 = Linear(d, config.dim_feedforward)
        self.dropout = nn.Dropout(config.dropout)
        self.linear2 = Linear(config.dim_feedforward, d)
        self.norm1 = nn.LayerNorm(d)
        self.norm2 = nn.LayerNorm(d)
        self.norm3 = nn.LayerNorm(d)
        self.dropout1 = nn.Dropout(config.dropout)
        self.dropout2 = nn.Dropout(config.dropout)
        self.dropout3 = nn.Dropout(config.dropout)
        self.activation = _activation(config.feedforward_activation)
        self.pre_norm = config.pre_norm

    def forward(
        self,
        x: Tensor,
        encoder_out: Tensor,
        decoder_pos_embed: Tensor | None = None,
        encoder_pos_embed: Tensor | None = None,
        zero_input: bool = False,
    ) -> Tensor:
        """x (S_dec, B, D), encoder_out (S_enc, B, D), embeddings (S, 1, D) → (S_dec, B, D).

        With ``zero_input`` in eval mode (post-norm), self-attention over all-zero inputs
        averages identical value vectors, so its output is ``out_proj(b_v)`` at every position
        whatever the attention weights: it is computed once instead of for every query.
        """
        skip = x
        if zero_input and not self.training and not self.pre_norm:
            attn = self.self_attn
            d = attn.embed_dim
            value = attn.in_proj_bias[2 * d :]  # W_v · 0 + b_v
            x = skip + attn.out_proj(value).expand_as(x)
        else:
            if self.pre_norm:
                x = self.norm1(x)
            q = x if decoder_pos_embed is None else x + decoder_pos_embed
            x = self.self_attn(q, q, x)
            x = skip + self.dropout1(x)
        if self.pre_norm:
            skip = x
            x = self.norm2(x)
        else:
            x = self.norm1(x)
            skip = x
        query = x if decoder_pos_embed is None else x + decoder_pos_embed
        key = encoder_out if encoder_pos_embed is None else encoder_out + encoder_pos_embed
        x = self.multihead_attn(query, key, encoder_out)
        x = skip + self.dropout2(x)
        if self.pre_norm:
            skip = x
            x = self.norm3(x)
        else:
            x = self.norm2(x)
            skip = x
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        x = skip + self.dropout3(x)
        if not self.pre_norm:
            x = self.norm3(x)
        return x
