"""SmolVLA's two transformers side by side: the SmolVLM2 VLM (cut to its first layers) and the
action expert, a narrower Llama stack whose layers attend to the VLM's keys and values.

The modules are transformers' (``SmolVLMForConditionalGeneration``, ``LlamaModel``): same
parameter names as LeRobot 0.6.1's ``SmolVLMWithExpertModel`` (``vlm.model.text_model.layers.3
.self_attn.q_proj.weight``, ``lm_expert.layers.1.self_attn.k_proj.weight``...). The layer loop,
the cache and the attention are ours (LeRobot's ``smolvlm_with_expert.py`` semantics).

Shapes: B batch, P prefix tokens (images, language, state), S suffix tokens (the chunk's
actions), W / E the VLM / expert widths, K key/value heads of size D.

    layer i of the VLM (all layers)          layer i of the expert (every multiple_of-th VLM layer)
    prefix (B,P,W) ─▶ q,k,v ─▶ RoPE ─┐        suffix (B,S,E) ─▶ q (,k,v) ─▶ RoPE
                                     │
      self-attention layer:  prefix and suffix queries attend over [prefix; suffix] keys
      cross-attention layer: prefix attends over the prefix; the expert's queries attend over
                             k_proj/v_proj of the VLM's (roped) prefix keys and values
                                     │
    o_proj + residual, RMSNorm, MLP + residual (each stack its own weights)

At inference the prefix runs once (:meth:`SmolVLMWithExpert.fill_cache`) and its per-layer keys
and values, plus the expert's projections of them for the cross-attention layers, serve the
``num_steps`` denoising steps (:meth:`SmolVLMWithExpert.denoise`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import Tensor, nn

from lr_policies.layers.gqa import (
    DecoderLayer,
    DecoderStack,
    apply_rope,
    apply_rope_rotation,
    gqa_attention_prepared,
    keys_for_scores,
    mask_bias,
    masked_gqa_attention,
    rope_rotation,
    rope_tables,
    values_for_mix,
)


def get_intermediate_size(hidden: int, ffn_dim_multiplier: int = 4, multiple_of: int = 256) -> int:
    """The expert's MLP width: ``4 · ⌊2·hidden/3⌋`` rounded up to a multiple of 256 (LeRobot)."""
    size = int(ffn_dim_multiplier * int(2 * hidden / 3))
    return multiple_of * ((size + multiple_of - 1) // multiple_of)


@dataclass
class PrefixCache:
    """Per VLM layer: the prefix's keys and values (B, P, K, D) after RoPE, and for the expert's
    cross-attention layers their ``k_proj``/``v_proj`` of them (computed once per chunk)."""

    keys: list[Tensor]
    values: list[Tensor]
    cross: dict[int, tuple[Tensor, Tensor]]


@dataclass
class DenoisePlan:
    """What every denoising step of a chunk shares, made once (:meth:`SmolVLMWithExpert.
    prepare_denoise`): the RoPE rotations of the suffix's positions (self-attention) and of
    the restarted ones (cross-attention), the additive masks (B, 1, 1, S, ·), and per layer the
    prefix's keys (B, K, D, P) float32 and values (B, K, P, D) in the layouts
    :func:`gqa_attention_prepared` multiplies with (made at the first step, in its dtype)."""

    cache: PrefixCache
    rotation: tuple[Tensor, Tensor]
    cross_rotation: tuple[Tensor, Tensor]
    bias: Tensor
    cross_bias: Tensor
    keys: dict[int, Tensor]
    values: dict[int, Tensor]

    def prefix(
        self, layer: int, kv: tuple[Tensor, Tensor], dtype: torch.dtype
    ) -> tuple[Tensor, Tensor]:
        """Layer ``layer``'s prepared keys and values from ``kv`` (B, P, K, D) each, cast to
        ``dtype`` first (as the expert's own keys are) and kept for the next steps."""
        if layer not in self.keys:
            self.keys[layer] = keys_for_scores(kv[0].to(dtype))
            self.values[layer] = values_for_mix(kv[1].to(dtype))
        return self.keys[layer], self.values[layer]


class SmolVLMWithExpert(nn.Module):
    """The VLM (``vlm``) and the action expert (``lm_expert``).

    ``vlm_config``: a ``transformers.SmolVLMConfig`` (see :mod:`lr_policies.smolvla.vlm_config`);
    only its first ``num_vlm_layers`` text layers are built. Each part takes its config's dtype
    (SmolVLM2's config puts the text model, hence the expert, in bfloat16); ``vlm_dtype`` casts the
    whole VLM (LeRobot's bfloat16 when it starts from the pretrained VLM weights).
    """

    def __init__(
        self,
        vlm_config: Any,
        *,
        num_vlm_layers: int = 16,
        num_expert_layers: int = -1,
        attention_mode: str = "cross_attn",
        self_attn_every_n_layers: int = 2,
        expert_width_multiplier: float = 0.75,
        freeze_vision_encoder: bool = True,
        train_expert_only: bool = True,
        vlm_dtype: torch.dtype | None = None,
    ) -> None:
        from transformers import AutoModel, SmolVLMForConditionalGeneration

        super().__init__()
        config = copy.deepcopy(vlm_config)
        text = config.text_config
        if 0 < num_vlm_layers < text.num_hidden_layers:
            # Build only the layers LeRobot keeps (it builds all, then slices the list).
            text.num_hidden_layers = num_vlm_layers
        # transformers builds each sub-model in its config's dtype: SmolVLM2's text model (and so
        # the expert, a copy of its config) in bfloat16, the vision tower in float32, as in
        # LeRobot. Starting from the pretrained VLM, LeRobot loads all of it in bfloat16.
        self.vlm = SmolVLMForConditionalGeneration(config)
        if vlm_dtype is not None:
            self.vlm.to(vlm_dtype)
        self.config = config
        self.num_vlm_layers = text.num_hidden_layers

        expert = copy.deepcopy(text)
        width = int(text.hidden_size * expert_width_multiplier)
        expert.hidden_size = width
        expert.intermediate_size = get_intermediate_size(width)
        expert.num_hidden_layers = self.num_vlm_layers
        if num_expert_layers > 0:
            if self.num_vlm_layers % num_expert_layers:
                raise ValueError(
                    f"num_expert_layers ({num_expert_layers}) must divide the VLM's "
                    f"{self.num_vlm_layers} layers"
                )
            expert.num_hidden_layers = num_expert_layers
        # The expert's token embedding is removed below: do not allocate a vocabulary for it.
        expert.vocab_size, expert.pad_token_id = 1, None
        self.lm_expert = AutoModel.from_config(expert)
        self.lm_expert.embed_tokens = None
        self.expert_hidden_size = width
        self.num_expert_layers = expert.num_hidden_layers
        self.attention_mode = attention_mode
        self.self_attn_every_n_layers = self_attn_every_n_layers
        kv = text.num_key_value_heads * text.head_dim
        expert_kv = expert.num_key_value_heads * expert.head_dim
        for i, layer in enumerate(self.lm_expert.layers):
            if not self.is_self_attention(i):
                # Cross-attention layers read the VLM's keys/values: K/V projections from its width.
                layer.self_attn.k_proj = nn.Linear(kv, expert_kv, bias=expert.attention_bias)
                layer.self_attn.v_proj = nn.Linear(kv, expert_kv, bias=expert.attention_bias)

        for i, (_, partner) in enumerate(self.layer_pairs()):
            j = i // (self.num_vlm_layers // self.num_expert_layers)
            if partner is not None and self.is_self_attention(i) != self.is_self_attention(j):
                # LeRobot picks the cross-attention expert layers by expert index but runs them by
                # VLM index; where the two disagree its model fails on the first batch.
                raise ValueError(
                    f"VLM layer {i} is a {'self' if self.is_self_attention(i) else 'cross'}-"
                    f"attention layer but its expert layer {j} is built for the other kind: choose "
                    f"self_attn_every_n_layers ({self_attn_every_n_layers}) and num_expert_layers "
                    f"({num_expert_layers}) so that they agree (as LeRobot requires)"
                )
        self.num_heads = text.num_attention_heads
        self.num_kv_heads = text.num_key_value_heads
        self.head_dim = text.head_dim
        self.freeze_vision_encoder = freeze_vision_encoder
        self.train_expert_only = train_expert_only
        self._set_requires_grad()

    # ----------------------------------------------------------------- structure

    @property
    def text_model(self) -> DecoderStack:
        """SmolVLM's text decoder (transformers types it as a plain module)."""
        return cast(DecoderStack, self.vlm.model.text_model)

    def is_self_attention(self, layer: int) -> bool:
        """Whether layer ``layer`` attends over the joint sequence (else: cross-attention)."""
        every = self.self_attn_every_n_layers
        return "cross" not in self.attention_mode or (every > 0 and layer % every == 0)

    def layer_pairs(self) -> list[tuple[DecoderLayer, DecoderLayer | None]]:
        """(VLM layer, expert layer or None) for each VLM layer: with fewer expert layers, only
        every ``num_vlm_layers / num_expert_layers``-th VLM layer has an expert partner."""
        every = self.num_vlm_layers // self.num_expert_layers
        pairs = []
        for i, layer in enumerate(self.text_model.layers):
            partner = (
                None if (every > 0 and i > 0 and i % every) else self.lm_expert.layers[i // every]
            )
            pairs.append((layer, partner))
        return pairs

    def _set_requires_grad(self) -> None:
        """LeRobot's fine-tuning switches (``SmolVLMWithExpertModel.set_requires_grad``)."""
        if self.freeze_vision_encoder:
            self.vlm.model.vision_model.eval()
            for p in self.vlm.model.vision_model.parameters():
                p.requires_grad = False
        if self.train_expert_only:
            self.vlm.eval()
            for p in self.vlm.parameters():
                p.requires_grad = False
        else:
            # The last VLM layer's (and with a thinner expert the one before) outputs feed no
            # loss; freezing them avoids DDP's unused-parameter error.
            last = [self.num_vlm_layers - 1]
            if (
                self.num_vlm_layers != self.num_expert_layers
                and self.num_vlm_layers % self.num_expert_layers == 0
            ):
                last.append(self.num_vlm_layers - 2)
            frozen = ["lm_head", "text_model.norm.weight"] + [
                f"text_model.layers.{i}." for i in last
            ]
            for name, p in self.vlm.named_parameters():
                if any(f in name for f in frozen):
                    p.requires_grad = False

    def train(self, mode: bool = True) -> SmolVLMWithExpert:
        super().train(mode)
        if self.freeze_vision_encoder:
            self.vlm.model.vision_model.eval()
        if self.train_expert_only:
            self.vlm.eval()
        return self

    def load_pretrained_vlm(self, name: str) -> None:
        """Copy the pretrained VLM ``name`` (a Hub id or a local folder) into ``vlm``, in
        bfloat16, keeping only the first ``num_vlm_layers`` text layers (LeRobot's
        ``load_vlm_weights``). Raises :class:`ConfigError` when the weights cannot be read."""
        from transformers import AutoModelForImageTextToText

        from lr_core.errors import ConfigError

        try:
            source = AutoModelForImageTextToText.from_pretrained(name, dtype=torch.bfloat16)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"load_vlm_weights: cannot load the VLM weights of {name!r}: {exc}. Without the "
                "Hub, set vlm_model_name to a local folder holding the VLM (config.json and "
                "model.safetensors), or load_vlm_weights=false (random VLM)"
            ) from exc
        state = source.state_dict()
        kept = {f"model.text_model.layers.{i}." for i in range(self.num_vlm_layers)}
        state = {
            k: v
            for k, v in state.items()
            if not k.startswith("model.text_model.layers.") or any(k.startswith(p) for p in kept)
        }
        missing, unexpected = self.vlm.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ConfigError(
                f"the VLM {name!r} does not match the configured architecture: missing "
                f"{sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
            )
        self.vlm.to(torch.bfloat16)

    # ----------------------------------------------------------------- embeddings

    def embed_image(self, image: Tensor) -> Tensor:
        """(B, 3, H, W) in [-1, 1] → (B, N_img, W) image tokens (SigLIP, pixel shuffle, proj)."""
        vision = self.vlm.model.vision_model
        hidden = vision(pixel_values=image.to(dtype=vision.dtype)).last_hidden_state
        return self.vlm.model.connector(hidden)

    def embed_language_tokens(self, tokens: Tensor) -> Tensor:
        """(B, L) ids → (B, L, W) embeddings."""
        return self.text_model.get_input_embeddings()(tokens)

    # ----------------------------------------------------------------- one layer's pieces

    def _qkv(
        self, layer: DecoderLayer, hidden: Tensor, cos: Tensor, sin: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Normed ``hidden`` (B, N, ·) → roped q, roped k and v, each (B, N, heads, D)."""
        attn = layer.self_attn
        x = layer.input_layernorm(hidden).to(attn.q_proj.weight.dtype)
        shape = (*x.shape[:-1], -1, self.head_dim)
        q = apply_rope(attn.q_proj(x).view(shape), cos, sin)
        k = apply_rope(attn.k_proj(x).view(shape), cos, sin)
        return q, k, attn.v_proj(x).view(shape)

    def _query(self, layer: DecoderLayer, hidden: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        attn = layer.self_attn
        x = layer.input_layernorm(hidden).to(attn.q_proj.weight.dtype)
        return apply_rope(attn.q_proj(x).view(*x.shape[:-1], -1, self.head_dim), cos, sin)

    def cross_kv(self, layer: DecoderLayer, keys: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
        """The expert's keys/values (B, P, K, D) from the VLM's (B, P, K, D) of the same layer."""
        attn = layer.self_attn
        dtype = attn.k_proj.weight.dtype
        k = attn.k_proj(keys.to(dtype).reshape(*keys.shape[:2], -1))
        v = attn.v_proj(values.to(dtype).reshape(*values.shape[:2], -1))
        return k.view(*k.shape[:-1], -1, self.head_dim), v.view(*v.shape[:-1], -1, self.head_dim)

    def _attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor) -> Tensor:
        return masked_gqa_attention(q, k, v, mask, self.head_dim**-0.5)

    @staticmethod
    def _finish(layer: DecoderLayer, hidden: Tensor, attended: Tensor) -> Tensor:
        """o_proj + residual, then RMSNorm, MLP + residual; the stream takes the layer's dtype
        after the first residual (LeRobot adds in place into the projection's output)."""
        dtype = layer.self_attn.o_proj.weight.dtype
        out = (layer.self_attn.o_proj(attended.to(dtype)) + hidden).to(dtype)
        return layer.mlp(layer.post_attention_layernorm(out)) + out

    # ----------------------------------------------------------------- passes

    def forward(self, prefix: Tensor, suffix: Tensor, mask: Tensor, position_ids: Tensor) -> Tensor:
        """Training pass over prefix (B, P, W) and suffix (B, S, E) together, ``mask``
        (B, P+S, P+S) bool, ``position_ids`` (B, P+S); returns the expert's normed output
        (B, S, E)."""
        n_p = prefix.shape[1]
        cos, sin = rope_tables(position_ids, self.head_dim)
        cos_p, sin_p = cos[:, :n_p], sin[:, :n_p]
        cross_rope = self._cross_rope(position_ids[:, n_p:])
        for i, (vlm_layer, expert_layer) in enumerate(self.layer_pairs()):
            if self.is_self_attention(i):
                q_p, k_p, v_p = self._qkv(vlm_layer, prefix, cos_p, sin_p)
                if expert_layer is None:
                    prefix = self._finish(
                        vlm_layer, prefix, self._attend(q_p, k_p, v_p, mask[:, :n_p, :n_p])
                    )
                    continue
                q_s, k_s, v_s = self._qkv(expert_layer, suffix, cos[:, n_p:], sin[:, n_p:])
                out = self._attend(
                    torch.cat([q_p, q_s], 1),
                    torch.cat([k_p, k_s], 1),
                    torch.cat([v_p, v_s], 1),
                    mask,
                )
                prefix, suffix = (
                    self._finish(vlm_layer, prefix, out[:, :n_p]),
                    self._finish(expert_layer, suffix, out[:, n_p:]),
                )
            else:
                q_p, k_p, v_p = self._qkv(vlm_layer, prefix, cos_p, sin_p)
                new_prefix = self._finish(
                    vlm_layer, prefix, self._attend(q_p, k_p, v_p, mask[:, :n_p, :n_p])
                )
                if expert_layer is not None:
                    suffix = self._cross(
                        expert_layer, suffix, cross_rope, k_p, v_p, mask[:, n_p:, :n_p]
                    )
                prefix = new_prefix
        return self.lm_expert.norm(suffix)

    def _cross_rope(self, pos_s: Tensor) -> tuple[Tensor, Tensor]:
        """RoPE tables of the cross-attention expert layers: their positions restart at 0
        (LeRobot); the same for every such layer, so computed once per pass."""
        return rope_tables(pos_s - pos_s.min(dim=1, keepdim=True).values, self.head_dim)

    def _cross(
        self,
        layer: DecoderLayer,
        suffix: Tensor,
        rope: tuple[Tensor, Tensor],
        keys: Tensor,
        values: Tensor,
        mask: Tensor,
        kv: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        """One cross-attention expert layer; ``rope`` from :meth:`_cross_rope`."""
        cos, sin = rope
        k, v = kv if kv is not None else self.cross_kv(layer, keys, values)
        return self._finish(
            layer, suffix, self._attend(self._query(layer, suffix, cos, sin), k, v, mask)
        )

    @torch.no_grad()
    def fill_cache(self, prefix: Tensor, mask: Tensor, position_ids: Tensor) -> PrefixCache:
        """Run the VLM over the prefix (B, P, W) once: every layer's roped keys and values, and
        the expert's projections of them for its cross-attention layers. The last layer's MLP and
        the final norm are skipped (nothing reads the prefix's output)."""
        cos, sin = rope_tables(position_ids, self.head_dim)
        keys, values, cross = [], [], {}
        pairs = self.layer_pairs()
        for i, (vlm_layer, expert_layer) in enumerate(pairs):
            q, k, v = self._qkv(vlm_layer, prefix, cos, sin)
            keys.append(k)
            values.append(v)
            if expert_layer is not None and not self.is_self_attention(i):
                cross[i] = self.cross_kv(expert_layer, k, v)
            if i < len(pairs) - 1:
                prefix = self._finish(vlm_layer, prefix, self._attend(q, k, v, mask))
        return PrefixCache(keys, values, cross)

    def prepare_denoise(
        self, cache: PrefixCache, mask: Tensor, position_ids: Tensor
    ) -> DenoisePlan:
        """The :class:`DenoisePlan` of a chunk: ``mask`` (B, S, P+S) bool and ``position_ids``
        (B, S) of the suffix, the same at every denoising step."""
        n_p = cache.keys[0].shape[1]
        cos, sin = rope_tables(position_ids, self.head_dim)
        return DenoisePlan(
            cache=cache,
            rotation=rope_rotation(cos, sin),
            cross_rotation=rope_rotation(*self._cross_rope(position_ids)),
            bias=mask_bias(mask),
            cross_bias=mask_bias(mask[:, :, :n_p]),
            keys={},
            values={},
        )

    def denoise(
        self, suffix: Tensor, cache: PrefixCache, mask: Tensor, position_ids: Tensor
    ) -> Tensor:
        """Run the expert over the suffix (B, S, E) against a filled cache; ``mask``
        (B, S, P+S), ``position_ids`` (B, S). Returns the expert's normed output (B, S, E).
        A chunk's steps share one plan instead: :meth:`prepare_denoise` + :meth:`denoise_step`
        (the same result bit for bit)."""
        return self.denoise_step(suffix, self.prepare_denoise(cache, mask, position_ids))

    def denoise_step(self, suffix: Tensor, plan: DenoisePlan) -> Tensor:
        """:meth:`denoise` with the chunk's :class:`DenoisePlan`: suffix (B, S, E) → the
        expert's normed output (B, S, E)."""
        cache = plan.cache
        scale = self.head_dim**-0.5
        for i, (_, expert_layer) in enumerate(self.layer_pairs()):
            if expert_layer is None:
                continue
            attn = expert_layer.self_attn
            x = expert_layer.input_layernorm(suffix).to(attn.q_proj.weight.dtype)
            shape = (*x.shape[:-1], -1, self.head_dim)
            if self.is_self_attention(i):
                q = apply_rope_rotation(attn.q_proj(x).view(shape), plan.rotation)
                k = apply_rope_rotation(attn.k_proj(x).view(shape), plan.rotation)
                v = attn.v_proj(x).view(shape)
                prefix_k, prefix_v = plan.prefix(i, (cache.keys[i], cache.values[i]), k.dtype)
                keys = torch.cat([prefix_k, keys_for_scores(k)], dim=-1)
                values = torch.cat([prefix_v, values_for_mix(v)], dim=2)
                bias = plan.bias
            else:
                q = apply_rope_rotation(attn.q_proj(x).view(shape), plan.cross_rotation)
                keys, values = plan.prefix(i, cache.cross[i], cache.cross[i][0].dtype)
                bias = plan.cross_bias
            attended = gqa_attention_prepared(q, keys, values, bias, scale)
            suffix = self._finish(expert_layer, suffix, attended)
        return self.lm_expert.norm(suffix)
