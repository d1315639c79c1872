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
"""

from __future__ import annotations

import argparse
import importlib.util
import json
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
}
GOALS = {"act_infer": 0.6, "act_train": 0.8, "diffusion": 0.6}


def _peer_python() -> Path | None:
    spec = importlib.util.spec_from_file_location("lr_peer_locate", REPO / "tools/peer/locate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.peer_python("0.6.1")


def _run(python: str, side: str, case: str, workdir: Path, quick: bool, threads: int) -> dict:
    params = CASES[case]
    repeat = params["quick"] if quick else params["repeat"]
    cmd = [python, str(WORKER), "--side", side, "--case", case, "--workdir", str(workdir)]
    cmd += ["--warmup", str(params["warmup"]), "--repeat", str(repeat), "--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"{side} {case} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _max_diff(workdir: Path, case: str) -> float:
    from safetensors.torch import load_file

    ours = load_file(str(workdir / f"{case}_ours.safetensors"))["out"]
    peer = load_file(str(workdir / f"{case}_peer.safetensors"))["out"]
    return (ours - peer).abs().max().item()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    args = parser.parse_args()
    peer = _peer_python()
    if peer is None:
        print("peer lerobot 0.6.1 not installed: run tools/peer/install.sh", file=sys.stderr)
    cases = args.cases.split(",")
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="lr-bench-policies-") as tmp:
        workdir = Path(tmp)
        for _ in range(args.rounds):
            for case in cases:
                sides = [("ours", sys.executable)]
                if peer is not None:
                    sides.append(("peer", str(peer)))
                for side, python in sides:
                    res = _run(python, side, case, workdir, args.quick, args.threads)
                    results.setdefault((case, side), []).append(res)
                    print(f"# {side:4} {case:9} median {res['median_s']:.3f} s", flush=True)
        diffs = {}
        if peer is not None:
            for case in ("act_infer", "diffusion"):
                if case in cases:
                    diffs[case] = _max_diff(workdir, case)

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
        print(f"{labels[case]:40} {o:10.1f}ms {p:10.1f}ms {ratio:7.2f} {GOALS[case]:6.1f}")
        oc = ours["cpu_median_s"] * 1000
        pc = theirs["cpu_median_s"] * 1000 if theirs else float("nan")
        print(f"{'  CPU time (both threads)':40} {oc:10.1f}ms {pc:10.1f}ms {oc / pc:7.2f}")
        rss_p = theirs["rss"] if theirs else float("nan")
        print(
            f"{'  peak RSS (MiB)':40} {ours['rss']:12.0f} {rss_p:12.0f} {ours['rss'] / rss_p:7.2f}"
        )
        rows.append({"case": case, "ours": ours, "peer": theirs, "ratio": ratio})
    for case in ("act_infer", "diffusion"):
        ours = summary(case, "ours")
        if ours:
            theirs = summary(case, "peer")
            peer_params = theirs["params"] if theirs else 0
            print(f"{'  params ' + case:40} {ours['params']:12,d} {peer_params:12,d}")
    for case, diff in diffs.items():
        print(f"{'  max |ours - lerobot| ' + case:40} {diff:12.2e}")
    print()
    print("RESULT " + json.dumps({"rows": rows, "max_abs_diff": diffs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
