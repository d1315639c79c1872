"""The VLA pre-processor steps: task newline, tokenisation, π0.5's state prompt, relative
actions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lr_core.errors import ConfigError
from lr_policies.pi05.processor import Pi05StatePromptStep, state_prompt
from lr_policies.processors.language import NewLineTaskStep, TokenizerStep
from lr_policies.processors.relative_actions import AbsoluteActionsStep, RelativeActionsStep


def test_newline_is_added_once() -> None:
    step = NewLineTaskStep()
    assert step({"task": "pick"})["task"] == "pick\n"
    assert step({"task": ["a", "b\n"]})["task"] == ["a\n", "b\n"]
    assert step({"x": 1}) == {"x": 1}


def test_tokenizer_pads_and_truncates(vla_assets) -> None:  # type: ignore[no-untyped-def]
    step = TokenizerStep(str(vla_assets["paligemma_tokenizer"]), max_length=8, padding="max_length")
    out = step(
        {
            "task": ["pick up the red cube and put it in the box", "push"],
            "observation.state": torch.zeros(2, 3),
        }
    )
    tokens, mask = out["observation.language.tokens"], out["observation.language.attention_mask"]
    assert tokens.shape == (2, 8) and mask.dtype == torch.bool
    assert mask[0].all() and not mask[1].all()  # truncated vs right-padded
    longest = TokenizerStep(str(vla_assets["smolvlm"]), max_length=48, padding="longest")
    short = longest({"task": ["push", "push the blue block"]})["observation.language.tokens"]
    assert short.shape[1] < 48
    with pytest.raises(ConfigError, match="task"):
        step({"observation.state": torch.zeros(1, 3)})
    with pytest.raises(ConfigError, match="local folder"):
        TokenizerStep("/nonexistent/tokenizer")


def test_pi05_state_prompt_discretises_into_256_bins() -> None:
    prompt = state_prompt(" pick_up\n", np.array([-1.0, 0.0, 0.999, 1.0], dtype=np.float32))
    assert prompt == "Task: pick up, State: 0 128 255 255;\nAction: "
    out = Pi05StatePromptStep()({"task": ["a", "b"], "observation.state": torch.zeros(2, 2)})
    assert out["task"] == [f"Task: {t}, State: 128 128;\nAction: " for t in "ab"]


def test_relative_actions_round_trip() -> None:
    rel = RelativeActionsStep(
        enabled=True, exclude_joints=["gripper"], action_names=["a", "b", "gripper"]
    )
    state = torch.tensor([[1.0, 2.0, 3.0]])
    action = torch.tensor([[[2.0, 2.0, 5.0], [3.0, 4.0, 6.0]]])
    out = rel({"observation.state": state, "action": action})
    torch.testing.assert_close(out["action"], torch.tensor([[[1.0, 0.0, 5.0], [2.0, 2.0, 6.0]]]))
    back = AbsoluteActionsStep(enabled=True, relative_step=rel)({"action": out["action"]})
    torch.testing.assert_close(back["action"], action)
