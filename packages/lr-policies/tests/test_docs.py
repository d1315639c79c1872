"""The training recipe and the serving snippet of docs/policies.md run as written, and stay
under 100 and 40 lines of code."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lr_policies import PreTrainedPolicy

DOC = Path(__file__).resolve().parents[3] / "docs" / "policies.md"
SMALL_ACT = {
    "chunk_size": 4,
    "n_action_steps": 4,
    "dim_model": 32,
    "n_heads": 2,
    "dim_feedforward": 64,
    "n_encoder_layers": 1,
    "n_vae_encoder_layers": 1,
    "latent_dim": 8,
    "pretrained_backbone_weights": None,
}


def snippet(name: str) -> str:
    match = re.search(rf"<!-- test: {name} -->\n```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match, f"docs/policies.md has no snippet {name!r}"
    return match.group(1)


def lines_of_code(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip() and not line.strip().startswith("#"))


def load(name: str) -> dict:
    namespace: dict = {"__name__": f"docs_{name}"}
    exec(compile(snippet(name), f"docs/policies.md:{name}", "exec"), namespace)
    return namespace


def test_recipe_and_serving_snippet_run(lerobot_dataset_root, tmp_path, capsys):
    assert lines_of_code(snippet("recipe")) < 100
    assert lines_of_code(snippet("serve")) < 40

    recipe = load("recipe")
    out = recipe["train_policy"](
        "test/synthetic",
        root=str(lerobot_dataset_root),
        output_dir=str(tmp_path / "act"),
        steps=3,
        batch_size=2,
        lr=1e-3,
        device="cpu",
        **SMALL_ACT,
    )
    assert "step 3: loss" in capsys.readouterr().out
    assert PreTrainedPolicy.from_pretrained(out).config.chunk_size == 4

    from lr_dataset import LeRobotDataset

    frames = LeRobotDataset("test/synthetic", root=lerobot_dataset_root)
    feed = iter(range(6))

    def get_observation():
        item = frames[next(feed)]
        image = (item["observation.images.front"] * 255).round().byte().permute(1, 2, 0)
        return {
            "observation.state": item["observation.state"].numpy(),
            "observation.images.front": image.numpy(),
        }

    sent: list[np.ndarray] = []
    load("serve")["serve"](out, get_observation, sent.append, steps=6)
    assert len(sent) == 6 and all(a.shape == (2,) and np.isfinite(a).all() for a in sent)
