"""One measurement of tools/bench/policies.py, run in its own process (so peak RSS is its own).

Runs under our interpreter (``--side ours``) or a LeRobot peer interpreter (``--side peer``);
both build the same config, load the same weights and inputs from ``--workdir`` and print one
``RESULT {json}`` line. Not imported by anything; see policies.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

import torch

IMAGE = "observation.images.front"


def _act_features(side: str):  # type: ignore[no-untyped-def]
    spec_in = {"observation.state": ("STATE", (6,)), IMAGE: ("VISUAL", (3, 480, 640))}
    spec_out = {"action": ("ACTION", (6,))}
    return _features(side, spec_in), _features(side, spec_out)


def _diffusion_features(side: str):  # type: ignore[no-untyped-def]
    spec_in = {"observation.state": ("STATE", (2,)), IMAGE: ("VISUAL", (3, 96, 96))}
    return _features(side, spec_in), _features(side, {"action": ("ACTION", (2,))})


def _features(side: str, spec):  # type: ignore[no-untyped-def]
    if side == "peer":
        from lerobot.configs.types import FeatureType, PolicyFeature
    else:
        from lr_core.features import FeatureType, PolicyFeature
    return {k: PolicyFeature(type=FeatureType[t], shape=s) for k, (t, s) in spec.items()}


def build(side: str, kind: str):  # type: ignore[no-untyped-def]
    """The default-config policy of ``kind`` (no pretrained download), randomly initialised."""
    if kind == "act":
        inputs, outputs = _act_features(side)
        kw = {"input_features": inputs, "output_features": outputs}
        kw["pretrained_backbone_weights"] = None
        if side == "peer":
            from lerobot.policies.act.configuration_act import ACTConfig
            from lerobot.policies.act.modeling_act import ACTPolicy

            return ACTPolicy(ACTConfig(device="cpu", **kw))
        from lr_policies.act import ACTConfig, ACTPolicy

        return ACTPolicy(ACTConfig(device="cpu", **kw))
    inputs, outputs = _diffusion_features(side)
    kw = {"input_features": inputs, "output_features": outputs}
    kw |= {"pretrained_backbone_weights": None, "num_inference_steps": 10}
    if side == "peer":
        from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
        from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

        return DiffusionPolicy(DiffusionConfig(device="cpu", **kw))
    from lr_policies.diffusion import DiffusionConfig, DiffusionPolicy

    return DiffusionPolicy(DiffusionConfig(device="cpu", **kw))


def make_inputs(kind: str) -> dict[str, torch.Tensor]:
    """Deterministic inputs (written by our side, read by both)."""
    g = torch.Generator().manual_seed(0)
    if kind == "act":
        return {
            "observation.state": torch.randn(1, 6, generator=g),
            IMAGE: torch.randn(1, 3, 480, 640, generator=g),
        }
    if kind == "act_train":
        is_pad = torch.zeros(8, 100, dtype=torch.bool)
        is_pad[:, 90:] = True
        return {
            "observation.state": torch.randn(8, 6, generator=g),
            IMAGE: torch.randn(8, 3, 480, 640, generator=g),
            "action": torch.randn(8, 100, 6, generator=g),
            "action_is_pad": is_pad,
        }
    return {
        "observation.state": torch.randn(1, 2, 2, generator=g),
        IMAGE: torch.rand(1, 2, 3, 96, 96, generator=g),
        "noise": torch.randn(1, 64, 2, generator=g),
    }


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", choices=["ours", "peer"], required=True)
    parser.add_argument("--case", choices=["act_infer", "act_train", "diffusion"], required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from safetensors.torch import load_file, save_file

    kind = "act" if args.case.startswith("act") else "diffusion"
    weights = args.workdir / f"{kind}_weights.safetensors"
    torch.manual_seed(0)
    policy = build(args.side, kind)
    if args.side == "ours" and not weights.exists():
        from safetensors.torch import save_model

        save_model(policy, str(weights))
    missing, unexpected = policy.load_state_dict(load_file(str(weights)), strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    assert not missing and not unexpected, (missing, unexpected)
    n_params = sum(p.numel() for p in policy.parameters())

    data_kind = "act_train" if args.case == "act_train" else kind
    inputs_file = args.workdir / f"{data_kind}_inputs.safetensors"
    if args.side == "ours" and not inputs_file.exists():
        save_file(make_inputs(data_kind), str(inputs_file))
    batch = load_file(str(inputs_file))
    times: list[float] = []
    cpu_times: list[float] = []
    result: dict = {"side": args.side, "case": args.case, "params": n_params}

    if args.case == "act_train":
        policy.train()
        optim = torch.optim.AdamW(policy.get_optim_params(), lr=1e-5, weight_decay=1e-4)
        for i in range(args.warmup + args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            loss, _ = policy.forward(dict(batch))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 10.0)
            optim.step()
            optim.zero_grad(set_to_none=True)
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
                cpu_times.append(time.process_time() - c0)
    else:
        policy.eval()
        noise = batch.pop("noise", None)
        out = None
        for i in range(args.warmup + args.repeat):
            policy.reset()
            torch.manual_seed(1)
            t0, c0 = time.perf_counter(), time.process_time()
            with torch.inference_mode():
                if kind == "act":
                    out = policy.predict_action_chunk(dict(batch))
                else:
                    out = policy.predict_action_chunk(dict(batch), noise=noise)
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
                cpu_times.append(time.process_time() - c0)
        assert out is not None
        out_file = args.workdir / f"{args.case}_{args.side}.safetensors"
        save_file({"out": out.contiguous()}, str(out_file))
    result["median_s"] = statistics.median(times)
    result["times_s"] = times
    result["cpu_times_s"] = cpu_times
    result["peak_rss_mib"] = _peak_rss_mib()
    result["torch"] = torch.__version__
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
