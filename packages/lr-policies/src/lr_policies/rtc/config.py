"""Real-time chunking options (LeRobot 0.6.1's ``RTCConfig``; no torch).

Black, Galliker and Levine, "Real-Time Execution of Action Chunking Flow Policies" (2025),
https://www.physicalintelligence.company/research/real_time_chunking. The fields, their names
and defaults are LeRobot's, so a ``config.json`` holding ``"rtc_config": {...}`` reads the same
in either tool.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from lr_core.config import LrConfig


class RTCAttentionSchedule(StrEnum):
    """How the guidance weight falls along the chunk (LeRobot's ``RTCAttentionSchedule``).

    ``ZEROS``: 1 on the frozen prefix (the first ``inference_delay`` actions), 0 after it.
    ``ONES``: 1 up to the execution horizon, 0 after it. ``LINEAR``: 1 on the frozen prefix,
    then falling linearly to 0 at the execution horizon. ``EXP``: as LINEAR, bent by
    ``w · expm1(w) / (e − 1)``.
    """

    ZEROS = "ZEROS"
    ONES = "ONES"
    LINEAR = "LINEAR"
    EXP = "EXP"


class RTCConfig(LrConfig):
    """Real-time chunking: denoise the next chunk with guidance toward the part of the previous
    chunk that is still queued, so consecutive chunks join without a jump.

    - ``execution_horizon``: how many actions of the previous chunk's leftover guide the new
      one (capped by the leftover's length).
    - ``max_guidance_weight``: the cap of the guidance weight (β in the paper).
    - ``prefix_attention_schedule``: the weights along the chunk (:class:`RTCAttentionSchedule`).
    - ``debug`` / ``debug_maxlen``: record the denoising steps (kept for LeRobot's files; lr
      does not record them).
    """

    enabled: bool = True
    prefix_attention_schedule: RTCAttentionSchedule = RTCAttentionSchedule.LINEAR
    max_guidance_weight: float = Field(10.0, gt=0)
    execution_horizon: int = Field(10, ge=1)
    debug: bool = False
    debug_maxlen: int = Field(100, gt=0)
