"""The configuration of ``lr record``: LeRobot 0.6.1's ``RecordConfig`` and
``DatasetRecordConfig`` fields, names and defaults, plus ``--policy.*`` (cheap to import).

Fields LeRobot has for tuning its own writer (image-writer processes and threads, batch
encoding, streaming encoding) are accepted and change nothing: lr always encodes video in
background threads while recording (``lr_dataset.writer``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from lr_core.config import LrConfig
from lr_core.devices import RobotConfig, TeleoperatorConfig
from lr_core.errors import ConfigError


class RGBEncoderConfig(LrConfig):
    """Video encoder settings (LeRobot's ``--dataset.rgb_encoder.*``): ``vcodec``
    (``libsvtav1``/``av1``, ``h264``, ``hevc``...), ``pix_fmt``, ``g`` (keyframe interval),
    ``crf`` (quality, lower is better), ``preset``, ``fast_decode``, ``extra_options``."""

    vcodec: str = "libsvtav1"
    pix_fmt: str = "yuv420p"
    g: int | None = 2
    crf: int | float | None = 30
    preset: int | str | None = None
    fast_decode: int = 0
    video_backend: str = "pyav"
    extra_options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("vcodec")
    @classmethod
    def _auto(cls, value: str) -> str:
        # LeRobot's "auto" picks a hardware encoder when one exists, else libsvtav1; lr encodes
        # with PyAV's software encoders, so "auto" is libsvtav1
        return "libsvtav1" if value == "auto" else value


class DatasetRecordConfig(LrConfig):
    """Where and how episodes are recorded (LeRobot's ``--dataset.*``)."""

    repo_id: str = Field(
        "",
        description=(
            "``user/name``; a date-time tag is appended unless ``no_stamp`` (LeRobot 0.6.1)"
        ),
    )
    single_task: str = Field("", description="what the episodes show, stored as each frame's task")
    root: Path | None = Field(
        None, description="the dataset folder (default ``$HF_LEROBOT_HOME/<repo_id>``)"
    )
    fps: int = Field(default=30, gt=0, description="frames per second (the loop's rate)")
    episode_time_s: float = Field(
        default=60, gt=0, description="length of each recorded episode (s)"
    )
    reset_time_s: float = Field(
        default=60,
        ge=0,
        description=(
            "length of the reset phase between episodes (s; teleoperation live, nothing stored)"
        ),
    )
    num_episodes: int = Field(
        default=50,
        ge=0,
        description="episodes to record in this session (on ``--resume``, new ones)",
    )
    video: bool = Field(
        True, description="store cameras as MP4 video (``false``: PNG images in the parquet)"
    )
    push_to_hub: bool = Field(True, description="upload the dataset to the Hub at the end")
    private: bool | None = Field(
        None, description="upload as a private repository (``None``: the Hub's default)"
    )
    tags: list[str] | None = Field(None, description="tags of the Hub dataset card")
    num_image_writer_processes: int = Field(
        0, description="accepted for LeRobot; lr encodes in background threads (no effect)"
    )
    num_image_writer_threads_per_camera: int = Field(
        4, description="accepted for LeRobot (no effect)"
    )
    video_encoding_batch_size: int = Field(
        1,
        description=(
            "accepted for LeRobot: lr encodes each episode while it is recorded (no effect)"
        ),
    )
    rgb_encoder: RGBEncoderConfig = Field(
        default_factory=RGBEncoderConfig,
        description="video encoder settings (``--dataset.rgb_encoder.vcodec=h264``...)",
    )
    depth_encoder: dict[str, Any] | None = Field(
        None,
        description=(
            "accepted for LeRobot; lr records depth as 1-channel images, not depth video (no "
            "effect)"
        ),
    )
    streaming_encoding: bool = Field(
        False, description="accepted for LeRobot: lr always encodes while recording (no effect)"
    )
    encoder_queue_maxsize: int = Field(
        default=30,
        gt=0,
        description=(
            "frames buffered per camera before ``add_frame`` waits for the encoder (never dropped)"
        ),
    )
    encoder_threads: int | None = Field(
        None, description="threads per video encoder (``None``: the codec's default)"
    )
    no_stamp: bool = Field(False, description="keep ``repo_id`` as given (no date-time tag)")

    def stamp_repo_id(self) -> None:
        """Append ``_YYYYmmdd_HHMMSS`` to ``repo_id`` (LeRobot 0.6.1, at creation only)."""
        if not self.no_stamp and self.repo_id:
            self.repo_id = f"{self.repo_id}_{datetime.now().strftime('%Y%m%d_%H%M%S')}"

    @field_validator("root", mode="before")
    @classmethod
    def _expand_root(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, str) and value else value


class PolicyRunConfig(LrConfig):
    """A trained policy driving the robot instead of the teleoperator (``--policy.*``)."""

    path: str = Field(
        description=(
            "a saved policy: a folder (``.../checkpoints/last/pretrained_model``) or a Hub model id"
        )
    )
    device: str | None = Field(
        None,
        description=(
            "``cpu``, ``cuda``, ``mps`` (default: the checkpoint's, else the best available)"
        ),
    )
    num_threads: int | None = Field(
        default=None, gt=0, description="CPU threads for inference (default: torch's)"
    )
    rename_map: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "observation key → the policy's key (``{'observation.images.top': "
            "'observation.images.front'}``)"
        ),
    )
    use_amp: bool = Field(False, description="automatic mixed precision on CUDA")


class RecordConfig(LrConfig):
    """``lr record``: record episodes of ``--robot.*`` driven by ``--teleop.*`` (or by a trained
    ``--policy.path``) into a LeRobotDataset; see docs/robots.md."""

    robot: RobotConfig
    dataset: DatasetRecordConfig
    teleop: TeleoperatorConfig | None = Field(
        None,
        description=(
            "the teleoperator; optional with ``--policy.path`` (then it drives the reset phases)"
        ),
    )
    policy: PolicyRunConfig | None = Field(
        None,
        description=(
            "run a trained policy instead of the teleoperator (evaluation episodes, ``eval_`` "
            "dataset)"
        ),
    )
    display_data: bool = Field(
        False,
        description="stream observations, actions and camera frames to rerun (``lr-robots[viz]``)",
    )
    display_mode: str = Field(
        "rerun", description="``rerun`` (``foxglove`` is refused: lr does not speak it)"
    )
    display_ip: str | None = Field(
        None,
        description=(
            "a remote rerun viewer's address (with ``display_port``); default: spawn a local viewer"
        ),
    )
    display_port: int | None = Field(
        None, description="the remote viewer's port (rerun's gRPC port, 9876 by default)"
    )
    display_compressed_images: bool = Field(
        False, description="send camera frames JPEG-compressed (always with a remote viewer)"
    )
    play_sounds: bool = Field(
        True, description="LeRobot speaks events aloud; lr prints them (accepted, no sound)"
    )
    resume: bool = Field(
        False,
        description="add episodes to the existing dataset at ``--dataset.root`` / ``repo_id``",
    )
    keyboard: str = Field(
        "auto",
        description=(
            "keys: ``auto`` (pynput on a desktop, else the terminal), ``terminal``, ``pynput`` or "
            "``none``"
        ),
    )
    on_interrupt: str = Field(
        "discard",
        description=(
            "Ctrl-C during an episode: ``discard`` it (default) or ``save`` what was recorded"
        ),
    )
    display_save: Path | None = Field(
        None, description="write a rerun recording (``.rrd``) here instead of showing a viewer"
    )

    @model_validator(mode="after")
    def _check(self) -> RecordConfig:
        if self.teleop is None and self.policy is None:
            raise ValueError(
                "give a teleoperator (--teleop.type=...) or a trained policy "
                "(--policy.path=...) to drive the robot"
            )
        if self.display_mode not in ("rerun",):
            raise ValueError(
                f"--display_mode={self.display_mode!r}: lr displays with rerun only "
                "(--display_mode=rerun)"
            )
        if self.keyboard not in ("auto", "terminal", "pynput", "none"):
            raise ValueError(f"--keyboard={self.keyboard!r}: use auto, terminal, pynput or none")
        if self.on_interrupt not in ("discard", "save"):
            raise ValueError(f"--on_interrupt={self.on_interrupt!r}: use discard or save")
        if (self.display_ip is None) != (self.display_port is None):
            raise ValueError("give both --display_ip and --display_port for a remote viewer")
        return self

    def check_repo_id(self) -> None:
        """LeRobot's naming rules: a ``user/name`` id, ``eval_`` exactly for policy runs."""
        repo_id = self.dataset.repo_id
        if not repo_id:
            raise ConfigError("give --dataset.repo_id=<user>/<name> (the dataset's name)")
        if repo_id.count("/") != 1 or not all(repo_id.split("/")):
            raise ConfigError(f"--dataset.repo_id={repo_id!r} must be of the form <user>/<name>")
        name = repo_id.split("/", 1)[1]
        if self.policy is not None and not name.startswith("eval_"):
            raise ConfigError(
                f"--dataset.repo_id={repo_id!r}: episodes recorded with a policy are "
                f"evaluations; name the dataset '{repo_id.split('/')[0]}/eval_{name}' "
                f"(LeRobot's convention)"
            )
        if self.policy is None and name.startswith("eval_"):
            raise ConfigError(
                f"--dataset.repo_id={repo_id!r}: names starting with 'eval_' are for policy "
                f"evaluations (--policy.path=...); choose another name for teleoperated data"
            )
