"""The float32 GEMMs of SmolVLA's SigLIP tower, kernel by kernel (no LeRobot side).

    uv run python tools/bench/vla_gemm.py [--threads 2] [--repeat 40]

For each product of one SigLIP layer at 512×512 (1024 patches: q/k/v/o 768→768, fc1 768→3072,
fc2 3072→768) it times, on the same inputs:

- ``F.linear`` (PyTorch's BLAS sgemm: MKL; what SmolVLA and LeRobot run by default);
- the same product as two row blocks through ``torch.baddbmm`` (one batched MKL call) and as two
  row blocks on two Python threads: both give ``F.linear``'s exact bits (checked), so either could
  replace it without moving the chunk away from LeRobot's, if it is faster;
- oneDNN (``lr_policies.layers.linear.linear``; not the same bits);

and prints the minimum and median wall time and the median CPU time of ``--repeat`` calls
(interleaved, so load hits every variant alike; the minimum is the least loaded call). Run it
on an idle machine: the question it answers is whether MKL's own products scale to 2 threads.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn.functional as F

from lr_policies.layers.linear import linear

SHAPES = {"qkvo": (768, 768), "fc1": (768, 3072), "fc2": (3072, 768)}
TOKENS = 1024


def _variants(
    x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, pool: ThreadPoolExecutor
) -> dict[str, Callable[[], torch.Tensor]]:
    """The product ``x (1, TOKENS, k) · wᵀ + b`` four ways (see the module docstring)."""
    half, (n, k) = TOKENS // 2, w.shape

    def threaded() -> torch.Tensor:
        future = pool.submit(F.linear, x[:, half:], w, b)
        return torch.cat([F.linear(x[:, :half], w, b), future.result()], 1)

    def blocks() -> torch.Tensor:
        return torch.baddbmm(b, x.view(2, half, k), w.t().expand(2, k, n)).view(1, TOKENS, n)

    return {
        "F.linear (MKL)": lambda: F.linear(x, w, b),
        "2 row blocks, baddbmm": blocks,
        "2 row blocks, 2 threads": threaded,
        "oneDNN": lambda: linear(x, w, b),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"{args.threads} thread(s), {args.repeat} calls each; ms: min / median wall, median CPU")
    for name, (k, n) in SHAPES.items():
        x = torch.randn(1, TOKENS, k)
        w, b = torch.randn(n, k) * k**-0.5, torch.randn(n)
        variants = _variants(x, w, b, ThreadPoolExecutor(1))
        ref = variants["F.linear (MKL)"]()
        times: dict[str, list[tuple[float, float]]] = {v: [] for v in variants}
        for _ in range(args.repeat):
            for label, fn in variants.items():
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                times[label].append((time.perf_counter() - t0, time.process_time() - c0))
        flops = 2 * TOKENS * k * n
        for label, fn in variants.items():
            walls = [t for t, _ in times[label]]
            cpu = statistics.median(c for _, c in times[label])
            same = "same bits" if torch.equal(fn(), ref) else "differs"
            wall = f"{min(walls) * 1e3:7.1f} / {statistics.median(walls) * 1e3:7.1f}"
            rate = flops / min(walls) / 1e9
            print(f"{name:5} {label:24} {wall} / {cpu * 1e3:7.1f}  ({rate:5.0f} GFLOP/s)  {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
