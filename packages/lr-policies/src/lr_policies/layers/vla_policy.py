"""What the flow-matching VLA policies share around their networks: padding of state/action
vectors, the action queue of ``select_action`` (with real-time chunking; the policy methods
around it in :class:`ChunkQueuePolicy`), and the masked flow-matching loss.

Shapes: B batch, T chunk length, A action size (``A_pad`` after padding to ``max_action_dim``).
"""

from __future__ import annotations

import abc
from collections import deque
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from lr_policies.errors import PolicyError
from lr_policies.pretrained import PreTrainedPolicy
from lr_policies.rtc.config import RTCConfig
from lr_policies.rtc.guidance import RTCGuidance


def pad_vector(vector: Tensor, new_dim: int) -> Tensor:
    """Zero-pad the last dimension to ``new_dim`` (longer vectors are returned unchanged)."""
    if vector.shape[-1] >= new_dim:
        return vector
    return F.pad(vector, (0, new_dim - vector.shape[-1]))


def rtc_guide(
    rtc_config: RTCConfig | None,
    prev_chunk_left_over: Tensor | None,
    inference_delay: int | None,
    execution_horizon: int | None,
) -> RTCGuidance | None:
    """The guidance of one chunk, or ``None`` (RTC off, or no previous chunk yet)."""
    if rtc_config is None or not rtc_config.enabled or prev_chunk_left_over is None:
        return None
    if inference_delay is None:
        raise PolicyError("real-time chunking needs inference_delay (actions executed meanwhile)")
    return RTCGuidance(rtc_config, prev_chunk_left_over, int(inference_delay), execution_horizon)


def masked_mean(losses: Tensor, action_is_pad: Tensor | None) -> Tensor:
    """Mean of (B, T, A) losses over the steps inside the episode (``action_is_pad`` False)."""
    if action_is_pad is None:
        return losses.mean()
    losses = losses * (~action_is_pad).unsqueeze(-1)
    return losses.sum() / ((~action_is_pad).sum() * losses.shape[-1]).clamp_min(1)


class ChunkQueue:
    """The actions ``select_action`` hands out one at a time.

    Without RTC: the first ``n_action_steps`` of each new chunk are queued (LeRobot's queue).
    With RTC enabled: the whole chunk is kept; after ``n_action_steps`` actions the next chunk is
    denoised with guidance toward the rest of the current one (its leftover), and the queue
    continues from the new chunk's action ``inference_delay`` (those actions ran meanwhile on an
    asynchronous robot; 0 when the robot waits for the policy).
    """

    def __init__(self, n_action_steps: int) -> None:
        self.n_action_steps = n_action_steps
        self.reset()

    def reset(self) -> None:
        self._queue: deque[Tensor] = deque()
        self._chunk: Tensor | None = None  # (B, T, A) the current chunk (RTC)
        self._index = 0

    def __len__(self) -> int:
        return len(self._queue)

    def push(self, chunk: Tensor) -> None:
        """Queue the first ``n_action_steps`` actions of a new chunk (B, T, A)."""
        self._queue.extend(chunk[:, : self.n_action_steps].transpose(0, 1))

    def leftover(self) -> Tensor | None:
        """The current chunk's actions not handed out yet (B, T', A), or ``None``."""
        if self._chunk is None:
            return None
        return self._chunk[:, self._index :]

    def replace(self, chunk: Tensor, delay: int) -> None:
        """RTC: continue from action ``delay`` of the new chunk; refill after ``n_action_steps``."""
        self._chunk = chunk
        self._index = max(0, min(delay, chunk.shape[1]))
        self._queue = deque(
            chunk[:, self._index : self._index + self.n_action_steps].transpose(0, 1)
        )

    def pop(self) -> Tensor:
        self._index += 1
        return self._queue.popleft()


def select_from_queue(
    queue: ChunkQueue,
    predict: Any,
    batch: dict[str, Tensor],
    rtc_config: RTCConfig | None,
    inference_delay: int,
    execution_horizon: int | None,
) -> Tensor:
    """``select_action``'s logic shared by the VLAs (``predict(batch, **rtc_kwargs)`` gives a
    chunk (B, T, A))."""
    if len(queue) == 0:
        if rtc_config is not None and rtc_config.enabled:
            chunk = predict(
                batch,
                prev_chunk_left_over=queue.leftover(),
                inference_delay=inference_delay,
                execution_horizon=execution_horizon,
            )
            queue.replace(chunk, inference_delay if queue.leftover() is not None else 0)
        else:
            queue.push(predict(batch))
    return queue.pop()


class ChunkQueuePolicy(PreTrainedPolicy):
    """A policy whose ``select_action``, ``reset`` and ``supports_rtc`` hand out the chunks of
    its ``predict_action_chunk(batch, noise, *, prev_chunk_left_over, inference_delay,
    execution_horizon)`` through a :class:`ChunkQueue`, with real-time chunking when the
    config's ``rtc_config`` is enabled (SmolVLA, π0, π0.5).

    Subclasses implement :meth:`predict_action_chunk` and :meth:`forward`; the config has
    ``n_action_steps`` and ``rtc_config``.
    """

    #: the subclass's config, with ``n_action_steps`` and ``rtc_config``
    config: Any

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._queue = ChunkQueue(config.n_action_steps)

    @abc.abstractmethod
    def predict_action_chunk(
        self,
        batch: dict[str, Tensor],
        noise: Tensor | None = None,
        *,
        prev_chunk_left_over: Tensor | None = None,
        inference_delay: int | None = None,
        execution_horizon: int | None = None,
        **kwargs: Any,
    ) -> Tensor:
        """(B, T, D_action) normalised actions; ``noise`` (B, T, A_pad) fixes the start of the
        flow; the RTC arguments guide it toward ``prev_chunk_left_over`` (B, T', A)."""

    def supports_rtc(self) -> bool:
        """Real-time chunking is available (``predict_action_chunk(prev_chunk_left_over=...)``)."""
        return True

    def reset(self) -> None:
        """Forget queued actions (call at each episode start)."""
        self._queue.reset()

    @torch.no_grad()
    def select_action(
        self,
        batch: dict[str, Tensor],
        noise: Tensor | None = None,
        *,
        inference_delay: int = 0,
        execution_horizon: int | None = None,
        **kwargs: Any,
    ) -> Tensor:
        """The next action (B, D_action). A new chunk is predicted when the queue is empty;
        with ``rtc_config.enabled`` it is guided toward the current chunk's leftover (see
        :class:`ChunkQueue`). ``noise`` (B, T, A_pad) fixes the start of each new chunk's flow."""
        self.eval()

        def predict(b: dict[str, Tensor], **rtc: Any) -> Tensor:
            return self.predict_action_chunk(b, noise, **rtc)

        return select_from_queue(
            self._queue, predict, batch, self.config.rtc_config, inference_delay, execution_horizon
        )
