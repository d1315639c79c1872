"""SmolVLA, π0 and π0.5 in lr alone: training steps, the prefix cache, checkpoints, fine-tuning
switches and ``select_action`` (LeRobot parity is in tests/peer_compat/test_vla_peer.py)."""

from __future__ import annotations

import pytest
import torch

from lr_policies.layers.prefix_lm import make_att_2d_masks, positions, suffix_masks
from lr_policies.pretrained import PreTrainedPolicy


def _helpers():  # type: ignore[no-untyped-def]
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "vla_tiny", Path(__file__).with_name("conftest.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _helpers()
make_tiny, raw_batch = H.make_tiny, H.raw_batch

KINDS = ["smolvla", "pi0", "pi05"]


@pytest.fixture
def built(vla_assets, tiny_pi):  # type: ignore[no-untyped-def]
    return lambda kind, **update: make_tiny(kind, vla_assets, **update)


@pytest.mark.parametrize("kind", KINDS)
def test_a_few_steps_lower_the_loss_on_one_batch(built, kind: str) -> None:
    policy, pre, _ = built(kind, train_expert_only=False, freeze_vision_encoder=False)
    batch = pre(raw_batch())
    noise = torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(0))
    time = torch.tensor([0.4, 0.7])
    opt = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=3e-3)
    policy.train()
    losses = []
    for _ in range(8):
        loss, info = policy(batch, noise=noise, time=time)
        assert info["loss"] == pytest.approx(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("kind", KINDS)
def test_cached_denoising_equals_the_joint_pass(built, kind: str) -> None:
    """The prefix's keys/values computed once give the velocity a full prefix+suffix pass gives."""
    policy, pre, _ = built(kind)
    policy.eval()
    batch = pre(raw_batch())
    model = policy.model
    images, masks, tokens, token_masks, state = policy._inputs(batch)
    x_t = torch.randn(2, 6, 8)
    time = torch.tensor([0.3, 0.9])
    with torch.no_grad():
        if kind == "smolvla":
            prefix, p_pad, p_ar = model.embed_prefix(images, masks, tokens, token_masks, state)
            suffix, s_pad, s_ar = model.embed_suffix(x_t, time)
            backbone, cond = model.vlm_with_expert, ()
        else:
            prefix, p_pad, p_ar = model.embed_prefix(images, masks, tokens, token_masks)
            suffix, s_pad, s_ar, c = model.embed_suffix(state, x_t, time)
            backbone, cond = model.paligemma_with_expert, (c,)
        pad = torch.cat([p_pad, s_pad], 1)
        ar = torch.cat([p_ar.to(s_ar.dtype), s_ar], 1)
        joint = backbone(prefix, suffix, make_att_2d_masks(pad, ar), positions(pad), *cond)
        cache = backbone.fill_cache(prefix, make_att_2d_masks(p_pad, p_ar), positions(p_pad))
        pos = p_pad.sum(-1)[:, None] + torch.cumsum(s_pad, 1) - 1
        cached = backbone.denoise(suffix, cache, suffix_masks(p_pad, s_pad, s_ar), pos, *cond)
    torch.testing.assert_close(cached, joint, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_checkpoint_round_trip(built, kind: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lr_policies.processors import load_pre_post_processors, save_pre_post_processors

    policy, pre, post = built(kind)
    policy.save_pretrained(tmp_path)
    save_pre_post_processors((pre, post), tmp_path)
    loaded = PreTrainedPolicy.from_pretrained(tmp_path)
    pre2, post2 = load_pre_post_processors(tmp_path)
    noise = torch.randn(2, 6, 8)
    a = post(policy.predict_action_chunk(pre(raw_batch()), noise=noise))
    b = post2(loaded.predict_action_chunk(pre2(raw_batch()), noise=noise))
    torch.testing.assert_close(a, b)
    assert a.shape == (2, 6, 4)


def test_smolvla_fine_tuning_switches(built) -> None:
    policy, _, _ = built("smolvla")  # LeRobot's defaults: expert + projections only
    vwe = policy.model.vlm_with_expert
    assert not any(p.requires_grad for p in vwe.vlm.parameters())
    assert all(p.requires_grad for p in vwe.lm_expert.parameters())
    assert all(p.requires_grad for p in policy.model.state_proj.parameters())
    policy.train()
    assert not vwe.vlm.training and vwe.lm_expert.training
    policy, _, _ = built("smolvla", train_expert_only=False, train_state_proj=False)
    vwe = policy.model.vlm_with_expert
    assert not any(p.requires_grad for p in vwe.vlm.model.vision_model.parameters())
    text = vwe.vlm.model.text_model
    assert all(p.requires_grad for p in text.layers[0].parameters())
    assert not any(p.requires_grad for p in text.layers[-1].parameters())  # unused: frozen
    assert not any(p.requires_grad for p in policy.model.state_proj.parameters())
    trainable = {id(p) for p in policy.get_optim_params()}
    assert trainable == {id(p) for p in policy.parameters() if p.requires_grad}


@pytest.mark.parametrize("kind", ["pi0", "pi05"])
def test_pi_fine_tuning_switches(built, kind: str) -> None:
    policy, _, _ = built(kind, freeze_vision_encoder=True)
    pwe = policy.model.paligemma_with_expert
    assert not any(p.requires_grad for p in pwe.paligemma.model.vision_tower.parameters())
    assert all(p.requires_grad for p in pwe.language_model.parameters())
    policy, _, _ = built(kind, train_expert_only=True)
    pwe = policy.model.paligemma_with_expert
    assert not any(p.requires_grad for p in pwe.paligemma.parameters())
    assert all(p.requires_grad for p in pwe.gemma_expert.model.layers.parameters())


@pytest.mark.parametrize("kind", KINDS)
def test_select_action_queues_n_action_steps(built, kind: str) -> None:
    policy, pre, _ = built(kind)
    batch = pre(raw_batch())
    noise = torch.randn(2, 6, 8)
    chunk = policy.predict_action_chunk(batch, noise=noise)
    policy.reset()
    got = torch.stack([policy.select_action(batch, noise=noise) for _ in range(4)], 1)
    torch.testing.assert_close(got, chunk[:, :4])
    calls = []
    original = policy.predict_action_chunk
    policy.predict_action_chunk = lambda *a, **k: calls.append(k) or original(*a, **k)  # type: ignore[method-assign]
    policy.select_action(batch, noise=noise)
    assert len(calls) == 1  # a new chunk after n_action_steps


@pytest.mark.parametrize("kind", KINDS)
def test_select_action_with_rtc_guides_toward_the_leftover(built, kind: str) -> None:
    policy, pre, _ = built(kind, rtc_config={"execution_horizon": 4}, n_action_steps=2)
    batch = pre(raw_batch())
    calls: list[dict] = []
    original = policy.predict_action_chunk

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = original(*args, **kwargs)
        calls.append({**kwargs, "out": out})
        return out

    policy.predict_action_chunk = spy  # type: ignore[method-assign]
    first = [policy.select_action(batch, inference_delay=1) for _ in range(2)]
    assert calls[0]["prev_chunk_left_over"] is None  # nothing to join yet
    torch.testing.assert_close(torch.stack(first, 1), calls[0]["out"][:, :2])
    second = policy.select_action(batch, inference_delay=1)
    assert len(calls) == 2
    torch.testing.assert_close(calls[1]["prev_chunk_left_over"], calls[0]["out"][:, 2:])
    assert calls[1]["inference_delay"] == 1
    # The new chunk continues from its action `inference_delay` (one ran while it was computed).
    torch.testing.assert_close(second, calls[1]["out"][:, 1])


def test_make_policy_takes_features_and_action_names_from_the_dataset(tiny_pi, vla_assets) -> None:  # type: ignore[no-untyped-def]
    from lr_policies import make_policy

    features = {
        "observation.state": {"dtype": "float32", "shape": [5], "names": list("abcde")},
        "observation.images.top": {
            "dtype": "video",
            "shape": [24, 40, 3],
            "names": ["height", "width", "channels"],
        },
        "action": {"dtype": "float32", "shape": [4], "names": ["a", "b", "c", "gripper"]},
    }
    config = H.tiny_config("pi0", vla_assets, use_relative_actions=True)
    config = config.model_copy(update={"input_features": {}, "output_features": {}})
    policy = make_policy(config, features)
    assert policy.config.action_feature_names == ["a", "b", "c", "gripper"]
    assert set(policy.config.input_features) == {"observation.state", "observation.images.top"}


def test_pi0_gradient_checkpointing_gives_the_same_gradients(built) -> None:  # type: ignore[no-untyped-def]
    grads = []
    for flag in (False, True):
        policy, pre, _ = built("pi0", gradient_checkpointing=flag)
        assert policy.model.paligemma_with_expert.gradient_checkpointing is flag
        policy.train()
        loss, _ = policy(pre(raw_batch()), noise=torch.ones(2, 6, 8), time=torch.tensor([0.2, 0.6]))
        loss.backward()
        grads.append(
            torch.cat([p.grad.flatten() for p in policy.parameters() if p.grad is not None])
        )
    torch.testing.assert_close(grads[0], grads[1])


def test_smolvla_aloha_adaptation_round_trips() -> None:
    from lr_policies.smolvla import aloha

    actions = torch.rand(2, 3, 14) * 0.5 + 0.2
    back = aloha.gripper_from_angular(aloha.gripper_from_angular_inv(actions[..., 6]))
    torch.testing.assert_close(back, actions[..., 6])
    flipped = aloha.encode_actions(actions)
    torch.testing.assert_close(flipped[..., 1], -actions[..., 1])


def test_smolvla_load_vlm_weights_starts_from_the_pretrained_vlm(vla_assets, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """load_vlm_weights copies a pretrained VLM (here a local folder) into the first layers, in
    bfloat16; loading a checkpoint does not fetch it."""
    import shutil

    from transformers import AutoConfig, SmolVLMForConditionalGeneration

    folder = tmp_path / "vlm"
    shutil.copytree(vla_assets["smolvlm"], folder)
    torch.manual_seed(9)
    source = SmolVLMForConditionalGeneration(AutoConfig.from_pretrained(str(folder)))
    source.save_pretrained(str(folder))
    policy, _, _ = make_tiny(
        "smolvla", {"smolvlm": folder}, load_vlm_weights=True, num_vlm_layers=2
    )
    ours = policy.model.vlm_with_expert.vlm.state_dict()
    theirs = source.state_dict()
    assert len(policy.model.vlm_with_expert.text_model.layers) == 2
    for key, value in ours.items():
        assert value.dtype == torch.bfloat16
        torch.testing.assert_close(value, theirs[key].to(torch.bfloat16))
    policy.save_pretrained(tmp_path / "ckpt")
    shutil.rmtree(folder / "model.safetensors", ignore_errors=True)
    (folder / "model.safetensors").unlink(missing_ok=True)
    loaded = PreTrainedPolicy.from_pretrained(tmp_path / "ckpt")  # the VLM is not fetched again
    torch.testing.assert_close(loaded.model.vlm_with_expert.vlm.state_dict()[key], ours[key])
    with pytest.raises(Exception, match="load_vlm_weights"):
        make_tiny("smolvla", {"smolvlm": folder}, load_vlm_weights=True)


@pytest.mark.parametrize("kind", ["pi0", "pi05"])
def test_pi_float32_runs_on_onednn_within_rounding_of_plain_linears(built, kind: str) -> None:
    """π0 / π0.5 in float32 switch their Linears, and their SigLIP tower's attention and MLPs,
    to oneDNN (lr_policies.layers): the state dict is unchanged and the chunk and the loss equal
    plain modules' up to summation order; the bfloat16 mix keeps torch's own Linears."""
    from torch import nn

    from lr_policies.layers.linear import Linear

    policy, pre, _ = built(kind)
    linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
    assert linears and all(type(m) is Linear for m in linears)
    keys = set(policy.state_dict())
    batch = pre(raw_batch())
    noise = torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(0))
    time = torch.tensor([0.4, 0.7])
    fast_chunk = policy.predict_action_chunk(batch, noise=noise)
    fast_loss, _ = policy(batch, noise=noise, time=time)
    patched = [m for m in policy.modules() if "forward" in vars(m)]
    assert patched  # the SigLIP tower's attention and MLPs (oneDNN, inference)
    for m in linears:
        m.__class__ = nn.Linear
    for m in patched:
        del m.forward  # the module's own forward again
    assert set(policy.state_dict()) == keys
    plain_chunk = policy.predict_action_chunk(batch, noise=noise)
    plain_loss, _ = policy(batch, noise=noise, time=time)
    torch.testing.assert_close(fast_chunk, plain_chunk, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast_loss, plain_loss, atol=1e-6, rtol=1e-5)

    bf16, _, _ = built(kind, dtype="bfloat16")
    assert not any(type(m) is Linear for m in bf16.modules())


def test_smolvla_cpu_inference_paths_equal_torchs_own_modules(built) -> None:
    """SmolVLA's SigLIP tower runs its Linears, MLPs and attention on oneDNN (float32 on CPU),
    its expert's bfloat16 Linears use pre-packed weights; the VLM text model and the float32
    projections (the path RTC differentiates through) stay torch's. The state dict is
    unchanged and the chunk equals the one with every module on its own forward up to float32
    rounding (the full-size chunk, where bf16 roundings amplify it, is compared in
    tools/bench)."""
    from torch import nn

    from lr_policies.layers.linear import Linear, PackedLinear

    policy, pre, _ = built("smolvla")
    vwe = policy.model.vlm_with_expert
    vision = vwe.vlm.model.vision_model
    in_vision = {id(m) for m in vision.modules()}
    in_expert = {id(m) for m in vwe.lm_expert.modules()}
    linears = [m for m in policy.modules() if isinstance(m, nn.Linear)]
    switched = [m for m in linears if type(m) is Linear]
    packed = [m for m in linears if type(m) is PackedLinear]
    assert switched and {id(m) for m in switched} == {id(m) for m in linears if id(m) in in_vision}
    assert packed and {id(m) for m in packed} == {id(m) for m in linears if id(m) in in_expert}
    patched = [m for m in vision.modules() if "forward" in vars(m)]
    assert len(patched) == 2 * len(vision.encoder.layers)  # each layer's attention and MLP
    keys = set(policy.state_dict())
    batch = pre(raw_batch())
    noise = torch.randn(2, 6, 8, generator=torch.Generator().manual_seed(0))
    fast_chunk = policy.predict_action_chunk(batch, noise=noise)
    for m in switched + packed:
        m.__class__ = nn.Linear
    for m in patched:
        del m.forward  # the module's own forward again
    assert set(policy.state_dict()) == keys
    plain_chunk = policy.predict_action_chunk(batch, noise=noise)
    torch.testing.assert_close(fast_chunk, plain_chunk, atol=1e-4, rtol=0)
