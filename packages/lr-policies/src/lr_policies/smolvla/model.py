"""SmolVLA (Shukor et al., 2025, https://arxiv.org/abs/2506.01844), LeRobot-compatible.

Compatibility contract: the module tree and parameter names are LeRobot 0.6.1's
``SmolVLAPolicy`` (``model.vlm_with_expert.vlm.model.text_model.layers.0.mlp.up_proj.weight``,
``model.vlm_with_expert.lm_expert...``, ``model.state_proj``, ``model.action_in_proj``,
``model.action_time_mlp_in``...), so a LeRobot ``model.safetensors`` loads strictly; the same
weights, inputs and noise give LeRobot's loss and actions (tested to 1e-4 on small configs).

Shapes: B batch, C cameras, N_img tokens per image (64 for SmolVLM2 at 512 px), L language
tokens, P = C·N_img + L + 1 prefix tokens, T ``chunk_size``, A_pad ``max_action_dim``,
W / E the VLM / expert widths.

    images (B,3,H,W) ─resize+pad─▶ [-1,1] ─SigLIP─▶ pixel shuffle ─▶ (B,N_img,W)·√W ┐
    task tokens (B,L) ─embed─▶ (B,L,W)·√W                                          ├▶ prefix (B,P,W)
    state (B,D) ─pad─▶ state_proj ─▶ (B,1,W)                                       ┘
    noisy actions x_t (B,T,A_pad) ─action_in_proj─┐
    time t ─sin/cos(E)────────────────────────────┴▶ cat ─MLP(SiLU)─▶ suffix (B,T,E)

    prefix ──VLM layers──┐ keys/values (cached once per chunk at inference)
    suffix ──expert layers (self-attention every other layer, else cross-attention)──▶
           action_out_proj ─▶ velocity v_t (B,T,A_pad)

Attention: image and language tokens attend to each other, the state token to them and itself,
each action token to the prefix and the action tokens before it (prefix-LM blocks, see
:mod:`lr_policies.layers.prefix_lm`). Training: flow-matching MSE between v_t and ε − a at a
Beta-drawn time. Inference: 10 Euler steps from noise, the prefix's keys/values computed once.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Self

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_policies.errors import PolicyError
from lr_policies.flow_config import OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS
from lr_policies.layers.flow_matching import (
    euler_sample,
    noisy_actions,
    sample_noise,
    sample_time,
    time_embedding,
)
from lr_policies.layers.image_pad import resize_with_pad
from lr_policies.layers.linear import fuse_mlp_gelu, use_onednn, use_packed_weights
from lr_policies.layers.prefix_lm import make_att_2d_masks, positions, suffix_masks
from lr_policies.layers.vision_attention import (
    make_patch_embeddings_contiguous,
    use_onednn_attention,
)
from lr_policies.layers.vla_policy import (
    ChunkQueuePolicy,
    masked_mean,
    pad_vector,
    rtc_guide,
)
from lr_policies.policy_config import ACTION, OBS_STATE
from lr_policies.smolvla import aloha
from lr_policies.smolvla.backbone import DenoisePlan, SmolVLMWithExpert
from lr_policies.smolvla.config import SmolVLAConfig

#: True while ``from_pretrained`` builds the policy (its checkpoint supplies the VLM's weights).
_loading_checkpoint: ContextVar[bool] = ContextVar("smolvla_loading_checkpoint", default=False)


class SmolVLAPolicy(ChunkQueuePolicy):
    """SmolVLA policy: flow-matching action chunks from cameras, state and a task.

    Batches (pre-processed): ``observation.images.<cam>`` (B, 3, H, W) in [0, 1],
    ``observation.state`` (B, D_state) normalised, ``observation.language.tokens`` /
    ``.attention_mask`` (B, L); for training also ``action`` (B, T, D_action) and
    ``action_is_pad`` (B, T). A time axis of 1 (B, 1, ...) is accepted.
    """

    config_class = SmolVLAConfig
    name = "smolvla"
    config: SmolVLAConfig

    def __init__(self, config: SmolVLAConfig) -> None:
        super().__init__(config)
        config.validate_features()
        self.model = VLAFlowMatching(config)
        if config.load_vlm_weights and not _loading_checkpoint.get():
            # A new policy starts from the pretrained VLM (LeRobot's load_vlm_weights); a
            # checkpoint being loaded holds every weight, so nothing is fetched then.
            self.model.vlm_with_expert.load_pretrained_vlm(config.vlm_model_name)
        # The SigLIP tower's float32 products (87% of a CPU chunk) on oneDNN's kernels instead
        # of the BLAS sgemm (MKL takes a generic path on AMD CPUs: 2.2x slower per core there);
        # same parameters and names. The expert's path (bf16 layers and the float32 state /
        # action / time projections, which RTC differentiates through) keeps torch's kernels.
        # Not bitwise LeRobot's chunk: in this fp32/bf16 mix any fp32 rounding change in the
        # image features moves the full-size chunk by ~1e-2, as a 1e-7 change of the image
        # does; LR_ONEDNN=0 restores torch's kernels (see lr_policies.layers.linear).
        vision = self.model.vlm_with_expert.vlm.model.vision_model
        use_onednn(vision)
        fuse_mlp_gelu(vision)  # its tanh-GELU inside fc1's oneDNN product, for inference
        use_onednn_attention(vision)  # its attention as per-head oneDNN products, for inference
        make_patch_embeddings_contiguous(vision)  # the same values; no copy per LayerNorm
        # The expert runs num_steps times per chunk: its bfloat16 weights are packed into
        # oneDNN's layout once (cached; +its size in memory) instead of at every product; the
        # same bits as F.linear for the expert's shapes (oneDNN computes both).
        use_packed_weights(self.model.vlm_with_expert.lm_expert)

    @classmethod
    def from_pretrained(cls, pretrained_name_or_path: str | Path, **kwargs: Any) -> Self:
        """Load a saved policy (:meth:`PreTrainedPolicy.from_pretrained`) without fetching the
        pretrained VLM first, even with ``load_vlm_weights``: the checkpoint holds it."""
        token = _loading_checkpoint.set(True)
        try:
            return super().from_pretrained(pretrained_name_or_path, **kwargs)
        finally:
            _loading_checkpoint.reset(token)

    def get_optim_params(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    # ----------------------------------------------------------------- inputs

    def prepare_images(self, batch: dict[str, Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Images resized with left/top padding to ``resize_imgs_with_padding`` and scaled to
        [-1, 1], with their masks (B,) bool; missing empty-camera slots are -1 images, masked."""
        keys = self.config.camera_keys
        present = [k for k in keys if k in batch]
        if not present:
            raise PolicyError(
                f"SmolVLA batch has none of the cameras {keys}; it has {sorted(batch)}"
            )
        images, masks = [], []
        for key in present:
            img = batch[key][:, -1] if batch[key].ndim == 5 else batch[key]
            if self.config.resize_imgs_with_padding is not None:
                width, height = self.config.resize_imgs_with_padding
                img = resize_with_pad(img, height, width, pad_value=0)
            img = img * 2.0 - 1.0
            pad_key = f"{key}_padding_mask"
            mask = (
                batch[pad_key].bool()
                if pad_key in batch
                else torch.ones(img.shape[0], dtype=torch.bool, device=img.device)
            )
            images.append(img)
            masks.append(mask)
        for _ in range(min(len(keys) - len(present), self.config.empty_cameras)):
            images.append(torch.full_like(images[-1], -1.0))
            masks.append(torch.zeros_like(masks[-1]))
        return images, masks

    def prepare_state(self, batch: dict[str, Tensor]) -> Tensor:
        """(B, max_state_dim) state (the last frame when a time axis is present; in the π
        runtime's convention with ``adapt_to_pi_aloha``)."""
        state = batch[OBS_STATE]
        state = state[:, -1] if state.ndim > 2 else state
        if self.config.adapt_to_pi_aloha:
            state = aloha.decode_state(state)
        return pad_vector(state, self.config.max_state_dim)

    def _inputs(self, batch: dict[str, Tensor]) -> tuple[Any, ...]:
        for key in (OBS_STATE, OBS_LANGUAGE_TOKENS, OBS_LANGUAGE_ATTENTION_MASK):
            if key not in batch:
                raise PolicyError(
                    f"SmolVLA batch lacks {key!r} (run the policy's pre-processor, which "
                    f"tokenises the task); it has {sorted(batch)}"
                )
        images, masks = self.prepare_images(batch)
        return (
            images,
            masks,
            batch[OBS_LANGUAGE_TOKENS],
            batch[OBS_LANGUAGE_ATTENTION_MASK],
            self.prepare_state(batch),
        )

    # ----------------------------------------------------------------- the policy contract

    @torch.no_grad()
    def predict_action_chunk(
        self,
        batch: dict[str, Tensor],
        noise: Tensor | None = None,
        *,
        prev_chunk_left_over: Tensor | None = None,
        inference_delay: int | None = None,
        execution_horizon: int | None = None,
        **kwargs: Any,
    ) -> Tensor:
        """(B, chunk_size, D_action) normalised actions. ``noise`` (B, T, A_pad) fixes the start
        of the flow; ``prev_chunk_left_over`` / ``inference_delay`` / ``execution_horizon``
        enable real-time chunking guidance when ``config.rtc_config`` is enabled."""
        self.eval()
        guide = rtc_guide(
            self.config.rtc_config, prev_chunk_left_over, inference_delay, execution_horizon
        )
        actions = self.model.sample_actions(*self._inputs(batch), noise=noise, guide=guide)
        actions = actions[:, :, : self.config.action_dim]
        return aloha.encode_actions(actions) if self.config.adapt_to_pi_aloha else actions

    def forward(
        self,
        batch: dict[str, Tensor],
        noise: Tensor | None = None,
        time: Tensor | None = None,
        reduction: str = "mean",
    ) -> tuple[Tensor, dict[str, Any]]:
        """Flow-matching loss: the mean squared velocity error over the action's own dimensions
        and the steps inside the episode. ``reduction="none"`` gives per-sample losses (B,)."""
        if ACTION not in batch:
            raise PolicyError(f"SmolVLA training batch lacks 'action'; it has {sorted(batch)}")
        actions = batch[ACTION]
        if self.config.adapt_to_pi_aloha:
            actions = aloha.encode_actions_inv(actions)
        actions = pad_vector(actions, self.config.max_action_dim)
        losses = self.model(*self._inputs(batch), actions, noise=noise, time=time)
        losses = losses[:, :, : self.config.action_dim]
        is_pad = batch.get("action_is_pad")
        if reduction == "none":
            if is_pad is None:
                per_sample = losses.mean(dim=(1, 2))
            else:
                losses = losses * (~is_pad).unsqueeze(-1)
                valid = ((~is_pad).sum(dim=1) * losses.shape[-1]).clamp_min(1)
                per_sample = losses.sum(dim=(1, 2)) / valid
            return per_sample, {"loss": per_sample.mean().item()}
        loss = masked_mean(losses, is_pad)
        return loss, {"loss": loss.item()}


class VLAFlowMatching(nn.Module):
    """The network: :class:`SmolVLMWithExpert` plus the state/action/time projections
    (LeRobot's ``VLAFlowMatching``)."""

    def __init__(self, config: SmolVLAConfig) -> None:
        super().__init__()
        from lr_policies.smolvla.vlm_config import smolvlm_config

        self.config = config
        vlm_config = smolvlm_config(config.vlm_model_name)
        self.vlm_with_expert = SmolVLMWithExpert(
            vlm_config,
            num_vlm_layers=config.num_vlm_layers,
            num_expert_layers=config.num_expert_layers,
            attention_mode=config.attention_mode,
            self_attn_every_n_layers=config.self_attn_every_n_layers,
            expert_width_multiplier=config.expert_width_multiplier,
            freeze_vision_encoder=config.freeze_vision_encoder,
            train_expert_only=config.train_expert_only,
            # LeRobot loads the pretrained VLM in bfloat16 when load_vlm_weights is set.
            vlm_dtype=torch.bfloat16 if config.load_vlm_weights else None,
        )
        width = vlm_config.text_config.hidden_size
        expert = self.vlm_with_expert.expert_hidden_size
        self.state_proj = nn.Linear(config.max_state_dim, width)
        self.action_in_proj = nn.Linear(config.max_action_dim, expert)
        self.action_out_proj = nn.Linear(expert, config.max_action_dim)
        self.action_time_mlp_in = nn.Linear(expert * 2, expert)
        self.action_time_mlp_out = nn.Linear(expert, expert)
        for p in self.state_proj.parameters():
            p.requires_grad = config.train_state_proj
        self._image_tokens: Tensor | None = None
        if config.add_image_special_tokens:
            self._image_tokens = _image_special_tokens(config.vlm_model_name)

    # ----------------------------------------------------------------- embeddings

    def embed_prefix(
        self,
        images: list[Tensor],
        img_masks: list[Tensor],
        lang_tokens: Tensor,
        lang_masks: Tensor,
        state: Tensor,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Prefix embeddings (B, P, W), padding mask (B, P) bool and block starts (B, P)."""
        vwe = self.vlm_with_expert
        embs: list[Tensor] = []
        pads: list[Tensor] = []
        ar: list[int] = []
        batch_size = state.shape[0]
        for img, img_mask in zip(images, img_masks):
            if self._image_tokens is not None:
                start = vwe.embed_language_tokens(self._image_tokens.to(img.device))
                embs.append(start[None].expand(batch_size, -1, -1))
                pads.append(
                    torch.ones(batch_size, start.shape[0], dtype=torch.bool, device=img.device)
                )
                ar += [0] * start.shape[0]
            emb = vwe.embed_image(img)
            emb = emb * torch.tensor(emb.shape[-1] ** 0.5, dtype=emb.dtype, device=emb.device)
            embs.append(emb)
            pads.append(img_mask[:, None].expand(batch_size, emb.shape[1]))
            ar += [0] * emb.shape[1]
            if self._image_tokens is not None:
                end = vwe.embed_language_tokens(self._image_tokens[:1].to(img.device))
                embs.append(end[None].expand(batch_size, -1, -1))
                pads.append(torch.ones(batch_size, 1, dtype=torch.bool, device=img.device))
                ar += [0]
        lang = vwe.embed_language_tokens(lang_tokens)
        embs.append(lang * math.sqrt(lang.shape[-1]))
        pads.append(lang_masks)
        ar += [0] * lang.shape[1]
        state_emb = self.state_proj(state)
        state_emb = state_emb[:, None] if state_emb.ndim == 2 else state_emb
        embs.append(state_emb)
        pads.append(
            torch.ones(batch_size, state_emb.shape[1], dtype=torch.bool, device=state.device)
        )
        ar += [1] * state_emb.shape[1]  # language and images do not attend to the state

        emb = torch.cat([e.to(embs[-1].dtype) if e.dtype != embs[-1].dtype else e for e in embs], 1)
        pad = torch.cat(pads, 1)
        ar_mask = torch.tensor(ar, dtype=torch.bool, device=pad.device)[None]
        if pad.shape[1] < self.config.prefix_length:
            extra = self.config.prefix_length - pad.shape[1]
            emb = F.pad(emb, (0, 0, 0, extra))
            pad = F.pad(pad, (0, extra))
            ar_mask = F.pad(ar_mask, (0, extra))
        return emb, pad, ar_mask.expand(batch_size, -1)

    def embed_suffix(self, x_t: Tensor, time: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Suffix embeddings (B, T, E) of noisy actions and time, padding mask and block starts
        (every action token starts a block: causal attention among the actions)."""
        action_emb = self.action_in_proj(x_t)
        expert = self.vlm_with_expert.expert_hidden_size
        t_emb = time_embedding(time, expert, self.config.min_period, self.config.max_period)
        t_emb = t_emb.to(action_emb.dtype)[:, None].expand_as(action_emb)
        emb = self.action_time_mlp_in(torch.cat([action_emb, t_emb], dim=2))
        emb = self.action_time_mlp_out(F.silu(emb))
        b, n = emb.shape[:2]
        pad = torch.ones(b, n, dtype=torch.bool, device=emb.device)
        ar = torch.ones(b, n, dtype=emb.dtype, device=emb.device)
        return emb, pad, ar

    # ----------------------------------------------------------------- training and sampling

    def forward(
        self,
        images: list[Tensor],
        img_masks: list[Tensor],
        lang_tokens: Tensor,
        lang_masks: Tensor,
        state: Tensor,
        actions: Tensor,
        noise: Tensor | None = None,
        time: Tensor | None = None,
    ) -> Tensor:
        """Per-element squared velocity errors (B, T, A_pad)."""
        if noise is None:
            noise = sample_noise(actions.shape, actions.device)
        if time is None:
            time = sample_time(actions.shape[0], actions.device)
        x_t, u_t = noisy_actions(actions, noise, time)
        prefix, prefix_pad, prefix_ar = self.embed_prefix(
            images, img_masks, lang_tokens, lang_masks, state
        )
        suffix, suffix_pad, suffix_ar = self.embed_suffix(x_t, time)
        pad = torch.cat([prefix_pad, suffix_pad], 1)
        ar = torch.cat([prefix_ar.to(suffix_ar.dtype), suffix_ar], 1)
        out = self.vlm_with_expert(prefix, suffix, make_att_2d_masks(pad, ar), positions(pad))
        v_t = self.action_out_proj(out[:, -self.config.chunk_size :].to(torch.float32))
        return F.mse_loss(u_t, v_t, reduction="none")

    @torch.no_grad()
    def sample_actions(
        self,
        images: list[Tensor],
        img_masks: list[Tensor],
        lang_tokens: Tensor,
        lang_masks: Tensor,
        state: Tensor,
        noise: Tensor | None = None,
        guide: Any = None,
    ) -> Tensor:
        """Denoised actions (B, T, A_pad): the prefix runs once, then ``num_steps`` expert
        passes reuse its cached keys/values."""
        b = state.shape[0]
        if noise is None:
            noise = sample_noise(
                (b, self.config.chunk_size, self.config.max_action_dim), state.device
            )
        prefix, prefix_pad, prefix_ar = self.embed_prefix(
            images, img_masks, lang_tokens, lang_masks, state
        )
        vwe = self.vlm_with_expert
        cache = vwe.fill_cache(
            prefix, make_att_2d_masks(prefix_pad, prefix_ar), positions(prefix_pad)
        )
        offsets = prefix_pad.sum(dim=-1)[:, None]
        plans: list[DenoisePlan] = []

        def velocity(x_t: Tensor, time: Tensor) -> Tensor:
            suffix, suffix_pad, suffix_ar = self.embed_suffix(x_t, time)
            if not plans:  # the suffix's mask and positions are the same at every step
                mask = suffix_masks(prefix_pad, suffix_pad, suffix_ar)
                pos = offsets + torch.cumsum(suffix_pad, dim=1) - 1
                plans.append(vwe.prepare_denoise(cache, mask, pos))
            out = vwe.denoise_step(suffix, plans[0])
            return self.action_out_proj(out[:, -self.config.chunk_size :].to(torch.float32))

        return euler_sample(velocity, noise, self.config.num_steps, guide=guide)


def _image_special_tokens(vlm_model_name: str) -> Tensor:
    """[fake_image_token, global_image_token] ids from the VLM's tokenizer (only needed with
    ``add_image_special_tokens``)."""
    from lr_policies.processors.language import load_tokenizer
    from lr_policies.smolvla.vlm_config import tokenizer_source

    tok = load_tokenizer(tokenizer_source(vlm_model_name))
    ids = [tok.convert_tokens_to_ids(t) for t in ("<fake_token_around_image>", "<global-img>")]
    return torch.tensor(ids, dtype=torch.long)
