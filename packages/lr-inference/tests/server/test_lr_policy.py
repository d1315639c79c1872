"""``lr serve`` with a real lr-policies checkpoint (ACT): refused handshakes name the features,
and served actions are bit-identical to the same policy run locally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lr_policies")

from lr_core.features import FeatureSpec, features_from_json  # noqa: E402
from lr_core.messages import PolicySpec  # noqa: E402
from lr_inference.errors import HandshakeRefusedError  # noqa: E402
from lr_inference.policy_client import PolicyClient  # noqa: E402
from lr_inference.remote import RemotePolicyClient  # noqa: E402

H, W = 24, 32
FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [6], "names": None},
    "observation.images.front": {
        "dtype": "video",
        "shape": [H, W, 3],
        "names": ["height", "width", "channels"],
    },
    "action": {"dtype": "float32", "shape": [6], "names": None},
}
STATS = {
    "observation.state": {"mean": [1.0] * 6, "std": [40.0] * 6},
    "observation.images.front": {"mean": [0.4, 0.5, 0.6], "std": [0.2, 0.25, 0.3]},
    "action": {"mean": [2.0] * 6, "std": [30.0] * 6},
}
MOTORS = [f"m{i}.pos" for i in range(6)]


@pytest.fixture(scope="module")
def act_checkpoint(tmp_path_factory) -> Path:
    from lr_policies.act.config import ACTConfig
    from lr_policies.pretrained import make_policy
    from lr_policies.processors import make_pre_post_processors, save_pre_post_processors

    torch.manual_seed(0)
    config = ACTConfig(
        chunk_size=10,
        n_action_steps=5,
        dim_model=32,
        n_heads=2,
        dim_feedforward=64,
        n_encoder_layers=1,
        n_decoder_layers=1,
        n_vae_encoder_layers=1,
        pretrained_backbone_weights=None,
        device="cpu",
    )
    policy = make_policy(config, features_from_json(FEATURES))
    path = tmp_path_factory.mktemp("act") / "pretrained_model"
    policy.save_pretrained(path)
    save_pre_post_processors(make_pre_post_processors(policy.config, dataset_stats=STATS), path)
    return path


def local_policy(path: Path):
    from lr_policies.pretrained import PreTrainedPolicy
    from lr_policies.processors import load_pre_post_processors

    torch.set_num_threads(1)
    policy = PreTrainedPolicy.from_pretrained(path, device="cpu")
    pre, post = load_pre_post_processors(path, device="cpu")
    return policy, pre, post


def robot_spec(path: Path, *, state: int = 6, camera: str = "front", apc: int = 10) -> PolicySpec:
    return PolicySpec(
        policy_type="act",
        pretrained_name_or_path=str(path),
        actions_per_chunk=apc,
        features={
            "observation.state": FeatureSpec(
                dtype="float32", shape=(state,), names=[f"m{i}.pos" for i in range(state)]
            ),
            f"observation.images.{camera}": FeatureSpec(
                dtype="video", shape=(H, W, 3), names=["height", "width", "channels"]
            ),
            "action": FeatureSpec(dtype="float32", shape=(6,), names=MOTORS),
        },
    )


def observations(n: int, batch: int = 1, seed: int = 0) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "observation.state": rng.uniform(-50, 50, (batch, 6)).astype(np.float32),
            "observation.images.front": rng.integers(0, 256, (batch, H, W, 3), dtype=np.uint8),
        }
        for _ in range(n)
    ]


def to_torch(obs: dict[str, np.ndarray]) -> dict:
    """What ``lr eval`` feeds a local policy."""
    return {
        "observation.state": torch.from_numpy(obs["observation.state"]),
        "observation.images.front": torch.from_numpy(obs["observation.images.front"])
        .permute(0, 3, 1, 2)
        .float()
        .div_(255.0),
    }


@pytest.mark.slow
def test_served_act_refuses_mismatches_and_matches_the_local_policy(act_checkpoint, lr_serve):
    server = lr_serve()
    # refused before anything runs: wrong state size, and a camera under another name
    client = PolicyClient(server.address, robot_spec(act_checkpoint, state=5, camera="wrist"))
    with pytest.raises(HandshakeRefusedError) as info:
        client.connect(120)
    client.close()
    text = str(info.value)
    assert (
        "observation.state: the policy expects shape [6], the robot's observation.state has [5]"
        in text
    )
    assert "observation.images.front: the policy needs VISUAL [3, 24, 32]" in text
    assert "observation.images.wrist" in text

    policy, pre, post = local_policy(act_checkpoint)
    # one observation -> one chunk, bit-identical to predict_action_chunk + post-processor
    with PolicyClient(server.address, robot_spec(act_checkpoint)) as client:
        welcome = client.connect(120)
        assert welcome.policy.policy_type == "act" and welcome.policy.chunk_length == 10
        assert welcome.policy.config["n_action_steps"] == 5
        for obs in observations(3):
            raw = {f"m{i}.pos": float(v) for i, v in enumerate(obs["observation.state"][0])}
            raw["front"] = obs["observation.images.front"][0]
            chunk = client.infer(raw, task="pick up the cube")  # ACT ignores the instruction
            with torch.inference_mode():
                expected = post(policy.predict_action_chunk(pre(to_torch(obs))))[0].numpy()
            np.testing.assert_array_equal(chunk.actions, expected)

    # the lr eval connector: a batch of envs, n_action_steps per chunk, like select_action
    remote = RemotePolicyClient(server.address, pretrained_name_or_path=str(act_checkpoint))
    policy.reset()
    try:
        for obs in observations(12, batch=3, seed=1):
            served = remote.select_action(obs)
            with torch.inference_mode():
                local = post(policy.select_action(pre(to_torch(obs)))).numpy()
            np.testing.assert_array_equal(served, local)
        assert set(remote.input_features) == {"observation.state", "observation.images.front"}
    finally:
        remote.close()
