"""MP4 video with PyAV, in three parts: :mod:`~lr_dataset.video.encode` (encoder settings,
background episode encoding; :mod:`~lr_dataset.video.encoder_process` for libsvtav1, in child
processes that survive its hangs), :mod:`~lr_dataset.video.files` (probing, appending an
episode to a shared file) and :mod:`~lr_dataset.video.decode` (frame-accurate decoding by
timestamp).

Names resolve lazily; none of these modules imports PyAV until it encodes or decodes
(:mod:`lr_dataset.video.pyav`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lr_core.lazy import lazy_exports

_EXPORTS = {
    "VideoEncoderConfig": "lr_dataset.video.encode",
    "EpisodeEncoder": "lr_dataset.video.encode",
    "available_encoders": "lr_dataset.video.encode",
    "ProcessEpisodeEncoder": "lr_dataset.video.encoder_process",
    "probe": "lr_dataset.video.files",
    "duration_s": "lr_dataset.video.files",
    "append_episode": "lr_dataset.video.files",
    "VideoDecoder": "lr_dataset.video.decode",
    "write_chw_rgb": "lr_dataset.video.decode",
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from lr_dataset.video.decode import VideoDecoder, write_chw_rgb
    from lr_dataset.video.encode import EpisodeEncoder, VideoEncoderConfig, available_encoders
    from lr_dataset.video.encoder_process import ProcessEpisodeEncoder
    from lr_dataset.video.files import append_episode, duration_s, probe
