"""Torch-free policies for tests, benchmarks and trying the client without a trained policy.

:class:`FixedCostPolicy` answers any observation with a chunk that holds the current state
(or follows a slow sine around it), after a fixed compute time: the server, the transport and
the client's queue can be exercised and timed without torch or a GPU. Serve one with::

    python -m lr_inference.testing --server.port=8080 --policy.cost_s=0.1

It prints ``listening on tcp://HOST:PORT`` once bound (any free port without
``--server.port``). With ``--policy.input_features`` left
empty, the policy adopts whatever robot connects (every ``observation.*`` feature the client
declares, and its action size), so it fits ``sim_so101`` or any real arm.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Literal

import numpy as np
from pydantic import Field

from lr_core.config import LrConfig, parse_cli
from lr_core.features import FeatureType, PolicyFeature, feature_type
from lr_core.messages import PolicySpec
from lr_inference.server.config import PolicyServerConfig
from lr_inference.server.served import PolicyDescription, PolicyLoader, StageStamps
from lr_inference.transport import now


class FixedCostPolicy:
    """A :class:`~lr_inference.server.served.ServedPolicy` with a fixed cost per forward pass.

    ``motion="hold"`` repeats the first ``D_action`` state values; ``"sine"`` adds
    ``amplitude · sin(2π · i / period)`` for chunk step ``i`` so the arm keeps moving (the
    server's similarity filter then never skips it). ``cost_s`` is spent per forward pass,
    whatever the batch size: sleeping, like a GPU model (torch releases the GIL while kernels
    run), or spinning with ``busy=True``, like a CPU-bound model that holds it.
    """

    def __init__(
        self,
        description: PolicyDescription,
        *,
        cost_s: float = 0.0,
        motion: Literal["hold", "sine"] = "hold",
        amplitude: float = 5.0,
        period: int = 60,
        busy: bool = False,
    ) -> None:
        self.description = description
        self.cost_s = cost_s
        self.busy = busy
        self.motion = motion
        self.amplitude = amplitude
        self.period = period
        self.batch_sizes: list[int] = []

    def predict(self, batch: list[dict[str, Any]]) -> tuple[np.ndarray, StageStamps]:
        """``(B, T, D_action)`` float32: the state held (or swayed), after ``cost_s``."""
        stamps = StageStamps(preprocess_started=now())
        self.batch_sizes.append(len(batch))
        d = self.description
        base = np.zeros((len(batch), d.action_dim), dtype=np.float32)
        for row, item in enumerate(batch):
            state = item.get("observation.state")
            if state is not None:
                flat = np.asarray(state, dtype=np.float32).reshape(-1, state.shape[-1])[-1]
                n = min(d.action_dim, flat.shape[0])
                base[row, :n] = flat[:n]
        stamps.inference_started = now()
        if self.cost_s > 0 and self.busy:
            deadline = time.perf_counter() + self.cost_s
            while time.perf_counter() < deadline:
                pass
        elif self.cost_s > 0:
            time.sleep(self.cost_s)
        actions = np.repeat(base[:, None, :], d.chunk_length, axis=1)
        if self.motion == "sine":
            phase = 2 * np.pi * np.arange(1, d.chunk_length + 1) / self.period
            actions += (self.amplitude * np.sin(phase)).astype(np.float32)[None, :, None]
        stamps.inference_finished = now()
        stamps.postprocess_finished = now()
        return actions, stamps


class FixedCostPolicyConfig(LrConfig):
    """Options of :func:`fixed_cost_loader` (``--policy.*`` of this module's command)."""

    cost_s: float = Field(default=0.0, ge=0)
    busy: bool = False
    chunk_length: int = Field(default=100, gt=0)
    motion: Literal["hold", "sine"] = "hold"
    amplitude: float = 5.0
    period: int = Field(default=60, gt=0)
    n_obs_steps: int = Field(default=1, gt=0)
    max_batch_size: int = Field(default=64, gt=0)
    #: Fixed inputs (``{"observation.state": {"type": "STATE", "shape": [6]}}``); empty: adopt
    #: each client's observation features.
    input_features: dict[str, PolicyFeature] = {}
    action_dim: int | None = None


def fixed_cost_loader(config: FixedCostPolicyConfig | None = None) -> PolicyLoader:
    """A loader that builds a :class:`FixedCostPolicy` for any spec (paths are ignored)."""
    cfg = config or FixedCostPolicyConfig()

    def load(spec: PolicySpec) -> FixedCostPolicy:
        inputs = dict(cfg.input_features)
        if not inputs:
            for key, feature in spec.features.items():
                kind = feature_type(key, feature)
                if kind in (FeatureType.STATE, FeatureType.VISUAL, FeatureType.ENV):
                    inputs[spec.rename_map.get(key, key)] = PolicyFeature(
                        type=kind, shape=feature.channels_first_shape
                    )
        action = spec.features.get("action")
        action_dim = cfg.action_dim or (int(action.shape[0]) if action is not None else 6)
        description = PolicyDescription(
            policy_type=spec.policy_type or "fixed_cost",
            input_features=inputs,
            action_dim=action_dim,
            chunk_length=cfg.chunk_length,
            n_obs_steps=cfg.n_obs_steps,
            max_batch_size=cfg.max_batch_size,
            config={"type": "fixed_cost", **cfg.model_dump(mode="json")},
        )
        return FixedCostPolicy(
            description,
            cost_s=cfg.cost_s,
            motion=cfg.motion,
            amplitude=cfg.amplitude,
            period=cfg.period,
            busy=cfg.busy,
        )

    return load


class FixedCostServeConfig(LrConfig):
    """``python -m lr_inference.testing``: a policy server running a :class:`FixedCostPolicy`."""

    server: PolicyServerConfig = Field(default_factory=PolicyServerConfig)
    policy: FixedCostPolicyConfig = Field(default_factory=FixedCostPolicyConfig)
    log_level: str = "INFO"


def main(argv: list[str] | None = None) -> int:
    """Serve a fixed-cost policy until interrupted; prints the bound address first."""
    from lr_inference.server.server import PolicyServer

    cfg = parse_cli(
        FixedCostServeConfig,
        sys.argv[1:] if argv is None else argv,
        prog="python -m lr_inference.testing",
        defaults={"server": {"port": 0}},  # any free port unless --server.port is given
    )
    logging.basicConfig(
        level=cfg.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = PolicyServer(cfg.server, loader=fixed_cost_loader(cfg.policy))
    address = server.start()
    print(f"listening on {address}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
