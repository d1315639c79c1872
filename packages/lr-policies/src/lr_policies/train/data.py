"""Training data: delta timestamps from the policy config, the dataset, usable frames, stats,
and the data loader positioned for exact resume.

A training dataset (:class:`TrainingDataset`) is any map-style dataset returning dicts of
tensors whose ``meta`` offers LeRobot's metadata (:class:`DatasetMetadata`): ``fps``,
``features`` (feature specs) and ``stats`` (``{feature: {"mean": ..., ...}}``); for
episode-aware sampling also ``episodes`` (rows with ``dataset_from_index`` /
``dataset_to_index``). ``lr_dataset.LeRobotDataset`` is one. A stream is a
``torch.utils.data.IterableDataset`` with the same ``meta`` that positions itself
(``lr_dataset.StreamingLeRobotDataset``, or ``set_position``, see :func:`make_data_loader`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, runtime_checkable

import numpy as np

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec
from lr_core.policy import PolicyConfig
from lr_policies.train.config import DatasetConfig

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from lr_policies.train.config import TrainConfig
    from lr_policies.train.distributed import DistContext


class DatasetMetadata(Protocol):
    """What training reads from a dataset's ``meta`` (LeRobot's ``LeRobotDatasetMetadata``)."""

    @property
    def fps(self) -> float:
        """Frames per second of the recording."""
        ...

    @property
    def features(self) -> Mapping[str, Any]:
        """Feature specs by key (:class:`lr_core.features.FeatureSpec` or LeRobot's dicts)."""
        ...

    @property
    def stats(self) -> Mapping[str, Mapping[str, Any]] | None:
        """Per-feature statistics (``mean``, ``std``, ``min``, ``max``...)."""
        ...


@runtime_checkable
class TrainingDataset(Protocol):
    """A dataset ``lr train`` reads: items are dicts of tensors, ``meta`` describes them.
    Map-style datasets also have ``__len__``/``__getitem__``; streams iterate."""

    @property
    def meta(self) -> DatasetMetadata:
        """The dataset's metadata."""
        ...


@runtime_checkable
class MapDataset(TrainingDataset, Protocol):
    """A map-style training dataset: frames by position."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> dict[str, Any]: ...


class ResumableStream(TrainingDataset, Protocol):
    """A stream that positions itself from a ``state_dict`` saved in checkpoints
    (:class:`lr_dataset.streaming.StreamingLeRobotDataset`); see :func:`is_resumable_stream`."""

    def set_distributed(self, rank: int, world_size: int) -> None: ...

    def state_dict(
        self, batches_consumed: int, batch_size: int, num_workers: int = 0
    ) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


#: ImageNet statistics, shaped (3, 1, 1) like camera stats.
IMAGENET_STATS = {
    "mean": np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1),
    "std": np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1),
}


def resolve_delta_timestamps(
    policy_config: PolicyConfig, features: Iterable[str], fps: float
) -> dict[str, list[float]] | None:
    """Which frames around the current one each sample holds, in seconds (LeRobot's rule).

    ``observation_delta_indices`` apply to every ``observation*`` key, ``action_delta_indices``
    to ``action`` and ``reward_delta_indices`` to ``next.reward``; ``None`` means the current
    frame only. ACT: action ``0..chunk_size-1``; Diffusion: observations ``[-1, 0]`` and actions
    ``-1..horizon-2``.
    """
    obs = policy_config.observation_delta_indices
    action = policy_config.action_delta_indices
    reward = policy_config.reward_delta_indices
    out: dict[str, list[float]] = {}
    for key in features:
        if key == "next.reward" and reward is not None:
            out[key] = [i / fps for i in reward]
        if key == "action" and action is not None:
            out[key] = [i / fps for i in action]
        if key.startswith("observation.") and obs is not None:
            out[key] = [i / fps for i in obs]
    return out or None


def training_stats(meta: DatasetMetadata, *, use_imagenet_stats: bool) -> dict[str, dict[str, Any]]:
    """The dataset's stats, with ImageNet mean/std for cameras when asked (LeRobot's default)."""
    stats = {k: dict(v) for k, v in (getattr(meta, "stats", None) or {}).items()}
    if use_imagenet_stats:
        for key, spec in _features(meta).items():
            if spec.is_visual:
                # a copy per camera: shared arrays would become shared tensors
                stats.setdefault(key, {}).update({k: v.copy() for k, v in IMAGENET_STATS.items()})
    return stats


def _features(meta: DatasetMetadata) -> dict[str, FeatureSpec]:
    features = getattr(meta, "features", {}) or {}
    return {
        k: v if isinstance(v, FeatureSpec) else FeatureSpec.from_json(v, key=k)
        for k, v in features.items()
    }


def usable_frames(
    dataset: MapDataset, *, drop_n_first: int = 0, drop_n_last: int = 0
) -> list[int] | int:
    """Positions the sampler may draw: all of them, or, when the policy drops frames at episode
    edges (Diffusion drops the last 7), each episode's range shortened accordingly."""
    n = len(dataset)
    if not drop_n_first and not drop_n_last:
        return n
    ranges = episode_ranges(dataset)
    out: list[int] = []
    for start, end in ranges:
        out.extend(range(start + drop_n_first, end - drop_n_last))
    if not out:
        raise ConfigError(
            f"dropping {drop_n_first} first and {drop_n_last} last frames of each episode "
            "leaves no frame to train on: lower --policy.drop_n_last_frames (or "
            "drop_n_first_frames), or train on longer episodes"
        )
    return out


def episode_ranges(dataset: MapDataset) -> list[tuple[int, int]]:
    """``[start, end)`` positions of each episode in ``dataset``'s frame order."""
    ranges = getattr(dataset, "episode_ranges", None)
    if callable(ranges):
        return [(int(a), int(b)) for a, b in ranges()]
    meta = getattr(dataset, "meta", None)
    episodes = getattr(meta, "episodes", None)
    if episodes is None:
        raise ConfigError(
            f"{type(dataset).__name__} does not expose its episode boundaries "
            "(meta.episodes with dataset_from_index/dataset_to_index)"
        )
    rows = list(episodes)
    selected = getattr(dataset, "episodes", None)
    if selected is not None:
        wanted = set(selected)
        rows = [r for r in rows if int(r["episode_index"]) in wanted]
    out, offset = [], 0
    for row in sorted(rows, key=lambda r: int(r["dataset_from_index"])):
        length = int(row["dataset_to_index"]) - int(row["dataset_from_index"])
        out.append((offset, offset + length))
        offset += length
    return out


def make_dataset(
    config: DatasetConfig,
    policy_config: PolicyConfig,
    *,
    tolerance_s: float = 1e-4,
    seed: int = 0,
) -> TrainingDataset:
    """Open ``config.repo_id`` (local ``root`` or the Hub) as an ``lr_dataset.LeRobotDataset``
    with the delta timestamps the policy needs and, when enabled, LeRobot's image augmentation
    (applied in the data-loader workers, on uint8 frames). With ``config.streaming``: an endless
    ``StreamingLeRobotDataset`` whose order derives from ``seed`` (the frames the policy drops at
    episode edges are never drawn, as the map-style sampler does)."""
    image_transforms = None
    if config.image_transforms.enable:
        from lr_dataset.transforms import ImageTransforms

        image_transforms = ImageTransforms(config.image_transforms)
    if config.streaming:
        from lr_dataset import StreamingLeRobotDataset
        from lr_dataset.streaming.dataset import open_metadata

        stream_meta = open_metadata(config.repo_id, config.root, config.revision)
        return StreamingLeRobotDataset(
            config.repo_id,
            root=config.root,
            episodes=config.episodes,
            image_transforms=image_transforms,
            delta_timestamps=resolve_delta_timestamps(
                policy_config, stream_meta.features, stream_meta.fps
            ),
            tolerance_s=tolerance_s,
            revision=config.revision,
            seed=seed,
            episode_pool_size=config.episode_pool_size,
            repeat=True,
            drop_n_first_frames=int(getattr(policy_config, "drop_n_first_frames", 0) or 0),
            drop_n_last_frames=int(getattr(policy_config, "drop_n_last_frames", 0) or 0),
        )
    from lr_dataset import LeRobotDataset, LeRobotDatasetMetadata

    meta = LeRobotDatasetMetadata(config.repo_id, root=config.root, revision=config.revision)
    delta = resolve_delta_timestamps(policy_config, meta.features, meta.fps)
    kwargs: dict[str, Any] = {
        "root": config.root,
        "episodes": config.episodes,
        "tolerance_s": tolerance_s,
        "video_backend": config.video_backend,
    }
    if config.revision is not None:
        kwargs["revision"] = config.revision
    if image_transforms is not None:
        kwargs["image_transforms"] = image_transforms
    return LeRobotDataset(config.repo_id, delta_timestamps=delta, **kwargs)


def is_resumable_stream(dataset: object) -> TypeGuard[ResumableStream]:
    """An lr streaming dataset: positions itself from a ``state_dict`` saved in checkpoints."""
    import torch

    return isinstance(dataset, torch.utils.data.IterableDataset) and all(
        callable(getattr(dataset, name, None))
        for name in ("state_dict", "load_state_dict", "set_distributed")
    )


def stream_state(cfg: TrainConfig, dataset: Any, step: int) -> dict[str, Any] | None:
    """What a checkpoint keeps of a resumable stream after ``step`` batches (``None`` for any
    other dataset): its ``state_dict`` for this run's batch size and workers."""
    if not is_resumable_stream(dataset):
        return None
    return dataset.state_dict(step, cfg.batch_size, cfg.num_workers)


def make_data_loader(
    cfg: TrainConfig,
    dataset: TrainingDataset,
    policy_config: PolicyConfig,
    device: torch.device,
    dist: DistContext,
    step: int,
    dataset_state: dict[str, Any] | None = None,
) -> tuple[torch.utils.data.DataLoader, int | None]:
    """The data loader positioned after ``step`` batches, and the number of usable frames
    (``None`` for a stream).

    A map-style dataset is drawn through a :class:`~lr_policies.train.sampler.ResumableSampler`
    and loaded by :class:`lr_dataset.DataLoader` (camera frames cross from the workers as uint8,
    ADR 0007). An ``IterableDataset`` (a streaming dataset) orders and shards itself. An lr
    ``StreamingLeRobotDataset`` is told its rank and continues from ``dataset_state`` (the
    ``dataset_state.json`` of the checkpoint resumed, :func:`stream_state`). Any other stream is
    positioned by its ``set_position(seed=, rank=, world_size=, start=)`` method (``start``:
    samples this rank has already drawn), which DDP and resuming require.
    """
    import torch

    from lr_policies.train.sampler import ResumableSampler

    workers = cfg.num_workers
    on_gpu = device.type == "cuda"
    common: dict[str, Any] = {
        "batch_size": cfg.batch_size,
        "num_workers": workers,
        "pin_memory": on_gpu,
        "prefetch_factor": cfg.prefetch_factor if workers > 0 else None,
        "persistent_workers": cfg.persistent_workers and workers > 0,
        "generator": torch.Generator().manual_seed(cfg.seed + dist.rank),
    }
    start = step * cfg.batch_size
    if is_resumable_stream(dataset):
        dataset.set_distributed(dist.rank, dist.world_size)
        if step > 0:
            if dataset_state is None or dataset_state.get("num_workers") != workers:
                raise ConfigError(
                    "the checkpoint's dataset_state.json is missing or was written with "
                    f"num_workers={(dataset_state or {}).get('num_workers')}; resume a streaming "
                    f"run with the num_workers it had (now {workers}) to keep the order exact"
                )
            dataset.load_state_dict(dataset_state)
        return _frame_loader(dataset, common, device, workers), None
    if isinstance(dataset, torch.utils.data.IterableDataset):
        set_position = getattr(dataset, "set_position", None)
        if callable(set_position):
            set_position(seed=cfg.seed, rank=dist.rank, world_size=dist.world_size, start=start)
        elif dist.enabled or step > 0:
            raise ConfigError(
                f"{type(dataset).__name__} is a stream without set_position(seed=, rank=, "
                "world_size=, start=): it cannot be sharded across processes or resumed; give it "
                "that method, or train it in one process from step 0 (without --resume=true)"
            )
        return torch.utils.data.DataLoader(dataset, **common), None
    if not isinstance(dataset, MapDataset):
        raise ConfigError(
            f"{type(dataset).__name__} is neither a map-style dataset (__len__, __getitem__) "
            "nor a torch IterableDataset"
        )
    drop_first = int(getattr(policy_config, "drop_n_first_frames", 0) or 0)
    drop_last = int(getattr(policy_config, "drop_n_last_frames", 0) or 0)
    sampler = ResumableSampler(
        usable_frames(dataset, drop_n_first=drop_first, drop_n_last=drop_last),
        seed=cfg.seed,
        rank=dist.rank,
        world_size=dist.world_size,
        start=start,
    )
    frames = len(sampler.indices)
    return _frame_loader(dataset, {**common, "sampler": sampler}, device, workers), frames


def _frame_loader(
    dataset: Any, common: dict[str, Any], device: torch.device, workers: int
) -> torch.utils.data.DataLoader:
    """:class:`lr_dataset.DataLoader` over ``dataset`` (uint8 camera frames from the workers)."""
    from lr_dataset.torch_loader import DataLoader

    if device.type == "cuda" and workers > 0:
        # Camera frames stay uint8 up to the GPU (ADR 0007): the frame path needs torch's
        # pin_memory off; frames_to_device pins them as uint8 and converts on the GPU (a
        # quarter of the bytes of float32 frames). Without cameras torch pins the batch.
        loader = DataLoader(
            dataset,
            convert_frames=functools.partial(frames_to_device, device=device),
            **{**common, "pin_memory": False},
        )
        if loader.ships_uint8_frames:
            return loader
    return DataLoader(dataset, **common)


def frames_to_device(frames: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 camera frames -> float32 in [0, 1] on ``device``, converted there.

    ``frames`` may be a view of the data loader's shared memory that is reused once this
    returns: on CUDA they are copied into pinned host memory and sent as uint8 without blocking
    (4x fewer bytes than float32), then cast and divided by 255 in float32 on the GPU, the
    dataset's own arithmetic (bit-identical to converting on the CPU). On any other device they
    are copied and converted there.
    """
    import torch

    if device.type == "cuda":
        staged = torch.empty(frames.shape, dtype=torch.uint8, pin_memory=True)
        staged.copy_(frames)
        moved = staged.to(device, non_blocking=True)
    else:
        moved = frames.to(device, copy=True)
    return moved.to(torch.float32).div_(255.0)
