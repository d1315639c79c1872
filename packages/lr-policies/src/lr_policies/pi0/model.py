"""π0 (Black et al., 2024, https://arxiv.org/abs/2410.24164), LeRobot-compatible.

Compatibility contract: the module tree and parameter names are LeRobot 0.6.1's ``PI0Policy``
(``model.paligemma_with_expert.paligemma.model.vision_tower...``,
``model.paligemma_with_expert.gemma_expert.model.layers.0...``, ``model.state_proj``,
``model.action_in_proj``, ``model.action_time_mlp_in``...), so a LeRobot ``model.safetensors``
loads strictly; the same weights, inputs and noise give LeRobot's loss and actions (tested to
1e-4 on small configs). π0.5 (:mod:`lr_policies.pi05.model`) reuses this module.

Shapes: B batch, C cameras, N_img tokens per image (256 at 224 px), L ``tokenizer_max_length``,
P = C·N_img + L prefix tokens, T ``chunk_size``, A_pad ``max_action_dim``, W / E widths.

    images (B,3,H,W) ─resize, centred pad─▶ [-1,1] ─SigLIP─▶ projector ─▶ (B,N_img,W) ┐
    task tokens (B,L) ─embed (·√W)─▶ (B,L,W)                                           ┴▶ prefix
    state (B,D) ─pad─▶ state_proj ─▶ 1 token ┐
    x_t (B,T,A_pad) ─action_in_proj─┐        │
    time t ─sin/cos(E)──────────────┴▶ cat ─MLP(SiLU)─▶ T tokens ┴▶ suffix (B,1+T,E)

    prefix ──PaliGemma layers──┐ keys/values shared at every layer (cached once per chunk)
    suffix ──expert layers─────┴▶ action_out_proj ─▶ velocity v_t (B,T,A_pad)

Attention: images and language attend to each other (a bidirectional prefix), the state token
to the prefix, the action tokens to everything before and to each other (big_vision blocks
[0…0 | 1 | 1 0…0]).
"""

from __future__ import annotations

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
from lr_policies.layers.image_pad import resize_with_pad_centered
from lr_policies.layers.linear import fuse_mlp_gelu, use_onednn
from lr_policies.layers.prefix_lm import make_att_2d_masks, positions, suffix_masks
from lr_policies.layers.vision_attention import (
    make_patch_embeddings_contiguous,
    use_onednn_attention,
)
from lr_policies.layers.vla_policy import ChunkQueuePolicy, pad_vector, rtc_guide
from lr_policies.pi0.backbone import PaliGemmaWithExpert
from lr_policies.pi0.config import PI0Config
from lr_policies.policy_config import ACTION, OBS_STATE


class PI0Policy(ChunkQueuePolicy):
    """π0 policy: flow-matching action chunks from cameras, state and a task.

    Batches (pre-processed): ``observation.images.<cam>`` (B, 3, H, W) in [0, 1],
    ``observation.state`` (B, D_state) normalised, ``observation.language.tokens`` /
    ``.attention_mask`` (B, L); for training also ``action`` (B, T, D_action).
    """

    config_class = PI0Config
    name = "pi0"
    config: PI0Config
    model: PI0FlowMatching
    uses_state_token = True

    def __init__(self, config: PI0Config) -> None:
        super().__init__(config)
        config.validate_features()
        self.model = self.build_model(config)
        if config.dtype == "float32":
            # fp32 products on oneDNN's AVX-512 kernels instead of the BLAS sgemm (2.2x faster
            # per core on AMD's CPUs, where MKL takes a generic path); same parameters and names,
            # results equal up to summation order (see lr_policies.layers.linear). Not in the
            # bfloat16 mix, where an fp32 rounding change flips bf16 roundings downstream.
            use_onednn(self.model)
            # The SigLIP tower's attention as per-head oneDNN products and its MLPs' tanh-GELU
            # inside fc1's product too (float32 inference; see lr_policies.layers).
            tower = self.model.paligemma_with_expert.paligemma.model.vision_tower
            use_onednn_attention(tower)
            fuse_mlp_gelu(tower)
        make_patch_embeddings_contiguous(self.model)  # the same values, no copy per LayerNorm

    def build_model(self, config: PI0Config) -> PI0FlowMatching:
        return PI0FlowMatching(config)

    @classmethod
    def from_pretrained(cls, pretrained_name_or_path: str | Path, **kwargs: Any) -> Self:
        """Load a saved policy (:meth:`PreTrainedPolicy.from_pretrained`).

        PaliGemma's token embedding and ``lm_head`` share one tensor in lr but are separate in
        LeRobot 0.6.1, whose files may hold different values under the two names: the embedding
        takes the file's ``embed_tokens`` (what LeRobot's model uses), or ``lm_head`` when the
        file has no embedding (LeRobot's ``_fix_pytorch_state_dict_keys``, for openpi files).
        """
        from safetensors import safe_open

        from lr_policies.pretrained import SAFETENSORS_SINGLE_FILE, resolve_pretrained

        policy = super().from_pretrained(pretrained_name_or_path, **kwargs)
        directory = resolve_pretrained(pretrained_name_or_path, revision=kwargs.get("revision"))
        prefix = "model.paligemma_with_expert.paligemma."
        keys = (prefix + "model.language_model.embed_tokens.weight", prefix + "lm_head.weight")
        with safe_open(str(directory / SAFETENSORS_SINGLE_FILE), framework="pt") as f:
            names = set(f.keys())
            key = next((k for k in keys if k in names), None)
            if key is not None:
                embed = policy.model.paligemma_with_expert.language_model.embed_tokens.weight
                with torch.no_grad():
                    embed.copy_(f.get_tensor(key).to(embed.dtype))
        return policy

    def save_pretrained(self, save_directory: str | Path, **kwargs: Any) -> Path:
        """As :meth:`PreTrainedPolicy.save_pretrained`, writing tied tensors under every name.

        PaliGemma's token embedding and ``lm_head`` share one tensor here; LeRobot's π0 holds
        them apart and loads strictly, so both names go into the file (LeRobot's loader then
        copies ``lm_head`` into the embedding, which is what sharing gives on lr's side).
        """
        if kwargs.get("state_dict") is None:
            seen: set[int] = set()
            state = {}
            for name, tensor in self.state_dict().items():
                key = tensor.untyped_storage().data_ptr()
                state[name] = tensor.clone() if key in seen else tensor
                seen.add(key)
            kwargs["state_dict"] = state
        return super().save_pretrained(save_directory, **kwargs)

    # ----------------------------------------------------------------- inputs

    def prepare_images(self, batch: dict[str, Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Images resized with centred padding to ``image_resolution``, scaled to [-1, 1], and
        their masks (B,) bool; every missing camera slot becomes a masked -1 image."""
        keys = self.config.camera_keys
        present = [k for k in keys if k in batch]
        if not present:
            raise PolicyError(
                f"{self.name} batch has none of the cameras {keys}; it has {sorted(batch)}"
            )
        device = next(self.parameters()).device
        images, masks = [], []
        height, width = self.config.image_resolution
        for key in present:
            img = batch[key].to(device=device, dtype=torch.float32)
            if tuple(img.shape[2:]) != (height, width):
                img = resize_with_pad_centered(img, height, width)
            images.append(img * 2.0 - 1.0)
            masks.append(torch.ones(img.shape[0], dtype=torch.bool, device=device))
        for _ in range(len(keys) - len(present)):
            images.append(torch.full_like(images[-1], -1.0))
            masks.append(torch.zeros_like(masks[-1]))
        return images, masks

    def _inputs(self, batch: dict[str, Tensor]) -> tuple[Any, ...]:
        for key in (OBS_LANGUAGE_TOKENS, OBS_LANGUAGE_ATTENTION_MASK) + (
            (OBS_STATE,) if self.uses_state_token else ()
        ):
            if key not in batch:
                raise PolicyError(
                    f"{self.name} batch lacks {key!r} (run the policy's pre-processor, which "
                    f"tokenises the task); it has {sorted(batch)}"
                )
        images, masks = self.prepare_images(batch)
        state = (
            pad_vector(batch[OBS_STATE], self.config.max_state_dim)
            if self.uses_state_token
            else None
        )
        return images, masks, batch[OBS_LANGUAGE_TOKENS], batch[OBS_LANGUAGE_ATTENTION_MASK], state

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
        """(B, chunk_size, D_action) normalised actions; ``noise`` (B, T, A_pad) fixes the start
        of the flow; the RTC arguments guide it toward a previous chunk's leftover."""
        self.eval()
        guide = rtc_guide(
            self.config.rtc_config, prev_chunk_left_over, inference_delay, execution_horizon
        )
        actions = self.model.sample_actions(*self._inputs(batch), noise=noise, guide=guide)
        return actions[:, :, : self.config.action_dim]

    def forward(
        self,
        batch: dict[str, Tensor],
        noise: Tensor | None = None,
        time: Tensor | None = None,
        reduction: str = "mean",
    ) -> tuple[Tensor, dict[str, Any]]:
        """Flow-matching loss: the mean squared velocity error over the action's own dimensions
        (every step of the chunk, as LeRobot's π0). ``reduction="none"``: per sample (B,)."""
        if ACTION not in batch:
            raise PolicyError(f"{self.name} training batch lacks 'action'; it has {sorted(batch)}")
        actions = pad_vector(batch[ACTION], self.config.max_action_dim)
        if noise is None:
            noise = sample_noise(actions.shape, actions.device)
        if time is None:
            c = self.config
            time = sample_time(
                actions.shape[0],
                actions.device,
                alpha=c.time_sampling_beta_alpha,
                beta=c.time_sampling_beta_beta,
                scale=c.time_sampling_scale,
                offset=c.time_sampling_offset,
            )
        losses = self.model(*self._inputs(batch), actions, noise, time)
        losses = losses[:, :, : self.config.action_dim]
        info: dict[str, Any] = {"loss_per_dim": losses.mean(dim=(0, 1)).detach().cpu().tolist()}
        if reduction == "none":
            per_sample = losses.mean(dim=(1, 2))
            info["loss"] = per_sample.mean().item()
            return per_sample, info
        loss = losses.mean()
        info["loss"] = loss.item()
        return loss, info


class PI0FlowMatching(nn.Module):
    """The network: :class:`PaliGemmaWithExpert` plus the state/action/time projections
    (LeRobot's ``PI0Pytorch``)."""

    expert_adarms = False

    def __init__(self, config: PI0Config) -> None:
        super().__init__()
        from lr_policies.pi0.backbone import openpi_architecture

        self.config = config
        arch = openpi_architecture()
        self.paligemma_with_expert = PaliGemmaWithExpert(
            config.paligemma_variant,
            config.action_expert_variant,
            expert_adarms=self.expert_adarms,
            precision=config.dtype,
            image_size=config.image_resolution[0],
            freeze_vision_encoder=config.freeze_vision_encoder,
            train_expert_only=config.train_expert_only,
            architecture=arch,
        )
        self.paligemma_with_expert.gradient_checkpointing = config.gradient_checkpointing
        width = arch["gemma_variants"][config.action_expert_variant]["width"]
        self.action_in_proj = nn.Linear(config.max_action_dim, width)
        self.action_out_proj = nn.Linear(width, config.max_action_dim)
        self.build_time_layers(config, width)

    def build_time_layers(self, config: PI0Config, width: int) -> None:
        self.state_proj = nn.Linear(config.max_state_dim, width)
        self.action_time_mlp_in = nn.Linear(2 * width, width)
        self.action_time_mlp_out = nn.Linear(width, width)

    # ----------------------------------------------------------------- embeddings

    def embed_prefix(
        self, images: list[Tensor], img_masks: list[Tensor], tokens: Tensor, token_masks: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Prefix embeddings (B, P, W), padding mask (B, P) bool, block starts (B, P) (all 0)."""
        pwe = self.paligemma_with_expert
        embs, pads = [], []
        for img, mask in zip(images, img_masks):
            emb = pwe.embed_image(img)
            embs.append(emb)
            pads.append(mask[:, None].expand(emb.shape[0], emb.shape[1]))
        embs.append(pwe.embed_language_tokens(tokens))
        pads.append(token_masks)
        emb = torch.cat(embs, 1)
        pad = torch.cat(pads, 1)
        return emb, pad, torch.zeros_like(pad)

    def embed_suffix(
        self, state: Tensor | None, x_t: Tensor, time: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """Suffix (B, 1+T, E): the state token, then the actions fused with the time embedding;
        padding mask, block starts [1 | 1 0…0], and no norm condition."""
        assert state is not None
        if self.state_proj.weight.dtype == torch.float32:
            state = state.to(torch.float32)
        state_emb = self.state_proj(state)[:, None]
        t_emb = time_embedding(
            time, self.action_in_proj.out_features, self.config.min_period, self.config.max_period
        )
        action_emb = self.action_in_proj(x_t)
        t_emb = t_emb.to(time.dtype)[:, None].expand_as(action_emb)
        fused = self.action_time_mlp_in(torch.cat([action_emb, t_emb], dim=2))
        fused = self.action_time_mlp_out(F.silu(fused))
        emb = torch.cat([state_emb, fused], 1)
        b, n = emb.shape[:2]
        pad = torch.ones(b, n, dtype=torch.bool, device=emb.device)
        ar = torch.zeros(b, n, dtype=emb.dtype, device=emb.device)
        ar[:, :2] = 1
        return emb, pad, ar, None

    # ----------------------------------------------------------------- training and sampling

    def _to_model_dtype(self, *xs: Tensor) -> list[Tensor]:
        layer = self.paligemma_with_expert.language_model.layers[0]
        if layer.self_attn.q_proj.weight.dtype == torch.bfloat16:
            return [x.to(torch.bfloat16) for x in xs]
        return list(xs)

    def forward(
        self,
        images: list[Tensor],
        img_masks: list[Tensor],
        tokens: Tensor,
        token_masks: Tensor,
        state: Tensor | None,
        actions: Tensor,
        noise: Tensor,
        time: Tensor,
    ) -> Tensor:
        """Per-element squared velocity errors (B, T, A_pad)."""
        x_t, u_t = noisy_actions(actions, noise, time)
        prefix, prefix_pad, prefix_ar = self.embed_prefix(images, img_masks, tokens, token_masks)
        suffix, suffix_pad, suffix_ar, cond = self.embed_suffix(state, x_t, time)
        prefix, suffix = self._to_model_dtype(prefix, suffix)
        pad = torch.cat([prefix_pad, suffix_pad], 1)
        ar = torch.cat([prefix_ar.to(suffix_ar.dtype), suffix_ar], 1)
        out = self.paligemma_with_expert(
            prefix, suffix, make_att_2d_masks(pad, ar), positions(pad), cond
        )
        v_t = self.action_out_proj(out[:, -self.config.chunk_size :].to(torch.float32))
        return F.mse_loss(u_t, v_t, reduction="none")

    @torch.no_grad()
    def sample_actions(
        self,
        images: list[Tensor],
        img_masks: list[Tensor],
        tokens: Tensor,
        token_masks: Tensor,
        state: Tensor | None,
        noise: Tensor | None = None,
        guide: Any = None,
    ) -> Tensor:
        """Denoised actions (B, T, A_pad): the prefix once, then ``num_inference_steps`` expert
        passes over its cached keys/values."""
        b = tokens.shape[0]
        if noise is None:
            noise = sample_noise(
                (b, self.config.chunk_size, self.config.max_action_dim), tokens.device
            )
        prefix, prefix_pad, prefix_ar = self.embed_prefix(images, img_masks, tokens, token_masks)
        pwe = self.paligemma_with_expert
        cache = pwe.fill_cache(
            prefix, make_att_2d_masks(prefix_pad, prefix_ar), positions(prefix_pad)
        )
        offsets = prefix_pad.sum(dim=-1)[:, None]

        def velocity(x_t: Tensor, time: Tensor) -> Tensor:
            suffix, suffix_pad, suffix_ar, cond = self.embed_suffix(state, x_t, time)
            mask = suffix_masks(prefix_pad, suffix_pad, suffix_ar)
            pos = offsets + torch.cumsum(suffix_pad, dim=1) - 1
            out = pwe.denoise(suffix, cache, mask, pos, cond)
            return self.action_out_proj(out[:, -self.config.chunk_size :].to(torch.float32))

        return euler_sample(velocity, noise, self.config.num_inference_steps, guide=guide)
