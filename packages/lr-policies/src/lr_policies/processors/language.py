"""Language steps of the VLA pre-processors: the task string made to end with a newline, and
tokenised into ``observation.language.tokens`` / ``observation.language.attention_mask``.

Registry names and configs are LeRobot 0.6.1's (``tokenizer_processor``,
``smolvla_new_line_processor``, ``pi0_new_line_processor``), so the processor files of a SmolVLA
or π0 checkpoint load in either tool. Tokenisation uses ``transformers.AutoTokenizer`` (the
``vla`` extra), as LeRobot does, so the same text gives the same token ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor

from lr_core.errors import ConfigError
from lr_policies.flow_config import OBS_LANGUAGE_ATTENTION_MASK, OBS_LANGUAGE_TOKENS
from lr_policies.processors.pipeline import Batch, ProcessorStep, register_step


def task_list(batch: Mapping[str, Any], key: str = "task") -> list[str]:
    """The batch's task strings as a list (one per sample); raises when absent."""
    task = batch.get(key)
    if isinstance(task, str):
        return [task]
    if isinstance(task, (list, tuple)) and all(isinstance(t, str) for t in task):
        return list(task)
    raise ConfigError(
        f"the batch has no {key!r} string (or list of strings), which a VLA needs as its "
        f"instruction; got {type(task).__name__}. Record datasets with a task, or pass "
        f"batch[{key!r}] = 'pick up the cube' at inference"
    )


@register_step
class NewLineTaskStep(ProcessorStep):
    """Append ``"\\n"`` to the task (string or list of strings) unless it already ends with one
    (PaliGemma-style prompts end with a newline). No-op when the batch has no task."""

    registry_name: ClassVar[str] = "smolvla_new_line_processor"

    def __call__(self, batch: Batch) -> Batch:
        task = batch.get("task")
        if task is None:
            return dict(batch)
        out = dict(batch)
        if isinstance(task, str):
            out["task"] = task if task.endswith("\n") else f"{task}\n"
        elif isinstance(task, (list, tuple)) and all(isinstance(t, str) for t in task):
            out["task"] = [t if t.endswith("\n") else f"{t}\n" for t in task]
        return out


@register_step
class Pi0NewLineStep(NewLineTaskStep):
    """:class:`NewLineTaskStep` under π0's registry name."""

    registry_name: ClassVar[str] = "pi0_new_line_processor"


def load_tokenizer(name: str) -> Any:
    """``transformers.AutoTokenizer.from_pretrained(name)`` with errors that say what to do."""
    try:
        from transformers import AutoTokenizer
    except ImportError as exc:
        raise ConfigError(
            "tokenising the task needs transformers: pip install 'lr-policies[vla]'"
        ) from exc
    try:
        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot load the tokenizer {name!r}: {exc}. Without the Hub, point tokenizer_name "
            "in policy_preprocessor.json (step tokenizer_processor) at a local folder holding "
            "tokenizer.json and tokenizer_config.json, or fill the Hugging Face cache on a "
            "machine with access (huggingface-cli download <repo> --include 'tokenizer*')"
        ) from exc


@register_step
class TokenizerStep(ProcessorStep):
    """Tokenise ``batch[task_key]`` into ``observation.language.tokens`` (B, L) int64 and
    ``observation.language.attention_mask`` (B, L) bool, on the device of the batch's tensors.

    ``padding``: ``"max_length"`` (always ``max_length`` tokens) or ``"longest"`` (the longest
    task in the batch); longer tasks are cut to ``max_length`` when ``truncation``.
    """

    registry_name: ClassVar[str] = "tokenizer_processor"

    def __init__(
        self,
        tokenizer_name: str | None = None,
        max_length: int = 512,
        task_key: str = "task",
        padding_side: str = "right",
        padding: str = "max_length",
        truncation: bool = True,
        tokenizer: Any = None,
    ) -> None:
        if tokenizer is None and tokenizer_name is None:
            raise ConfigError("tokenizer_processor needs a tokenizer_name (or a tokenizer)")
        if padding_side not in ("left", "right"):
            raise ConfigError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
        self.tokenizer_name = tokenizer_name
        self.max_length = int(max_length)
        self.task_key = task_key
        self.padding_side = padding_side
        self.padding = padding
        self.truncation = bool(truncation)
        self._given = tokenizer is not None
        self.tokenizer = tokenizer if tokenizer is not None else load_tokenizer(tokenizer_name)

    def tokenize(self, tasks: list[str]) -> tuple[Tensor, Tensor]:
        """Token ids (B, L) and the attention mask (B, L) bool of ``tasks``."""
        encoded = self.tokenizer(
            tasks,
            max_length=self.max_length,
            truncation=self.truncation,
            padding=self.padding,
            padding_side=self.padding_side,
            return_tensors="pt",
        )
        return encoded["input_ids"], encoded["attention_mask"].to(torch.bool)

    def __call__(self, batch: Batch) -> Batch:
        tokens, mask = self.tokenize(task_list(batch, self.task_key))
        device = next(
            (
                v.device
                for k, v in batch.items()
                if k.startswith("observation") and isinstance(v, Tensor)
            ),
            None,
        )
        if device is not None:
            tokens, mask = tokens.to(device), mask.to(device)
        out = dict(batch)
        out[OBS_LANGUAGE_TOKENS] = tokens
        out[OBS_LANGUAGE_ATTENTION_MASK] = mask
        return out

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "max_length": self.max_length,
            "task_key": self.task_key,
            "padding_side": self.padding_side,
            "padding": self.padding,
            "truncation": self.truncation,
        }
        if self.tokenizer_name is not None and not self._given:
            config["tokenizer_name"] = self.tokenizer_name
        return config
