"""Which SmolVLM architecture ``vlm_model_name`` names, without the network when possible.

LeRobot calls ``AutoConfig.from_pretrained(vlm_model_name)``, which needs the Hub (or its cache).
lr resolves the name in this order:

1. a local folder holding ``config.json`` (a VLM, or a tiny one made for tests);
2. a name whose ``config.json`` ships with lr (``vlm_configs/<repo name>.json``): the published
   config of ``HuggingFaceTB/SmolVLM2-500M-Video-Instruct`` (text: 32 Llama layers, width 960,
   15 heads / 5 KV heads of 64, MLP 2560, vocabulary 49280; vision: SigLIP-B/16 at 512 px,
   12 layers of 768; pixel-shuffle scale 4 → 64 tokens per image);
3. the Hub (or the Hugging Face cache), as LeRobot.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from lr_core.errors import ConfigError

_SHIPPED = "vlm_configs"


def shipped_config(name: str) -> dict[str, Any] | None:
    """The ``config.json`` lr ships for Hub id ``name`` (``owner/repo``), or ``None``."""
    repo = name.rstrip("/").rsplit("/", 1)[-1]
    file = resources.files("lr_policies.smolvla").joinpath(_SHIPPED, f"{repo}.json")
    if not file.is_file():
        return None
    return json.loads(file.read_text())


def smolvlm_config(name: str) -> Any:
    """A ``transformers.SmolVLMConfig`` for ``name`` (a local folder, a shipped config or the
    Hub); raises :class:`ConfigError` naming the options when none is reachable."""
    from transformers import AutoConfig, SmolVLMConfig

    folder = Path(name).expanduser()
    if (folder / "config.json").is_file():
        return AutoConfig.from_pretrained(str(folder))
    shipped = shipped_config(name)
    if shipped is not None:
        return SmolVLMConfig(**{k: v for k, v in shipped.items() if k != "model_type"})
    try:
        return AutoConfig.from_pretrained(name)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"vlm_model_name {name!r} is neither a local folder with config.json nor a VLM whose "
            f"config ships with lr, and the Hub cannot be reached: {exc}"
        ) from exc


def tokenizer_source(name: str) -> str:
    """Where the VLM's tokenizer loads from: the folder itself, else the Hub id (cached)."""
    folder = Path(name).expanduser()
    return str(folder) if folder.is_dir() else name
