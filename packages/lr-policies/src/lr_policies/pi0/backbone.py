"""π0 / π0.5's two transformers: PaliGemma (SigLIP + Gemma 2B) and the Gemma-300M action
expert, sharing every attention layer (openpi's ``PaliGemmaWithExpertModel``).

The modules are transformers' (``PaliGemmaForConditionalGeneration``, ``GemmaForCausalLM``) with
LeRobot 0.6.1's parameter names (``paligemma.model.language_model.layers.0.self_attn.q_proj
.weight``, ``gemma_expert.model.layers.0.mlp.up_proj.weight``, ``gemma_expert.lm_head.weight``);
π0.5's expert norms are adaptive (:class:`AdaRMSNorm`, ``input_layernorm.dense.weight``). The
layer loop, cache and attention are ours.

The architecture comes from ``vlm_configs/openpi_paligemma.json`` (the published PaliGemma
config with openpi's vocabulary and Gemma variants), so it builds offline.

Shapes: B batch, P prefix tokens, S suffix tokens, W / E widths, K KV heads of D.

    every layer:  prefix (B,P,W) ─norm─▶ q,k,v ─┐                   ┌─▶ o_proj, residual,
                  suffix (B,S,E) ─norm─▶ q,k,v ─┴▶ RoPE ─▶ attention ┴─▶ norm, MLP (own weights)
                  (π0.5: the expert's norms scale/shift/gate by the flow time)

At inference the prefix runs once (:meth:`PaliGemmaWithExpert.fill_cache`, its keys/values per
layer) and the ``num_inference_steps`` expert passes attend over them
(:meth:`PaliGemmaWithExpert.denoise`).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import torch
from torch import Tensor, nn

from lr_policies.layers.gqa import apply_rope, masked_gqa_attention, rope_tables


def openpi_architecture() -> dict[str, Any]:
    """The shipped PaliGemma / Gemma-variant description (see the module docstring)."""
    file = resources.files("lr_policies.pi0").joinpath("vlm_configs", "openpi_paligemma.json")
    return json.loads(file.read_text())


class AdaRMSNorm(nn.Module):
    """Gemma's RMSNorm, optionally adaptive (π0.5's expert; LeRobot's ``PiGemmaRMSNorm``).

    Plain: ``x / rms(x) · (1 + weight)``. Adaptive (``cond_dim`` set): ``dense(cond)`` gives
    (scale, shift, gate) and the output is ``x / rms(x) · (1 + scale) + shift``; ``gate``
    multiplies the branch in the residual. ``forward(x, cond)`` returns ``(y, gate or None)``.
    """

    def __init__(self, dim: int, eps: float = 1e-6, cond_dim: int | None = None) -> None:
        super().__init__()
        self.eps = eps
        self.dim = dim
        self.cond_dim = cond_dim
        if cond_dim is None:
            self.weight = nn.Parameter(torch.zeros(dim))
            self.dense = None
        else:
            self.dense = nn.Linear(cond_dim, dim * 3, bias=True)
            nn.init.zeros_(self.dense.weight)

    def forward(self, x: Tensor, cond: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        var = torch.mean(torch.square(x.float()), dim=-1, keepdim=True)
        normed = x * torch.rsqrt(var + self.eps)
        if self.dense is None or cond is None:
            return (normed * (1.0 + self.weight.float())).type_as(x), None
        modulation = self.dense(cond)
        if x.ndim == 3:
            modulation = modulation.unsqueeze(1)
        scale, shift, gate = modulation.chunk(3, dim=-1)
        normed = normed * (1 + scale.float()) + shift.float()
        return normed.to(x.dtype), gate.to(x.dtype)


def _gated(x: Tensor, y: Tensor, gate: Tensor | None) -> Tensor:
    return x + y if gate is None else x + y * gate


def _norm(norm: nn.Module, x: Tensor, cond: Tensor | None) -> tuple[Tensor, Tensor | None]:
    if isinstance(norm, AdaRMSNorm):
        return norm(x, cond)
    return norm(x), None


class PaliGemmaWithExpert(nn.Module):
    """``paligemma`` (the VLM) and ``gemma_expert`` (the action expert).

    ``vlm_variant`` / ``expert_variant``: names in the shipped ``gemma_variants``;
    ``expert_adarms``: π0.5's time-conditioned expert norms; ``precision``: ``"float32"`` or
    ``"bfloat16"`` (then the vision tower, projector and norms stay float32, as LeRobot).
    """

    def __init__(
        self,
        vlm_variant: str = "gemma_2b",
        expert_variant: str = "gemma_300m",
        *,
        expert_adarms: bool = False,
        precision: str = "float32",
        image_size: int = 224,
        freeze_vision_encoder: bool = False,
        train_expert_only: bool = False,
        architecture: dict[str, Any] | None = None,
    ) -> None:
        from transformers import (
            GemmaConfig,
            GemmaForCausalLM,
            PaliGemmaConfig,
            PaliGemmaForConditionalGeneration,
        )

        super().__init__()
        arch = architecture or openpi_architecture()
        vlm = arch["gemma_variants"][vlm_variant]
        exp = arch["gemma_variants"][expert_variant]
        vocab = arch["vocab_size"]
        vision = arch["vision"]
        config = PaliGemmaConfig(
            vision_config={
                "model_type": "siglip_vision_model",
                "hidden_size": vision["hidden_size"],
                "num_hidden_layers": vision["num_hidden_layers"],
                "num_attention_heads": vision["num_attention_heads"],
                "intermediate_size": vision["intermediate_size"],
                "patch_size": vision["patch_size"],
                "image_size": image_size,
                "projector_hidden_act": vision["projector_hidden_act"],
                "vision_use_head": False,
                "vocab_size": vocab,
            },
            text_config={
                "model_type": "gemma",
                "hidden_size": vlm["width"],
                "intermediate_size": vlm["mlp_dim"],
                "num_attention_heads": vlm["num_heads"],
                "num_key_value_heads": vlm["num_kv_heads"],
                "head_dim": vlm["head_dim"],
                "num_hidden_layers": vlm["depth"],
                "hidden_activation": "gelu_pytorch_tanh",
                "vocab_size": vocab,
            },
            vocab_size=vocab,
            image_token_index=arch["image_token_index"],
            projection_dim=vlm["width"],
            hidden_size=vlm["width"],
        )
        self.paligemma = PaliGemmaForConditionalGeneration(config)
        expert_config = GemmaConfig(
            head_dim=exp["head_dim"],
            hidden_size=exp["width"],
            intermediate_size=exp["mlp_dim"],
            num_attention_heads=exp["num_heads"],
            num_hidden_layers=exp["depth"],
            num_key_value_heads=exp["num_kv_heads"],
            vocab_size=vocab,
            hidden_activation="gelu_pytorch_tanh",
        )
        self.gemma_expert = GemmaForCausalLM(expert_config)
        self.gemma_expert.model.embed_tokens = None
        if expert_adarms:
            model = self.gemma_expert.model
            eps = expert_config.rms_norm_eps
            for layer in model.layers:
                layer.input_layernorm = AdaRMSNorm(exp["width"], eps, cond_dim=exp["width"])
                layer.post_attention_layernorm = AdaRMSNorm(
                    exp["width"], eps, cond_dim=exp["width"]
                )
            model.norm = AdaRMSNorm(exp["width"], eps, cond_dim=exp["width"])
        self.head_dim = vlm["head_dim"]
        #: Recompute each layer's activations in the backward pass (``gradient_checkpointing``).
        self.gradient_checkpointing = False
        self.rope_theta = float(getattr(expert_config, "rope_theta", None) or 10_000.0)
        self._set_precision(precision)
        self.freeze_vision_encoder = freeze_vision_encoder
        self.train_expert_only = train_expert_only
        if freeze_vision_encoder:
            for p in self.paligemma.model.vision_tower.parameters():
                p.requires_grad = False
        if train_expert_only:
            for p in self.paligemma.parameters():
                p.requires_grad = False
        self.train(self.training)

    def _set_precision(self, precision: str) -> None:
        if precision == "float32":
            self.to(torch.float32)
            return
        self.to(torch.bfloat16)
        keep = (
            "vision_tower",
            "multi_modal_projector",
            "input_layernorm",
            "post_attention_layernorm",
            "model.norm",
        )
        for name, param in self.named_parameters():
            if any(k in name for k in keep):
                param.data = param.data.to(torch.float32)

    def train(self, mode: bool = True) -> PaliGemmaWithExpert:
        super().train(mode)
        if self.freeze_vision_encoder:
            self.paligemma.model.vision_tower.eval()
        if self.train_expert_only:
            self.paligemma.eval()
        return self

    @property
    def language_model(self) -> nn.Module:
        return self.paligemma.model.language_model

    # ----------------------------------------------------------------- embeddings

    def embed_image(self, image: Tensor) -> Tensor:
        """(B, 3, H, W) in [-1, 1] → (B, N_img, W) (SigLIP then the linear projector)."""
        dtype = image.dtype
        features = self.paligemma.model.get_image_features(image.to(torch.float32)).pooler_output
        return features.to(dtype)

    def embed_language_tokens(self, tokens: Tensor) -> Tensor:
        """(B, L) ids → (B, L, W) (Gemma's embedding, scaled by √W)."""
        return self.language_model.get_input_embeddings()(tokens)

    # ----------------------------------------------------------------- layers

    def _qkv(self, layer: nn.Module, x: Tensor, cond: Tensor | None, cos: Tensor, sin: Tensor):  # type: ignore[no-untyped-def]
        """Normed q (roped), k (roped), v (B, N, heads, D) and the residual gate."""
        attn = layer.self_attn
        h, gate = _norm(layer.input_layernorm, x, cond)
        h = h.to(attn.q_proj.weight.dtype)
        shape = (*h.shape[:-1], -1, self.head_dim)
        q = apply_rope(attn.q_proj(h).view(shape), cos, sin)
        k = apply_rope(attn.k_proj(h).view(shape), cos, sin)
        return q, k, attn.v_proj(h).view(shape), gate

    @staticmethod
    def _finish(
        layer: nn.Module, x: Tensor, attended: Tensor, gate: Tensor | None, cond: Tensor | None
    ) -> Tensor:
        out = layer.self_attn.o_proj(attended.to(layer.self_attn.o_proj.weight.dtype))
        out = _gated(x, out, gate)
        h, gate2 = _norm(layer.post_attention_layernorm, out, cond)
        if layer.mlp.up_proj.weight.dtype == torch.bfloat16:
            h = h.to(torch.bfloat16)
        return _gated(out, layer.mlp(h), gate2)

    def _attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
        return masked_gqa_attention(q, k, v, mask, self.head_dim**-0.5)

    def _rope(self, position_ids: Tensor) -> tuple[Tensor, Tensor]:
        return rope_tables(position_ids, self.head_dim, self.rope_theta, inverse=True)

    # ----------------------------------------------------------------- passes

    def forward(
        self,
        prefix: Tensor,
        suffix: Tensor,
        mask: Tensor,
        position_ids: Tensor,
        adarms_cond: Tensor | None = None,
    ) -> Tensor:
        """Training pass over prefix (B, P, W) and suffix (B, S, E) together; ``mask``
        (B, P+S, P+S) bool; returns the expert's final-normed output (B, S, E)."""
        n_p = prefix.shape[1]
        cos, sin = self._rope(position_ids)
        for vlm_layer, expert_layer in zip(
            self.language_model.layers, self.gemma_expert.model.layers
        ):
            q_p, k_p, v_p, g_p = self._qkv(vlm_layer, prefix, None, cos[:, :n_p], sin[:, :n_p])
            q_s, k_s, v_s, g_s = self._qkv(
                expert_layer, suffix, adarms_cond, cos[:, n_p:], sin[:, n_p:]
            )
            out = self._attend(
                torch.cat([q_p, q_s], 1),
                torch.cat([k_p, k_s], 1),
                torch.cat([v_p, v_s.to(v_p.dtype)], 1),
                mask,
            )
            prefix = self._finish(vlm_layer, prefix, out[:, :n_p], g_p, None)
            suffix = self._finish(expert_layer, suffix, out[:, n_p:], g_s, adarms_cond)
        return _norm(self.gemma_expert.model.norm, suffix, adarms_cond)[0]

    @torch.no_grad()
    def fill_cache(
        self, prefix: Tensor, mask: Tensor, position_ids: Tensor
    ) -> list[tuple[Tensor, Tensor]]:
        """The prefix's roped keys and values (B, P, K, D) for each layer (the last layer's MLP
        and the final norm are skipped: nothing reads the prefix's output)."""
        cos, sin = self._rope(position_ids)
        cache = []
        layers = self.language_model.layers
        for i, layer in enumerate(layers):
            q, k, v, gate = self._qkv(layer, prefix, None, cos, sin)
            cache.append((k, v))
            if i < len(layers) - 1:
                prefix = self._finish(layer, prefix, self._attend(q, k, v, mask), gate, None)
        return cache

    def denoise(
        self,
        suffix: Tensor,
        cache: list[tuple[Tensor, Tensor]],
        mask: Tensor,
        position_ids: Tensor,
        adarms_cond: Tensor | None = None,
    ) -> Tensor:
        """The expert over the suffix (B, S, E) attending to the cached prefix and itself;
        ``mask`` (B, S, P+S). Returns the final-normed output (B, S, E)."""
        cos, sin = self._rope(position_ids)
        for layer, (k_p, v_p) in zip(self.gemma_expert.model.layers, cache):
            q, k, v, gate = self._qkv(layer, suffix, adarms_cond, cos, sin)
            k = torch.cat([k_p.to(k.dtype), k], 1)
            v = torch.cat([v_p.to(v.dtype), v], 1)
            suffix = self._finish(layer, suffix, self._attend(q, k, v, mask), gate, adarms_cond)
        return _norm(self.gemma_expert.model.norm, suffix, adarms_cond)[0]
