"""Real-time chunking (RTC) for flow-matching policies: the config (no torch), the guided
denoising step and the action queue an inference server keeps. Names resolve lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "RTCConfig": "lr_policies.rtc.config",
    "RTCAttentionSchedule": "lr_policies.rtc.config",
    "prefix_weights": "lr_policies.rtc.guidance",
    "guidance_weight": "lr_policies.rtc.guidance",
    "RTCGuidance": "lr_policies.rtc.guidance",
    "ActionQueue": "lr_policies.rtc.queue",
    "rtc_predict_chunk": "lr_policies.rtc.queue",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from lr_policies.rtc.config import RTCAttentionSchedule, RTCConfig
    from lr_policies.rtc.guidance import RTCGuidance, guidance_weight, prefix_weights
    from lr_policies.rtc.queue import ActionQueue, rtc_predict_chunk
