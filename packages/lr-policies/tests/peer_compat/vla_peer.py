"""Drive LeRobot 0.6.1's SmolVLA / π0 / π0.5 for lr's peer tests (run with the peer's python).

    python vla_peer.py SPEC.json

SPEC: ``{"mode": "create" | "load", "assets": DIR, "cases": [{"name", "type", "dir", "config",
"inputs"}]}``. ``create``: LeRobot builds the policy from ``config`` (seeded), writes it and its
processors into ``dir``; ``load``: LeRobot loads ``dir`` (written by lr). Either way it then runs
``inputs`` (raw batch + noise/time + RTC leftover) through its processors and policy and writes
``<dir>/peer_out.safetensors``: tokens, normalised state, loss, chunks (with and without RTC
guidance) and the post-processed chunk.

π0 / π0.5 are shrunk here the way lr's tests shrink them (assets.TINY_*), since LeRobot hard-codes
the Gemma variants; the PaliGemma tokenizer comes from a local Hugging Face cache (HF_HOME).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

HERE = Path(__file__).resolve().parent


def _assets():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("vla_assets", HERE.parent / "vla" / "assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


A = _assets()


def shrink_pi() -> None:
    """Make LeRobot's π0 / π0.5 build the tiny architecture lr's tests use."""
    from lerobot.policies import pi_gemma
    from lerobot.policies.pi0 import modeling_pi0
    from lerobot.policies.pi05 import modeling_pi05

    def gemma_config(variant):  # type: ignore[no-untyped-def]
        return modeling_pi0.GemmaConfig(**A.TINY_GEMMA[variant])

    class TinyPaliGemma(pi_gemma.PaliGemmaForConditionalGenerationWithPiGemma):
        def __init__(self, config):  # type: ignore[no-untyped-def]
            vision = config.vision_config
            for key, value in A.TINY_SIGLIP.items():
                setattr(vision, key, value)
            vision.projection_dim = config.text_config.hidden_size
            config.projection_dim = config.text_config.hidden_size
            config.text_config.vocab_size = A.TINY_VOCAB
            config._vocab_size = A.TINY_VOCAB
            config.image_token_index = A.TINY_VOCAB - 1
            super().__init__(config)

    class TinyExpert(pi_gemma.PiGemmaForCausalLM):
        def __init__(self, config):  # type: ignore[no-untyped-def]
            config.vocab_size = A.TINY_VOCAB
            super().__init__(config)

    for module in (modeling_pi0, modeling_pi05):
        module.get_gemma_config = gemma_config
        module.PaliGemmaForConditionalGenerationWithPiGemma = TinyPaliGemma
        module.PiGemmaForCausalLM = TinyExpert


def policy_class(kind: str):  # type: ignore[no-untyped-def]
    if kind == "smolvla":
        from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

        return SmolVLAPolicy
    if kind == "pi0":
        from lerobot.policies.pi0.modeling_pi0 import PI0Policy

        return PI0Policy
    from lerobot.policies.pi05.modeling_pi05 import PI05Policy

    return PI05Policy


def make_processors(kind: str, config, stats):  # type: ignore[no-untyped-def]
    if kind == "smolvla":
        from lerobot.policies.smolvla.processor_smolvla import make_smolvla_pre_post_processors

        return make_smolvla_pre_post_processors(config, stats)
    if kind == "pi0":
        from lerobot.policies.pi0.processor_pi0 import make_pi0_pre_post_processors

        return make_pi0_pre_post_processors(config, stats)
    from lerobot.policies.pi05.processor_pi05 import make_pi05_pre_post_processors

    return make_pi05_pre_post_processors(config, stats)


def lerobot_config(case: dict):  # type: ignore[no-untyped-def]
    from lerobot.configs.policies import PreTrainedConfig

    data = dict(case["config"])
    kind = data.pop("type")
    config_cls = PreTrainedConfig.get_choice_class(kind)
    import draccus

    return draccus.decode(config_cls, data)


def run(case: dict, policy, pre, post) -> dict[str, torch.Tensor]:  # type: ignore[no-untyped-def]
    io = load_file(case["inputs"])
    raw = {k[4:]: v for k, v in io.items() if k.startswith("raw.")}
    raw["task"] = list(case["tasks"])
    batch = pre(raw)
    out = {
        "tokens": batch["observation.language.tokens"].to(torch.int64),
        "token_mask": batch["observation.language.attention_mask"].to(torch.int64),
        "state": batch["observation.state"],
        "action": batch["action"],
    }
    noise, time = io["noise"], io["time"]
    policy.eval()
    if case["type"] == "smolvla":
        loss, _ = policy.forward(dict(batch), noise=noise, time=time)
    else:
        policy.model.sample_noise = lambda shape, device: noise
        policy.model.sample_time = lambda bsize, device: time
        loss, _ = policy.forward(dict(batch))
    out["loss"] = loss.detach().reshape(1)
    obs = {k: v for k, v in batch.items() if k.startswith("observation")}
    chunk = policy.predict_action_chunk(dict(obs), noise=noise)
    out["chunk"] = chunk
    out["post"] = post(chunk)
    if "rtc_prev" in io:
        out["chunk_rtc"] = policy.predict_action_chunk(
            dict(obs),
            noise=noise,
            prev_chunk_left_over=io["rtc_prev"],
            inference_delay=int(case["rtc_delay"]),
            execution_horizon=case.get("rtc_horizon"),
        )
    return {k: v.detach().contiguous() for k, v in out.items()}


def shapes(spec: dict) -> None:
    """Full-size policies built on the meta device: every state-dict name and shape."""
    out = {}
    for case in spec["cases"]:
        cls = policy_class(case["type"])  # registers the config class
        config = lerobot_config(case)
        with torch.device("meta"):
            if case["type"] != "smolvla":
                # PI0Policy moves itself to config.device; a meta model cannot be copied.
                config.device = "meta"
            policy = cls(config)
        out[case["type"]] = {k: list(v.shape) for k, v in policy.state_dict().items()}
    Path(spec["out"]).write_text(json.dumps(out))


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    torch.set_num_threads(1)
    if spec["mode"] == "shapes":
        shapes(spec)
        print("ok")
        return
    if any(c["type"] in ("pi0", "pi05") for c in spec["cases"]):
        shrink_pi()
    from lerobot.processor import PolicyProcessorPipeline
    from lerobot.processor.converters import (
        policy_action_to_transition,
        transition_to_policy_action,
    )

    for case in spec["cases"]:
        folder = Path(case["dir"])
        cls = policy_class(case["type"])
        if spec["mode"] == "create":
            torch.manual_seed(case.get("seed", 0))
            config = lerobot_config(case)
            policy = cls(config)
            stats = {
                k: {n: torch.tensor(v) for n, v in sub.items()} for k, sub in case["stats"].items()
            }
            pre, post = make_processors(case["type"], config, stats)
            folder.mkdir(parents=True, exist_ok=True)
            policy.save_pretrained(folder)
            pre.save_pretrained(folder)
            post.save_pretrained(folder)
        # The reference is what LeRobot gives for the folder (reloaded even when just written: its
        # π0 loader copies lm_head into the untied token embedding, so a fresh model differs).
        policy = cls.from_pretrained(str(folder))
        pre = PolicyProcessorPipeline.from_pretrained(
            str(folder), config_filename="policy_preprocessor.json"
        )
        post = PolicyProcessorPipeline.from_pretrained(
            str(folder),
            config_filename="policy_postprocessor.json",
            to_transition=policy_action_to_transition,
            to_output=transition_to_policy_action,
        )
        save_file(run(case, policy, pre, post), str(folder / "peer_out.safetensors"))
    print("ok")


if __name__ == "__main__":
    main()
