"""Policies benchmark: ACT and Diffusion Policy, ours vs LeRobot 0.6.1, same run, same weights.

    uv run python tools/bench/policies.py [--rounds N] [--quick]

CPU, ``torch.set_num_threads(2)``, float32, batch 1 for inference. Each measurement runs in a
fresh process (tools/bench/policies_worker.py) so its peak RSS is its own; ours and the peer's
alternate, and the figures are medians over all timed repetitions of all rounds.

- ACT, default config, one 3×480×640 camera + 6-d state → 6-d actions: parameter count,
  ``predict_action_chunk`` latency (100×6 chunk) with identical weights and inputs on both
  sides (max abs difference of the chunks printed), one training step at batch 8
  (forward + backward + grad-norm clip 10 + AdamW), peak RSS.
- Diffusion Policy, default config (96×96 camera + 2-d state, horizon 64), 10 DDPM steps,
  same weights, same initial noise and seed: latency and max abs difference.
- SmolVLA (``--cases smolvla``), full size (SmolVLM2-500M cut to 16 layers + expert, 450M
  parameters), random init, one 3×512×512 camera, 10 flow steps, batch 1, pre-tokenised task:
  chunk latency, peak RSS and max abs difference on shared weights
  (tools/bench/policies_vla_worker.py). Both sides run LeRobot's precisions (vision tower
  float32; text model and expert bfloat16, as SmolVLM2's config builds them). ``smolvla_bf16``:
  ours with the whole model under ``torch.autocast("cpu", bfloat16)``, its difference from our
  float32 chunk printed as the accuracy cost. Ours runs its float32 Linears (SigLIP tower,
  connector, projections) on oneDNN by default (``lr_policies.layers.linear``);
  ``smolvla_exact``: ours with ``LR_ONEDNN=0`` (torch's BLAS kernels, LeRobot's bits), its
  difference from our default chunk and from LeRobot's printed.
- π0 (``--cases pi0``), full size (3.5B parameters, ~14 GB in float32), one 224×224 camera:
  latency and peak RSS, each side with its own random weights (not shared: 14 GB).
  LeRobot reads SmolVLM2's config from the Hub cache: the benchmark fills a private cache with
  lr's shipped copy of the published config and a small tokenizer (nothing is downloaded).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKER = HERE / "policies_worker.py"

CASES = {
    "act_infer": {"warmup": 3, "repeat": 20, "quick": 5},
    "act_train": {"warmup": 2, "repeat": 5, "quick": 2},
    "diffusion": {"warmup": 2, "repeat": 10, "quick": 3},
    "smolvla": {"warmup": 1, "repeat": 5, "quick": 2},
    "smolvla_bf16": {"warmup": 1, "repeat": 5, "quick": 2},
    "smolvla_exact": {"warmup": 1, "repeat": 5, "quick": 2},
    "pi0": {"warmup": 1, "repeat": 3, "quick": 1},
}
GOALS = {"act_infer": 0.6, "act_train": 0.8, "diffusion": 0.6, "smolvla": 0.6, "pi0": 1.0}
DEFAULT_CASES = "act_infer,act_train,diffusion"
VLA = {"smolvla", "smolvla_bf16", "smolvla_exact", "pi0"}
#: Ours-only variants of a VLA case: the worker flag each adds.
VARIANTS = {"_bf16": "--bf16", "_exact": "--exact"}
VLA_WORKER = HERE / "policies_vla_worker.py"
SMOLVLM2 = "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"


def _peer_python() -> Path | None:
    spec = importlib.util.spec_from_file_location("lr_peer_locate", REPO / "tools/peer/locate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python("0.6.1")


def _smolvlm2_cache(workdir: Path, peer: Path) -> dict[str, str]:
    """A private Hugging Face cache holding SmolVLM2-500M's config.json (lr's shipped copy of the
    published one) and a small tokenizer/processor, for LeRobot's ``AutoConfig`` /
    ``AutoProcessor.from_pretrained`` calls; returns the environment that points at it."""
    sys.path.insert(0, str(REPO / "packages/lr-policies/src"))
    from lr_policies.smolvla.vlm_config import shipped_config

    repo = workdir / "hf/hub" / ("models--" + SMOLVLM2.replace("/", "--"))
    snapshot = repo / "snapshots" / ("0" * 40)
    assets = REPO / "packages/lr-policies/tests/vla/assets.py"
    script = (
        f"import importlib.util as u;s=u.spec_from_file_location('a',{str(assets)!r});"
        f"m=u.module_from_spec(s);s.loader.exec_module(m);m.make_smolvlm({str(snapshot)!r})"
    )
    subprocess.run([str(peer), "-c", script], check=True, capture_output=True)
    (snapshot / "config.json").write_text(json.dumps(shipped_config(SMOLVLM2)))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs/main").write_text("0" * 40)
    return {"HF_HOME": str(workdir / "hf"), "HF_HUB_OFFLINE": "1"}


def _run(
    python: str,
    side: str,
    case: str,
    workdir: Path,
    quick: bool,
    threads: int,
    env: dict[str, str] | None = None,
) -> dict:
    params = CASES[case]
    repeat = params["quick"] if quick else params["repeat"]
    if case in VLA:
        kind, flags = case, []
        for suffix, flag in VARIANTS.items():
            if case.endswith(suffix):
                kind, flags = case.removesuffix(suffix), [flag]
        cmd = [python, str(VLA_WORKER), "--side", side, "--kind", kind]
        cmd += ["--workdir", str(workdir), *flags]
    else:
        cmd = [python, str(WORKER), "--side", side, "--case", case, "--workdir", str(workdir)]
    cmd += ["--warmup", str(params["warmup"]), "--repeat", str(repeat), "--threads", str(threads)]
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=full_env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{side} {case} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _max_diff(workdir: Path, case: str, a: str = "ours", b: str = "peer") -> float:
    from safetensors.torch import load_file

    ours = load_file(str(workdir / f"{case}_{a}.safetensors"))["out"]
    peer = load_file(str(workdir / f"{case}_{b}.safetensors"))["out"]
    return (ours - peer).abs().max().item()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--cases",
        default=DEFAULT_CASES,
        help=f"comma-separated, of {','.join(CASES)} (default {DEFAULT_CASES})",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args()
    peer = _peer_python()
    if peer is None:
        print("peer lerobot 0.6.1 not installed: run tools/peer/install.sh", file=sys.stderr)
    cases = args.cases.split(",")
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="lr-bench-policies-") as tmp:
        workdir = Path(tmp)
        peer_env = None
        if peer is not None and "smolvla" in cases:
            peer_env = _smolvlm2_cache(workdir, peer)
        for _ in range(args.rounds):
            for case in cases:
                sides = [("ours", sys.executable)]
                if peer is not None and not case.endswith(tuple(VARIANTS)):
                    sides.append(("peer", str(peer)))
                for side, python in sides:
                    env = peer_env if side == "peer" else None
                    res = _run(python, side, case, workdir, args.quick, args.threads, env)
                    results.setdefault((case, side), []).append(res)
                    print(f"# {side:4} {case:9} median {res['median_s']:.3f} s", flush=True)
        diffs = {}
        if peer is not None:
            for case in ("act_infer", "diffusion", "smolvla"):
                if case in cases:
                    diffs[case] = _max_diff(workdir, case)
        for suffix in VARIANTS:
            if "smolvla" in cases and "smolvla" + suffix in cases:
                diffs[f"smolvla {suffix[1:]} vs default (ours)"] = _max_diff(
                    workdir, "smolvla", "ours" + suffix, "ours"
                )
            if peer is not None and "smolvla" + suffix in cases:
                diffs[f"smolvla {suffix[1:]} (ours) vs lerobot"] = _max_diff(
                    workdir, "smolvla", "ours" + suffix, "peer"
                )

    def summary(case: str, side: str) -> dict | None:
        runs = results.get((case, side))
        if not runs:
            return None
        times = [t for r in runs for t in r["times_s"]]
        cpu = [t for r in runs for t in r["cpu_times_s"]]
        return {
            "median_s": statistics.median(times),
            "cpu_median_s": statistics.median(cpu),
            "n": len(times),
            "rss": max(r["peak_rss_mib"] for r in runs),
            "params": runs[0]["params"],
            "torch": runs[0]["torch"],
        }

    rows = []
    labels = {
        "act_infer": "ACT chunk (1×3×480×640 + state 6)",
        "act_train": "ACT train step, batch 8",
        "diffusion": "Diffusion, 10 DDPM steps (96×96)",
        "smolvla": "SmolVLA chunk (512×512, 10 steps)",
        "smolvla_bf16": "SmolVLA chunk, bf16 autocast (ours)",
        "smolvla_exact": "SmolVLA chunk, LR_ONEDNN=0 (torch kernels)",
        "pi0": "π0 chunk (224×224, 10 steps)",
    }
    print(f"\n{args.threads} thread(s), {args.rounds} round(s)")
    print(f"{'figure':40} {'ours':>12} {'lerobot':>12} {'ratio':>7} {'goal':>6}")
    for case in cases:
        ours, theirs = summary(case, "ours"), summary(case, "peer")
        if ours is None:
            continue
        o = ours["median_s"] * 1000
        p = theirs["median_s"] * 1000 if theirs else float("nan")
        ratio = o / p if theirs else float("nan")
        goal = GOALS.get(case, float("nan"))
        print(f"{labels[case]:40} {o:10.1f}ms {p:10.1f}ms {ratio:7.2f} {goal:6.1f}")
        oc = ours["cpu_median_s"] * 1000
        pc = theirs["cpu_median_s"] * 1000 if theirs else float("nan")
        print(f"{'  CPU time (all threads)':40} {oc:10.1f}ms {pc:10.1f}ms {oc / pc:7.2f}")
        rss_p = theirs["rss"] if theirs else float("nan")
        print(
            f"{'  peak RSS (MiB)':40} {ours['rss']:12.0f} {rss_p:12.0f} {ours['rss'] / rss_p:7.2f}"
        )
        rows.append({"case": case, "ours": ours, "peer": theirs, "ratio": ratio})
    for case in ("act_infer", "diffusion", "smolvla", "pi0"):
        ours = summary(case, "ours")
        if ours:
            theirs = summary(case, "peer")
            peer_params = theirs["params"] if theirs else 0
            print(f"{'  params ' + case:40} {ours['params']:12,d} {peer_params:12,d}")
    for case, diff in diffs.items():
        label = f"  max |a - b| {case}" if " vs " in case else f"  max |ours - lerobot| {case}"
        print(f"{label:40} {diff:12.2e}")
    print()
    print("RESULT " + json.dumps({"rows": rows, "max_abs_diff": diffs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
