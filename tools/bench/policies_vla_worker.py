"""One VLA measurement of tools/bench/policies.py, in its own process (its peak RSS is its own).

``--side ours`` or ``--side peer`` (LeRobot 0.6.1's venv) builds the full-size default SmolVLA
(SmolVLM2-500M cut to 16 layers + expert) or π0 (PaliGemma 3B + Gemma 300M), randomly
initialised, one 3×512×512 camera (224×224 for π0, its input size), 6-d state → 6-d actions,
and times ``predict_action_chunk`` (10 flow steps, batch 1) on the same pre-tokenised inputs
and noise. SmolVLA's weights are written by our side and loaded by both (so the chunks can be
compared); π0's 14 GB are not shared (each side initialises its own; no chunk comparison).
``--bf16``: ours under ``torch.autocast("cpu", torch.bfloat16)``; ``--exact``: ours with
``LR_ONEDNN=0``, so its float32 Linears (which run on oneDNN by default: SmolVLA's SigLIP tower,
connector and projections, π0 in float32) take torch's own kernels, as LeRobot's do. Prints one
``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

import torch

IMAGE = "observation.images.front"


def _features(side: str, image: int):  # type: ignore[no-untyped-def]
    if side == "peer":
        from lerobot.configs.types import FeatureType, PolicyFeature
    else:
        from lr_core.features import FeatureType, PolicyFeature
    inputs = {
        "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(6,)),
        IMAGE: PolicyFeature(type=FeatureType.VISUAL, shape=(3, image, image)),
    }
    return inputs, {"action": PolicyFeature(type=FeatureType.ACTION, shape=(6,))}


def build(side: str, kind: str):  # type: ignore[no-untyped-def]
    image = 512 if kind == "smolvla" else 224
    inputs, outputs = _features(side, image)
    kw = {"input_features": inputs, "output_features": outputs, "device": "cpu"}
    if side == "peer":
        if kind == "smolvla":
            from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
            from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

            return SmolVLAPolicy(SmolVLAConfig(**kw))
        from lerobot.policies.pi0.configuration_pi0 import PI0Config
        from lerobot.policies.pi0.modeling_pi0 import PI0Policy

        return PI0Policy(PI0Config(**kw))
    if kind == "smolvla":
        from lr_policies.smolvla import SmolVLAConfig, SmolVLAPolicy

        return SmolVLAPolicy(SmolVLAConfig(**kw))
    from lr_policies.pi0 import PI0Config, PI0Policy

    return PI0Policy(PI0Config(**kw))


def make_inputs(kind: str) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    image = 512 if kind == "smolvla" else 224
    n_tokens, vocab = (16, 49152) if kind == "smolvla" else (48, 250_000)
    mask = torch.ones(1, n_tokens, dtype=torch.bool)
    if kind == "pi0":
        mask[:, 20:] = False  # π0 pads the prompt to 48 tokens
    return {
        "observation.state": torch.randn(1, 6, generator=g),
        IMAGE: torch.rand(1, 3, image, image, generator=g),
        "observation.language.tokens": torch.randint(0, vocab, (1, n_tokens), generator=g),
        "observation.language.attention_mask": mask,
        "noise": torch.randn(1, 50, 32, generator=g),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", choices=["ours", "peer"], required=True)
    parser.add_argument("--kind", choices=["smolvla", "pi0"], required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bf16", action="store_true")
    parser.add_argument("--exact", action="store_true")
    args = parser.parse_args()
    if args.exact:
        os.environ["LR_ONEDNN"] = "0"  # read by lr_policies.layers.linear at the first product
    torch.set_num_threads(args.threads)
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    t_build = time.perf_counter()
    policy = build(args.side, args.kind)
    build_s = time.perf_counter() - t_build
    if args.kind == "smolvla":
        weights = args.workdir / "smolvla_weights.safetensors"
        if args.side == "ours" and not weights.exists():
            from safetensors.torch import save_model

            save_model(policy, str(weights))
        missing, unexpected = policy.load_state_dict(load_file(str(weights)), strict=False)
        assert not missing and not unexpected, (missing, unexpected)
    n_params = sum(p.numel() for p in policy.parameters())
    inputs_file = args.workdir / f"{args.kind}_inputs.safetensors"
    if args.side == "ours" and not inputs_file.exists():
        save_file(make_inputs(args.kind), str(inputs_file))
    batch = load_file(str(inputs_file))
    noise = batch.pop("noise")
    policy.eval()
    times: list[float] = []
    cpu_times: list[float] = []
    out = None
    for i in range(args.warmup + args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=args.bf16):
            out = policy.predict_action_chunk(dict(batch), noise=noise)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
    assert out is not None
    variant = ("_bf16" if args.bf16 else "") + ("_exact" if args.exact else "")
    tag = f"{args.kind}_{args.side}{variant}"
    save_file({"out": out.float().contiguous()}, str(args.workdir / f"{tag}.safetensors"))
    result = {
        "side": args.side,
        "case": args.kind + variant,
        "params": n_params,
        "build_s": build_s,
        "median_s": statistics.median(times),
        "times_s": times,
        "cpu_times_s": cpu_times,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__,
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
