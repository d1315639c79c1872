"""π0.5 (Physical Intelligence, 2025, https://arxiv.org/abs/2504.16054), LeRobot-compatible.

Compatibility contract: LeRobot 0.6.1's ``PI05Policy`` parameter names (π0's, without
``state_proj``, with ``time_mlp_in``/``time_mlp_out`` and the expert's adaptive norms
``gemma_expert.model.layers.0.input_layernorm.dense.weight``); tested to 1e-4 against LeRobot on
small configs.

Differences from π0 (:mod:`lr_policies.pi0.model`): the state is not a token, it is written into
the prompt by the pre-processor (256-bin discretisation); the suffix is the T action tokens
alone; the flow time goes through an MLP (SiLU after each layer) whose output conditions the
expert's RMS norms (scale, shift and a residual gate):

    time t ─sin/cos(E)─▶ time_mlp_in ─SiLU─▶ time_mlp_out ─SiLU─▶ cond (B,E) ─▶ every expert norm
    x_t (B,T,A_pad) ─action_in_proj─▶ suffix (B,T,E)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lr_policies.layers.flow_matching import time_embedding
from lr_policies.pi0.model import PI0FlowMatching, PI0Policy
from lr_policies.pi05.config import PI05Config


class PI05Policy(PI0Policy):
    """π0.5 policy (batches as :class:`~lr_policies.pi0.model.PI0Policy`'s; the state is read
    by the pre-processor, not by the model)."""

    config_class = PI05Config  # type: ignore[assignment]
    name = "pi05"
    uses_state_token = False

    def build_model(self, config: PI05Config) -> nn.Module:  # type: ignore[override]
        return PI05FlowMatching(config)


class PI05FlowMatching(PI0FlowMatching):
    """LeRobot's ``PI05Pytorch``: adaptive expert norms conditioned on the time MLP."""

    expert_adarms = True

    def build_time_layers(self, config: PI05Config, width: int) -> None:  # type: ignore[override]
        self.time_mlp_in = nn.Linear(width, width)
        self.time_mlp_out = nn.Linear(width, width)

    def embed_suffix(
        self, state: Tensor | None, x_t: Tensor, time: Tensor
    ) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """Suffix (B, T, E) of action tokens, padding mask, block starts [1 0…0], and the time
        condition (B, E) of the expert's norms."""
        t_emb = time_embedding(
            time, self.action_in_proj.out_features, self.config.min_period, self.config.max_period
        )
        t_emb = t_emb.to(time.dtype)
        action_emb = self.action_in_proj(x_t)
        cond = F.silu(self.time_mlp_out(F.silu(self.time_mlp_in(t_emb))))
        b, n = action_emb.shape[:2]
        pad = torch.ones(b, n, dtype=torch.bool, device=action_emb.device)
        ar = torch.zeros(b, n, dtype=action_emb.dtype, device=action_emb.device)
        ar[:, 0] = 1
        return action_emb, pad, ar, cond
