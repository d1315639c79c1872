"""SmolVLA, π0 and π0.5 against LeRobot 0.6.1 in its own venv (``-m peer``), on small random
configs (a few layers, small widths, a tokenizer trained locally; nothing downloaded).

Both directions, each with one camera and with two (plus RTC guidance): a checkpoint folder
LeRobot writes (config.json, model.safetensors, processor files) loads unchanged in lr, and one lr
writes loads in LeRobot; the same raw batch, noise and flow times then give the same tokens, the
same loss and the same action chunks (with and without real-time-chunking guidance) within 1e-4.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from lr_policies.pi0.backbone import openpi_architecture

pytestmark = pytest.mark.peer

HERE = Path(__file__).resolve().parent
TOL = 1e-4
TASKS = ["pick up the red cube", "push the blue block to the left"]
PALIGEMMA = "google/paligemma-3b-pt-224"


def _load(path: Path, name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


A = _load(HERE.parent / "vla" / "assets.py", "vla_assets")
SHIPPED_ARCHITECTURE = openpi_architecture  # bound before any fixture patches the module
H = _load(HERE / "conftest.py", "lr_policies_peer_compat_helpers")


def _features(cams: dict[str, list[int]]) -> dict[str, Any]:
    inputs = {"observation.state": {"type": "STATE", "shape": [5]}}
    inputs |= {f"observation.images.{k}": {"type": "VISUAL", "shape": v} for k, v in cams.items()}
    return {
        "input_features": inputs,
        "output_features": {"action": {"type": "ACTION", "shape": [4]}},
    }


def _config(kind: str, case: str, assets: Path) -> dict[str, Any]:
    two = case == "cam2_rtc"
    cams = {"top": [3, 24, 40], **({"wrist": [3, 32, 32]} if two else {})}
    base = {"type": kind, "device": "cpu", "chunk_size": 6, "n_action_steps": 4}
    base |= {"max_state_dim": 8, "max_action_dim": 8, **_features(cams)}
    if two:
        base["rtc_config"] = {"enabled": True, "execution_horizon": 5}
    if kind == "smolvla":
        base |= {
            "vlm_model_name": str(assets / "smolvlm"),
            "resize_imgs_with_padding": [32, 32],
            "num_vlm_layers": 4,
            "num_steps": 3,
            "empty_cameras": 0 if two else 1,
            "num_expert_layers": 2 if two else -1,
            "self_attn_every_n_layers": 4 if two else 2,
        }
    else:
        base |= {"image_resolution": [32, 32], "tokenizer_max_length": 24}
        base |= {"num_inference_steps": 3}
    return base


def _stats() -> dict[str, dict[str, list[float]]]:
    g = torch.Generator().manual_seed(3)
    out = {}
    for key, dim in (("observation.state", 5), ("action", 4)):
        mean = torch.randn(dim, generator=g) * 0.1
        out[key] = {
            "mean": mean.tolist(),
            "std": (torch.rand(dim, generator=g) + 0.5).tolist(),
            "min": (mean - 2).tolist(),
            "max": (mean + 2).tolist(),
            "q01": (mean - 1.5).tolist(),
            "q99": (mean + 1.5).tolist(),
        }
    return out


def _inputs(config: dict[str, Any], file: Path) -> None:
    g = torch.Generator().manual_seed(11)
    tensors = {
        "raw.observation.state": torch.randn(2, 5, generator=g),
        "raw.action": torch.randn(2, 6, 4, generator=g),
        "raw.action_is_pad": torch.tensor([[False] * 6, [False] * 4 + [True] * 2]),
        "noise": torch.randn(2, 6, 8, generator=g),
        "time": torch.tensor([0.3, 0.85]),
    }
    for key, feature in config["input_features"].items():
        if key.startswith("observation.images."):
            tensors[f"raw.{key}"] = torch.rand(2, *feature["shape"], generator=g)
    if "rtc_config" in config:
        tensors["rtc_prev"] = torch.randn(2, 4, 4, generator=g)
    save_file(tensors, str(file))


def _case(kind: str, name: str, folder: Path, assets: Path) -> dict[str, Any]:
    config = _config(kind, name, assets)
    folder.mkdir(parents=True, exist_ok=True)
    _inputs(config, folder / "inputs.safetensors")
    return {
        "name": name,
        "type": kind,
        "dir": str(folder),
        "config": config,
        "stats": _stats(),
        "tasks": TASKS,
        "inputs": str(folder / "inputs.safetensors"),
        "rtc_delay": 1,
        "rtc_horizon": 3,
    }


def _peer(spec: dict[str, Any], work: Path, env: dict[str, str]) -> None:
    python = H.peer_python("0.6.1")
    if python is None:
        pytest.skip(H.install_hint())
    file = work / f"spec_{spec['mode']}.json"
    file.write_text(json.dumps(spec))
    done = subprocess.run(
        [str(python), str(HERE / "vla_peer.py"), str(file)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **env, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]


@pytest.fixture(scope="module")
def world(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Assets (tiny SmolVLM folder, PaliGemma tokenizer in a private HF cache), the tiny π0
    architecture in lr, and LeRobot-created checkpoints of every case."""
    python = H.peer_python("0.6.1")
    if python is None:
        pytest.skip(H.install_hint())
    root = tmp_path_factory.mktemp("vla_peer")
    assets = root / "assets"
    hf_home = root / "hf"
    snapshot = hf_home / "hub" / "models--google--paligemma-3b-pt-224" / "snapshots" / ("0" * 40)
    assets_py = str(HERE.parent / "vla" / "assets.py")
    script = (
        "import importlib.util,sys;"
        f"s=importlib.util.spec_from_file_location('a', {assets_py!r});"
        "m=importlib.util.module_from_spec(s);s.loader.exec_module(m);"
        f"m.make_smolvlm({str(assets / 'smolvlm')!r});m.make_paligemma_tokenizer({str(snapshot)!r})"
    )
    subprocess.run([str(python), "-c", script], check=True, capture_output=True, timeout=300)
    # AutoTokenizer also reads the repository's config.json.
    (snapshot / "config.json").write_text('{"model_type": "paligemma"}')
    (snapshot.parents[1] / "refs").mkdir(parents=True, exist_ok=True)
    (snapshot.parents[1] / "refs" / "main").write_text("0" * 40)
    env = {"HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1"}
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    import lr_policies.pi0.backbone as backbone

    arch = backbone.openpi_architecture()
    arch |= {"vocab_size": A.TINY_VOCAB, "image_token_index": A.TINY_VOCAB - 1}
    arch["vision"] = {**arch["vision"], **A.TINY_SIGLIP}
    arch["gemma_variants"] = A.TINY_GEMMA
    mp.setattr(backbone, "openpi_architecture", lambda: arch)
    cases = [
        _case(kind, name, root / "lerobot" / f"{kind}_{name}", assets)
        for kind in ("smolvla", "pi0", "pi05")
        for name in ("cam1", "cam2_rtc")
    ]
    _peer({"mode": "create", "cases": cases}, root, env)
    yield {"root": root, "assets": assets, "env": env, "cases": cases}
    mp.undo()


def _ours(folder: Path, case: dict[str, Any], policy=None, pre=None, post=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from lr_policies.pretrained import PreTrainedPolicy
    from lr_policies.processors import load_pre_post_processors

    if policy is None:
        policy = PreTrainedPolicy.from_pretrained(folder)
        pre, post = load_pre_post_processors(folder)
    io = load_file(case["inputs"])
    raw: dict[str, Any] = {k[4:]: v for k, v in io.items() if k.startswith("raw.")}
    raw["task"] = list(TASKS)
    batch = pre(raw)
    out = {
        "tokens": batch["observation.language.tokens"].to(torch.int64),
        "token_mask": batch["observation.language.attention_mask"].to(torch.int64),
        "state": batch["observation.state"],
        "action": batch["action"],
    }
    policy.eval()
    with torch.no_grad():
        out["loss"] = policy.forward(dict(batch), noise=io["noise"], time=io["time"])[0].reshape(1)
    obs = {k: v for k, v in batch.items() if k.startswith("observation")}
    out["chunk"] = policy.predict_action_chunk(obs, noise=io["noise"])
    out["post"] = post(out["chunk"])
    if "rtc_prev" in io:
        out["chunk_rtc"] = policy.predict_action_chunk(
            obs,
            noise=io["noise"],
            prev_chunk_left_over=io["rtc_prev"],
            inference_delay=case["rtc_delay"],
            execution_horizon=case["rtc_horizon"],
        )
        assert (out["chunk_rtc"] - out["chunk"]).abs().max() > 1e-3  # the guidance acts
    return out


def _compare(ours: dict[str, Any], peer: dict[str, Any]) -> None:
    assert set(ours) == set(peer)
    assert torch.equal(ours["tokens"], peer["tokens"])
    assert torch.equal(ours["token_mask"], peer["token_mask"])
    diffs = {
        key: (ours[key].float() - peer[key].float()).abs().max().item()
        for key in sorted(set(ours) - {"tokens", "token_mask"})
    }
    assert max(diffs.values()) <= TOL, f"max |lr - LeRobot|: {diffs}"


CASES = [(k, n) for k in ("smolvla", "pi0", "pi05") for n in ("cam1", "cam2_rtc")]


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_lerobot_checkpoint_runs_in_lr(world, kind: str, name: str) -> None:  # type: ignore[no-untyped-def]
    case = next(c for c in world["cases"] if (c["type"], c["name"]) == (kind, name))
    folder = Path(case["dir"])
    _compare(_ours(folder, case), load_file(str(folder / "peer_out.safetensors")))


@pytest.fixture(scope="module")
def lr_written(world):  # type: ignore[no-untyped-def]
    """Checkpoints written by lr (random init, lr's processors), run by LeRobot."""
    from lr_core.policy import PolicyConfig
    from lr_policies.pretrained import policy_class_for
    from lr_policies.processors import make_pre_post_processors, save_pre_post_processors

    results = {}
    cases = []
    for kind, name in CASES:
        case = _case(kind, name, world["root"] / "lr" / f"{kind}_{name}", world["assets"])
        torch.manual_seed(5)
        config = PolicyConfig.from_dict(case["config"])
        policy = policy_class_for(config)(config)
        pre, post = make_pre_post_processors(config, dataset_stats=case["stats"])
        policy.save_pretrained(case["dir"])
        save_pre_post_processors((pre, post), case["dir"])
        results[(kind, name)] = _ours(Path(case["dir"]), case, policy, pre, post)
        cases.append(case)
    _peer({"mode": "load", "cases": cases}, world["root"], world["env"])
    return results, {(c["type"], c["name"]): c for c in cases}


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_lr_checkpoint_runs_in_lerobot(lr_written, kind: str, name: str) -> None:  # type: ignore[no-untyped-def]
    results, cases = lr_written
    peer = load_file(str(Path(cases[(kind, name)]["dir"]) / "peer_out.safetensors"))
    _compare(results[(kind, name)], peer)


FULL_FEATURES = _features({"front": [3, 512, 512]})


@pytest.fixture(scope="module")
def full_size_shapes(tmp_path_factory) -> dict[str, dict[str, list[int]]]:  # type: ignore[no-untyped-def]
    """LeRobot's full-size SmolVLA / π0 / π0.5 state-dict shapes (meta device, no weights).
    LeRobot reads SmolVLM2's config.json (and processor) from the Hub cache: a private cache
    holds lr's shipped copy of the published config, with a small tokenizer."""
    from lr_policies.smolvla.vlm_config import shipped_config

    root = tmp_path_factory.mktemp("vla_full")
    snapshot = (
        root / "hf" / "hub" / "models--HuggingFaceTB--SmolVLM2-500M-Video-Instruct" / "snapshots"
    ) / ("0" * 40)
    assets_py = str(HERE.parent / "vla" / "assets.py")
    script = (
        "import importlib.util,sys;"
        f"s=importlib.util.spec_from_file_location('a', {assets_py!r});"
        "m=importlib.util.module_from_spec(s);s.loader.exec_module(m);"
        f"m.make_smolvlm({str(snapshot)!r})"
    )
    python = H.peer_python("0.6.1")
    if python is None:
        pytest.skip(H.install_hint())
    subprocess.run([str(python), "-c", script], check=True, capture_output=True, timeout=300)
    (snapshot / "config.json").write_text(json.dumps(shipped_config(A_SMOLVLM2)))
    (snapshot.parents[1] / "refs").mkdir(parents=True, exist_ok=True)
    (snapshot.parents[1] / "refs" / "main").write_text("0" * 40)
    cases = [
        {"type": kind, "config": {"type": kind, "device": "cpu", **FULL_FEATURES}}
        for kind in ("smolvla", "pi0", "pi05")
    ]
    out = root / "shapes.json"
    env = {"HF_HOME": str(root / "hf"), "HF_HUB_OFFLINE": "1"}
    _peer({"mode": "shapes", "cases": cases, "out": str(out)}, root, env)
    return json.loads(out.read_text())


A_SMOLVLM2 = "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"


@pytest.mark.parametrize("kind", ["smolvla", "pi0", "pi05"])
def test_full_size_state_dict_matches_lerobot(full_size_shapes, kind: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The default (full-size) architectures, from lr's shipped configs, have LeRobot's
    parameter names and shapes (SmolVLA ~450M, π0/π0.5 ~3.5B parameters)."""
    import lr_policies.pi0.backbone as backbone
    from lr_core.policy import PolicyConfig
    from lr_policies.pretrained import policy_class_for

    # the shipped architecture, whatever the small-config fixtures patched in
    monkeypatch.setattr(backbone, "openpi_architecture", SHIPPED_ARCHITECTURE)

    config = PolicyConfig.from_dict({"type": kind, **FULL_FEATURES})
    with torch.device("meta"):
        policy = policy_class_for(config)(config)
    ours = {k: list(v.shape) for k, v in policy.state_dict().items()}
    theirs = full_size_shapes[kind]
    assert sorted(set(theirs) - set(ours)) == []
    assert sorted(set(ours) - set(theirs)) == []
    assert {k: v for k, v in ours.items() if theirs[k] != v} == {}
    n_params = sum(torch.Size(s).numel() for s in ours.values())
    assert n_params > (4e8 if kind == "smolvla" else 3e9)


def test_aloha_adaptation_matches_lerobot() -> None:
    """SmolVLA's adapt_to_pi_aloha conversions give LeRobot's numbers."""
    from lr_policies.smolvla import aloha

    python = H.peer_python("0.6.1")
    if python is None:
        pytest.skip(H.install_hint())
    values = torch.linspace(0.02, 0.055, 14).repeat(2, 1)
    values[:, 1] = -0.3
    script = (
        "import json,sys,torch;from lerobot.policies.smolvla import modeling_smolvla as m;"
        "x=torch.tensor(json.loads(sys.argv[1]));p=m.SmolVLAPolicy.__new__(m.SmolVLAPolicy);"
        "s=p._pi_aloha_decode_state(x.clone());a=p._pi_aloha_encode_actions(x.clone()[:,None]);"
        "i=p._pi_aloha_encode_actions_inv(x.clone()[:,None]);"
        "print(json.dumps([s.tolist(),a.tolist(),i.tolist()]))"
    )
    done = subprocess.run(
        [str(python), "-c", script, json.dumps(values.tolist())],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    state, actions, inverse = (torch.tensor(v) for v in json.loads(done.stdout.splitlines()[-1]))
    torch.testing.assert_close(aloha.decode_state(values), state)
    torch.testing.assert_close(aloha.encode_actions(values[:, None]), actions)
    torch.testing.assert_close(aloha.encode_actions_inv(values[:, None]), inverse)
