"""Against the installed LeRobot peers (``-m peer``): fresh checkpoints with full ResNet-18
backbones, written by LeRobot 0.6.1 and 0.4.4 now, load strictly through ``from_pretrained`` and
give LeRobot's outputs; the checked-in fixtures regenerate identically (same script)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file


def _helpers():  # type: ignore[no-untyped-def]
    import importlib.util

    path = Path(__file__).with_name("conftest.py")
    spec = importlib.util.spec_from_file_location("lr_policies_peer_compat_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _helpers()
MAKER, load_case, peer_python = H.MAKER, H.load_case, H.peer_python

pytestmark = pytest.mark.peer

TOL = 1e-5


def _generate(version: str, tag: str, cases: str, out: Path) -> Path:
    python = peer_python(version)
    if python is None:
        pytest.skip(H.install_hint())
    cmd = [str(python), str(MAKER), str(out), "--version-tag", tag, "--cases", cases, "--full"]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
    return out


@pytest.fixture(scope="module")
def fresh_v061(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("peer061")
    return _generate("0.6.1", "v061", "act,act_cam,diffusion_cam,diffusion_ddim", out)


@pytest.fixture(scope="module")
def fresh_v044(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return _generate("0.4.4", "v044", "act,act_cam", tmp_path_factory.mktemp("peer044"))


def _check_act(folder: Path) -> None:
    assert (folder / "model.safetensors").exists()  # full backbone: loads through from_pretrained
    policy, inputs, outputs = load_case(folder)
    obs = {k: v for k, v in inputs.items() if k.startswith("observation.")}
    chunk = policy.predict_action_chunk(obs)
    assert (chunk - outputs["chunk"]).abs().max().item() <= TOL


@pytest.mark.parametrize("case", ["act_v061", "act_cam_v061"])
def test_act_061(fresh_v061: Path, case: str) -> None:
    _check_act(fresh_v061 / case)


@pytest.mark.parametrize("case", ["act_v044", "act_cam_v044"])
def test_act_044(fresh_v044: Path, case: str) -> None:
    _check_act(fresh_v044 / case)


@pytest.mark.parametrize("case", ["diffusion_cam_v061", "diffusion_ddim_v061"])
def test_diffusion_061(fresh_v061: Path, case: str) -> None:
    policy, inputs, outputs = load_case(fresh_v061 / case)
    obs = {k: v for k, v in inputs.items() if k.startswith("observation.")}
    torch.manual_seed(6)
    chunk = policy.predict_action_chunk(obs, noise=inputs["noise"])
    assert (chunk - outputs["chunk_noise"]).abs().max().item() <= TOL


@pytest.mark.parametrize("case", ["act_v061", "diffusion_ddim_v061"])
def test_checked_in_fixtures_are_reproducible(fresh_v061: Path, case: str) -> None:
    here = Path(__file__).resolve().parents[1] / "fixtures" / "peer" / case
    for name in ("model.safetensors", "io.safetensors"):
        ours, fresh = load_file(str(here / name)), load_file(str(fresh_v061 / case / name))
        assert ours.keys() == fresh.keys()
        assert all(torch.equal(ours[k], fresh[k]) for k in ours)
