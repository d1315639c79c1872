"""Real-time chunking: LeRobot 0.6.1's prefix weights and guidance weight, the guided step, and
the queue an asynchronous loop keeps."""

from __future__ import annotations

import pytest
import torch

from lr_policies.errors import PolicyError
from lr_policies.rtc import ActionQueue, RTCConfig, RTCGuidance, guidance_weight, prefix_weights
from lr_policies.rtc.queue import rtc_predict_chunk


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("LINEAR", [1, 1, 0.75, 0.5, 0.25, 0, 0, 0]),
        ("ZEROS", [1, 1, 0, 0, 0, 0, 0, 0]),
        ("ONES", [1, 1, 1, 1, 1, 0, 0, 0]),
    ],
)
def test_prefix_weights(schedule: str, expected: list[float]) -> None:
    # inference delay 2, execution horizon 5, chunk 8 (LeRobot's get_prefix_weights)
    torch.testing.assert_close(
        prefix_weights(schedule, 2, 5, 8), torch.tensor(expected, dtype=torch.float32)
    )


def test_exp_schedule_bends_the_ramp() -> None:
    w = prefix_weights("EXP", 2, 5, 8)
    ramp = torch.tensor([0.75, 0.5, 0.25])
    torch.testing.assert_close(w[2:5], ramp * torch.expm1(ramp) / (torch.e - 1))
    assert w[:2].tolist() == [1, 1] and w[5:].tolist() == [0, 0, 0]


def test_delay_beyond_the_horizon_is_capped() -> None:
    assert prefix_weights("LINEAR", 9, 4, 6).tolist() == [1, 1, 1, 1, 0, 0]


def test_guidance_weight() -> None:
    assert guidance_weight(1.0, 10.0).item() == 10.0  # τ = 0: capped
    assert guidance_weight(0.5, 10.0).item() == pytest.approx(2.0)  # c = 1, 1/r² = 2
    assert guidance_weight(0.1, 5.0).item() == 5.0


def test_guided_step_pulls_toward_the_leftover() -> None:
    config = RTCConfig(execution_horizon=3, max_guidance_weight=10.0)
    prev = torch.ones(1, 3, 2)
    guide = RTCGuidance(config, prev, inference_delay=1)
    x = torch.zeros(1, 5, 2)
    v = torch.full((1, 5, 2), 0.5)
    out = guide(x, 0.5, lambda _: v)
    # x0_hat = x - t·v = -0.25; error (Y - x0_hat) · W with W = [1, 2/3, 1/3, 0, 0] (delay 1,
    # horizon 3) and Y the left-over padded with zeros
    weights = torch.tensor([1.0, 2 / 3, 1 / 3, 0, 0])[None, :, None]
    expected = v - 2.0 * (torch.cat([prev, torch.zeros(1, 2, 2)], 1) + 0.25) * weights
    torch.testing.assert_close(out, expected)


def test_queue_replaces_with_rtc_and_appends_without() -> None:
    chunk = torch.arange(6.0)[:, None]
    q = ActionQueue(rtc=True)
    assert q.get() is None and q.leftover() is None
    q.merge(chunk, chunk * 10)
    assert q.get().item() == 0 and q.get().item() == 10
    assert q.leftover()[:, 0].tolist() == [2, 3, 4, 5]
    q.merge(chunk + 100, (chunk + 100) * 10, delay=2)  # two actions ran meanwhile
    assert q.qsize() == 4 and q.get().item() == 1020
    q = ActionQueue(rtc=False)
    q.merge(chunk, chunk)
    q.get()
    q.merge(chunk + 100, chunk + 100)
    assert q.qsize() == 11 and q.get().item() == 1
    q.clear()
    assert q.qsize() == 0


def test_rtc_predict_chunk_needs_an_rtc_policy() -> None:
    class NoRTC:
        config = None

    with pytest.raises(PolicyError, match="does not support"):
        rtc_predict_chunk(NoRTC(), {}, None, inference_delay=0)

    class Off:
        class config:
            rtc_config = None

        def supports_rtc(self) -> bool:
            return True

    with pytest.raises(PolicyError, match="rtc_config"):
        rtc_predict_chunk(Off(), {}, None, inference_delay=0)
