"""Processors: LeRobot 0.6.1's files load here and give LeRobot's numbers; ours are saved in the
same layout; renaming, batching, device placement and errors."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from lr_core.errors import LrError
from lr_core.features import FeatureType, PolicyFeature
from lr_core.policy import PolicyConfig
from lr_policies.errors import CheckpointError, PolicyError
from lr_policies.processors import (
    DeviceStep,
    PolicyProcessorPipeline,
    load_pre_post_processors,
    make_pre_post_processors,
    save_pre_post_processors,
)
from lr_policies.processors.normalize import NormalizerStep, UnnormalizerStep

FIXTURES = Path(__file__).parents[1] / "fixtures" / "lerobot_0.6.1_processors"
MAPPINGS = {
    "act": {"VISUAL": "MEAN_STD", "STATE": "MEAN_STD", "ACTION": "MEAN_STD"},
    "diffusion": {"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", "ACTION": "MIN_MAX"},
}
STATS = {
    "observation.state": {
        "mean": [1.0, 2, 3],
        "std": [0.5, 0.5, 2],
        "min": [-1.0, 0, 0],
        "max": [2.0, 4, 5],
    },
    "observation.images.front": {
        "mean": torch.full((3, 1, 1), 0.5),
        "std": torch.full((3, 1, 1), 0.2),
        "min": torch.zeros(3, 1, 1),
        "max": torch.ones(3, 1, 1),
    },
    "action": {"mean": [0.1, 0.2], "std": [1.0, 2.0], "min": [-3.0, -4], "max": [3.0, 5]},
    "timestamp": {"mean": [1.0], "std": [1.0]},  # not a policy feature: left out
}


class SmallConfig(PolicyConfig):
    type: str = "small"
    normalization_mapping: dict[str, str] = {}


def config(kind: str) -> SmallConfig:
    return SmallConfig(
        normalization_mapping=MAPPINGS[kind],
        input_features={
            "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(3,)),
            "observation.images.front": PolicyFeature(type=FeatureType.VISUAL, shape=(3, 8, 10)),
        },
        output_features={"action": PolicyFeature(type=FeatureType.ACTION, shape=(2,))},
        device="cpu",
    )


def run(pre, post, expected):
    out = pre(
        {
            "observation.state": expected["in.observation.state"],
            "observation.images.front": expected["in.observation.images.front"],
            "action": expected["in.action"],
            "task": "pick",
        }
    )
    return out, post(expected["in.policy_out"])


@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_lerobot_processor_files_load_and_match_lerobots_outputs(kind):
    expected = load_file(FIXTURES / kind / "expected.safetensors")
    pre, post = load_pre_post_processors(FIXTURES / kind)
    assert [s.registry_name for s in pre.steps] == [
        "rename_observations_processor",
        "to_batch_processor",
        "device_processor",
        "normalizer_processor",
    ]
    out, action = run(pre, post, expected)
    assert out["observation.state"].shape == (1, 3)  # batch dim added
    assert out["observation.images.front"].shape == (1, 3, 8, 10)
    assert out["task"] == ["pick"]
    for key in ("observation.state", "observation.images.front", "action"):
        torch.testing.assert_close(out[key], expected[f"out.{key}"], rtol=0, atol=1e-6)
    torch.testing.assert_close(action, expected["out.post"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_our_processors_match_lerobots_numbers_and_files(kind, tmp_path):
    expected = load_file(FIXTURES / kind / "expected.safetensors")
    processors = make_pre_post_processors(config(kind), dataset_stats=STATS)
    out, action = run(*processors, expected)
    for key in ("observation.state", "observation.images.front", "action"):
        torch.testing.assert_close(out[key], expected[f"out.{key}"], rtol=0, atol=1e-6)
    torch.testing.assert_close(action, expected["out.post"], rtol=0, atol=1e-6)

    save_pre_post_processors(processors, tmp_path)
    theirs = sorted(p.name for p in (FIXTURES / kind).iterdir() if p.name != "expected.safetensors")
    assert sorted(p.name for p in tmp_path.iterdir()) == theirs
    for name in ("policy_preprocessor.json", "policy_postprocessor.json"):
        assert json.loads((tmp_path / name).read_text()) == json.loads(
            (FIXTURES / kind / name).read_text()
        )
    ours = load_file(tmp_path / "policy_preprocessor_step_3_normalizer_processor.safetensors")
    lerobot = load_file(
        FIXTURES / kind / "policy_preprocessor_step_3_normalizer_processor.safetensors"
    )
    assert set(ours) == set(lerobot)
    for key in ours:
        torch.testing.assert_close(ours[key], lerobot[key], rtol=0, atol=0)

    # And they load back into equal processors.
    out2, action2 = run(*load_pre_post_processors(tmp_path), expected)
    torch.testing.assert_close(out2["action"], out["action"], rtol=0, atol=0)
    torch.testing.assert_close(action2, action, rtol=0, atol=0)


def test_rename_map_and_overrides(tmp_path):
    pre, post = make_pre_post_processors(config("act"), dataset_stats=STATS)
    save_pre_post_processors((pre, post), tmp_path)
    pre, _ = load_pre_post_processors(
        tmp_path, rename_map={"observation.images.left": "observation.images.front"}
    )
    out = pre({"observation.images.left": torch.full((3, 8, 10), 0.7)})
    assert set(out) == {"observation.images.front"}
    torch.testing.assert_close(out["observation.images.front"], torch.ones(1, 3, 8, 10))

    # New stats replace the saved ones when given explicitly.
    stats = {**STATS, "action": {"mean": [0.0, 0.0], "std": [10.0, 10.0]}}
    _, post = load_pre_post_processors(tmp_path, dataset_stats=stats)
    torch.testing.assert_close(post(torch.ones(1, 2)), torch.full((1, 2), 10.0))


def test_lerobots_make_pre_post_processors_signature(tmp_path):
    cfg = config("act")
    save_pre_post_processors(make_pre_post_processors(cfg, dataset_stats=STATS), tmp_path)
    # LeRobot 0.6.1: make_pre_post_processors(cfg, pretrained_path=..., *_overrides=...)
    pre, post = make_pre_post_processors(
        cfg,
        pretrained_path=str(tmp_path),
        preprocessor_overrides={
            "rename_observations_processor": {
                "rename_map": {"observation.images.left": "observation.images.front"}
            }
        },
        postprocessor_overrides={
            "unnormalizer_processor": {
                "stats": {**STATS, "action": {"mean": [0.0, 0.0], "std": [10.0, 10.0]}}
            }
        },
    )
    out = pre({"observation.images.left": torch.full((3, 8, 10), 0.7)})
    assert set(out) == {"observation.images.front"}
    torch.testing.assert_close(post(torch.ones(1, 2)), torch.full((1, 2), 10.0))
    # Custom file names, as LeRobot's preprocessor_config_filename.
    (tmp_path / "policy_preprocessor.json").rename(tmp_path / "pre.json")
    pre, _ = make_pre_post_processors(cfg, str(tmp_path), preprocessor_config_filename="pre.json")
    assert [s.registry_name for s in pre.steps][-1] == "normalizer_processor"
    # As in LeRobot, dataset_stats are not used when loading (a warning says how to override).
    with pytest.warns(UserWarning, match="dataset_stats is not used"):
        _, post = make_pre_post_processors(
            cfg,
            pretrained_path=tmp_path,
            preprocessor_config_filename="pre.json",
            dataset_stats={"action": {"mean": [5.0, 5.0], "std": [1.0, 1.0]}},
        )
    torch.testing.assert_close(
        post(torch.zeros(1, 2)),
        torch.tensor([STATS["action"]["mean"]], dtype=torch.float32),
    )
    # The old positional form (stats second) is refused with the way out.
    with pytest.raises(TypeError, match="dataset_stats="):
        make_pre_post_processors(cfg, STATS)


def test_identity_and_missing_stats():
    cfg = config("act").model_copy(
        update={"normalization_mapping": {"STATE": "IDENTITY", "ACTION": "MIN_MAX"}}
    )
    pre, _ = make_pre_post_processors(
        cfg, dataset_stats={"action": {"mean": [0.0, 0.0], "std": [1, 1]}}
    )
    state = torch.tensor([[5.0, 6.0, 7.0]])
    assert torch.equal(pre({"observation.state": state})["observation.state"], state)
    with pytest.raises(PolicyError, match=r"'action' is normalised with MIN_MAX.*\['min', 'max'\]"):
        pre({"action": torch.zeros(1, 2)})


def test_min_max_with_a_constant_dimension_stays_finite():
    step = NormalizerStep(
        {"observation.state": {"type": "STATE", "shape": [2]}},
        {"STATE": "MIN_MAX"},
        {"observation.state": {"min": [0.0, 1.0], "max": [2.0, 1.0]}},
    )
    out = step({"observation.state": torch.tensor([[1.0, 1.0]])})["observation.state"]
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.tensor([[0.0, -1.0]]))
    inverse = UnnormalizerStep(step.features, step.norm_map, step.stats)
    back = inverse({"observation.state": out})["observation.state"]
    torch.testing.assert_close(back, torch.tensor([[1.0, 1.0]]))


def test_bad_files_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_pre_post_processors(tmp_path)
    (tmp_path / "p.json").write_text(
        json.dumps(
            {"name": "p", "steps": [{"registry_name": "image_crop_processor", "config": {}}]}
        )
    )
    with pytest.raises(
        CheckpointError, match="image_crop_processor.*known steps: .*device_processor"
    ):
        PolicyProcessorPipeline.from_pretrained(tmp_path, "p.json")
    # A known step whose config is refused names the step (the tokenizer needs a name).
    (tmp_path / "p.json").write_text(
        json.dumps({"name": "p", "steps": [{"registry_name": "tokenizer_processor", "config": {}}]})
    )
    with pytest.raises(LrError, match="tokenizer_processor needs a tokenizer_name"):
        PolicyProcessorPipeline.from_pretrained(tmp_path, "p.json")
    pre, _ = make_pre_post_processors(config("act"), dataset_stats=STATS)
    pre.save_pretrained(tmp_path)
    with pytest.raises(CheckpointError, match="normaliser_processor"):
        PolicyProcessorPipeline.from_pretrained(
            tmp_path, "policy_preprocessor.json", overrides={"normaliser_processor": {"eps": 1}}
        )
    (tmp_path / "policy_preprocessor_step_3_normalizer_processor.safetensors").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="state of step 3"):
        PolicyProcessorPipeline.from_pretrained(tmp_path, "policy_preprocessor.json")


def test_device_step_casts_floats_only():
    pre = PolicyProcessorPipeline([DeviceStep("cpu", "float64")])
    out = pre({"a": torch.zeros(2), "b": torch.zeros(2, dtype=torch.int64), "c": "text"})
    assert out["a"].dtype == torch.float64 and out["b"].dtype == torch.int64 and out["c"] == "text"


@pytest.mark.peer
@pytest.mark.parametrize("kind", ["act", "diffusion"])
def test_lerobot_loads_our_processors(kind, tmp_path, peer_python_061):
    processors = make_pre_post_processors(config(kind), dataset_stats=STATS)
    save_pre_post_processors(processors, tmp_path)
    expected = load_file(FIXTURES / kind / "expected.safetensors")
    out, action = run(*processors, expected)
    code = textwrap.dedent(
        f"""
        from safetensors.torch import load_file
        from lerobot.processor import PolicyProcessorPipeline
        from lerobot.processor.converters import (
            batch_to_transition, transition_to_batch, policy_action_to_transition,
            transition_to_policy_action)
        d = {str(tmp_path)!r}
        pre = PolicyProcessorPipeline.from_pretrained(d, "policy_preprocessor.json",
            to_transition=batch_to_transition, to_output=transition_to_batch)
        post = PolicyProcessorPipeline.from_pretrained(d, "policy_postprocessor.json",
            to_transition=policy_action_to_transition, to_output=transition_to_policy_action)
        e = load_file({str(FIXTURES / kind / "expected.safetensors")!r})
        out = pre({{"observation.state": e["in.observation.state"],
                   "observation.images.front": e["in.observation.images.front"],
                   "action": e["in.action"]}})
        for k in ("observation.state", "observation.images.front", "action"):
            assert (out[k] - e["out." + k]).abs().max() < 1e-6, k
        assert (post(e["in.policy_out"]) - e["out.post"]).abs().max() < 1e-6
        print("ok")
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([peer_python_061, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-3000:]
    torch.testing.assert_close(action, expected["out.post"], rtol=0, atol=1e-6)
    assert out["action"].shape == (4, 2)


def test_every_step_lr_names_is_registered_by_the_module_named_for_it():
    import importlib

    from lr_policies.processors import pipeline

    for name, module in pipeline._STEP_MODULES.items():
        importlib.import_module(module)
        assert pipeline._STEPS[name].registry_name == name, (name, module)


def test_stats_shared_between_cameras_save_and_load(tmp_path):
    """One ImageNet mean/std object for every camera (what --dataset.use_imagenet_stats gives)
    must save: safetensors refuses tensors that share memory."""
    from lr_policies.train.data import IMAGENET_STATS

    cfg = config("act")
    cfg.input_features["observation.images.wrist"] = PolicyFeature(
        type=FeatureType.VISUAL, shape=(3, 8, 10)
    )
    shared = {k: torch.as_tensor(v) for k, v in IMAGENET_STATS.items()}
    stats = {**STATS, "observation.images.front": shared, "observation.images.wrist": shared}
    pre, post = make_pre_post_processors(cfg, dataset_stats=stats)
    save_pre_post_processors((pre, post), tmp_path)
    loaded, _ = load_pre_post_processors(tmp_path)
    frame = torch.rand(1, 3, 8, 10)
    batch = {"observation.state": torch.zeros(1, 3), "observation.images.front": frame,
             "observation.images.wrist": frame, "action": torch.zeros(1, 2)}  # fmt: skip
    out, again = pre(dict(batch)), loaded(dict(batch))
    assert torch.equal(out["observation.images.wrist"], again["observation.images.wrist"])
    assert torch.equal(out["observation.images.front"], out["observation.images.wrist"])
