"""Simulation throughput: env steps per second with 0, 1 and 2 rendered 224x224 cameras.

    uv run python tools/bench/sim.py [--steps 300] [--repeats 3]

Rows: our SO-101 table scene (``--env.type=so101``) and Meta-World ``pick-place-v3``
(``--env.type=metaworld``), each with no camera, one camera and two cameras rendered by
lr-sim's fast headless renderer (EGL on Mesa llvmpipe here; no anti-aliasing, shadows or
reflections). The reference row renders Meta-World's ``corner2`` through the env's own
``render()`` with MuJoCo's default quality, which is what LeRobot 0.6.1's Meta-World wrapper
calls (the peer venv has no metaworld/mujoco, so it is measured in ours). Figures are medians
of ``--repeats`` runs of ``--steps`` steps each; the machine is shared, so expect noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable

os.environ.setdefault("MUJOCO_GL", "egl")
warnings.filterwarnings("ignore", message="Constant")

import numpy as np  # noqa: E402


def rate(step: Callable[[int], object], reset: Callable[[], object], steps: int, repeats: int):
    """Median steps/s over ``repeats`` runs of ``steps`` steps."""
    rates = []
    for _ in range(repeats):
        reset()
        start = time.perf_counter()
        for i in range(steps):
            step(i)
        rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates)


def so101_rate(cameras: list[str], steps: int, repeats: int) -> float:
    from lr_sim.configs import SO101EnvConfig
    from lr_sim.so101.env import SO101Env

    env = SO101Env(SO101EnvConfig(task="pick-and-place", cameras=cameras, episode_length=10**6))
    obs, _ = env.reset(seed=0)
    home = obs["observation.state"].copy()

    def step(i: int) -> None:
        action = home.copy()
        action[:5] += 20 * np.sin(i / 15)  # keep the arm moving
        env.step(action)

    try:
        return rate(step, lambda: env.reset(seed=0), steps, repeats)
    finally:
        env.close()


def metaworld_rate(cameras: list[str], steps: int, repeats: int) -> float:
    from lr_sim.configs import MetaWorldEnvConfig
    from lr_sim.metaworld.env import MetaWorldEnv, MetaWorldExpert

    config = MetaWorldEnvConfig(task="pick-place-v3", cameras=cameras, episode_length=500)
    env = MetaWorldEnv(config)
    expert = MetaWorldExpert(env)
    counter = {"n": 0}

    def reset() -> None:
        env.reset(seed=counter["n"])
        counter["n"] += 1

    def step(i: int) -> None:
        _, _, terminated, truncated, _ = env.step(expert.act())
        if terminated or truncated:
            reset()

    try:
        return rate(step, reset, steps, repeats)
    finally:
        env.close()


def metaworld_default_render_rate(steps: int, repeats: int) -> float:
    """Meta-World's own ``render()`` (MuJoCo default quality), one corner2 camera, 224x224."""
    from lr_sim._mujoco import import_mujoco

    import_mujoco()
    import metaworld
    from metaworld.policies import ENV_POLICY_MAP

    mt1 = metaworld.MT1("pick-place-v3", seed=42)
    env = mt1.train_classes["pick-place-v3"](
        render_mode="rgb_array", camera_name="corner2", width=224, height=224
    )
    env.set_task(mt1.train_tasks[0])
    env._freeze_rand_vec = False
    env.seeded_rand_vec = True
    policy = ENV_POLICY_MAP["pick-place-v3"]()
    state = {"obs": None, "n": 0}

    def reset() -> None:
        env.seed(state["n"])
        state["obs"], _ = env.reset()
        state["n"] += 1

    def step(i: int) -> None:
        obs, _, _, truncated, info = env.step(np.clip(policy.get_action(state["obs"]), -1, 1))
        np.flip(env.render(), (0, 1))
        state["obs"] = obs
        if info["success"] or truncated:
            reset()

    try:
        return rate(step, reset, steps, repeats)
    finally:
        env.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [
        ("so101 pick-and-place, no camera", lambda: so101_rate([], args.steps, args.repeats)),
        ("so101, front 224x224", lambda: so101_rate(["front"], args.steps, args.repeats)),
        (
            "so101, front + wrist 224x224",
            lambda: so101_rate(["front", "wrist"], args.steps, args.repeats),
        ),
        (
            "metaworld pick-place-v3, no camera",
            lambda: metaworld_rate([], args.steps, args.repeats),
        ),
        (
            "metaworld, corner2 224x224",
            lambda: metaworld_rate(["corner2"], args.steps, args.repeats),
        ),
        (
            "metaworld, corner2 + gripperPOV 224x224",
            lambda: metaworld_rate(["corner2", "gripperPOV"], args.steps, args.repeats),
        ),
    ]
    baseline = metaworld_default_render_rate(max(30, args.steps // 5), args.repeats)
    print(f"MUJOCO_GL={os.environ.get('MUJOCO_GL')}, {args.steps} steps x {args.repeats} (median)")
    print(f"{'case':44} {'steps/s':>9}")
    results = {}
    for name, run in rows:
        results[name] = run()
        print(f"{name:44} {results[name]:9.0f}", flush=True)
    ours = results["metaworld, corner2 224x224"]
    print(f"{'metaworld, corner2 224x224, env.render()':44} {baseline:9.1f}   (LeRobot's path)")
    print(f"ratio, one corner2 camera: ours / env.render() = {ours / baseline:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
