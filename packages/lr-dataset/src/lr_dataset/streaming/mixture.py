"""StreamingMixture: several streaming datasets sampled with weights, each sample tagged with
the dataset it came from (``dataset_index``, as LeRobot's ``MultiLeRobotDataset``).

::

    mix = StreamingMixture(
        [pick, place], weights=[0.7, 0.3], seed=0,
        feature_maps=[None, {"observation.images.top": "observation.images.front"}],
    )

Each consumer draws, for every sample, which dataset it comes from - with probability
proportional to the weights of the datasets that still have samples for it - from a generator
seeded with ``(seed, epoch, rank, worker)``; each dataset streams its own share with its own
pool. In a finite epoch every frame of every dataset comes exactly once (the weights set the mix
while all have samples left); with ``repeat=True`` the datasets repeat on their own and the mix
follows the weights. Resuming replays the draws to find how far each dataset had got.

The datasets must have the same fps and, after each one's ``feature_maps`` renaming (``{its
key: mixture key}``), the same features (dtype and shape; video and image cameras count as the
same) and the same delta windows; anything else is a :class:`~lr_core.errors.ConfigError`
naming the dataset and the feature.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lr_core.errors import ConfigError
from lr_core.features import FeatureSpec
from lr_dataset import stats as stats_io
from lr_dataset.streaming.dataset import StreamingLeRobotDataset
from lr_dataset.streaming.stream import StreamBase

TAG = "dataset_index"
_DRAW_BLOCK = 4096


@dataclass
class MixtureMetadata:
    """What a trainer reads from ``dataset.meta``, for a mixture: fps, the (renamed) features
    of the first dataset, stats aggregated over all datasets, and totals."""

    repo_ids: list[str]
    fps: int
    features: dict[str, FeatureSpec]
    stats: dict[str, dict[str, np.ndarray]]
    total_frames: int
    total_episodes: int

    @property
    def camera_keys(self) -> list[str]:
        """Image and video features."""
        return [k for k, f in self.features.items() if f.dtype in ("image", "video")]

    @property
    def video_keys(self) -> list[str]:
        """Video features."""
        return [k for k, f in self.features.items() if f.dtype == "video"]

    @property
    def image_keys(self) -> list[str]:
        """Image features."""
        return [k for k, f in self.features.items() if f.dtype == "image"]

    @property
    def depth_keys(self) -> list[str]:
        """Depth cameras."""
        return [k for k in self.camera_keys if (self.features[k].info or {}).get("is_depth_map")]


class StreamingMixture(StreamBase):
    """Several :class:`StreamingLeRobotDataset` streamed as one (see the module docstring)."""

    def __init__(
        self,
        datasets: Sequence[StreamingLeRobotDataset],
        weights: Sequence[float] | None = None,
        *,
        seed: int = 0,
        repeat: bool = False,
        feature_maps: Sequence[Mapping[str, str] | None] | None = None,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        if not datasets:
            raise ConfigError("StreamingMixture needs at least one dataset")
        for d in datasets:
            if not isinstance(d, StreamingLeRobotDataset):
                raise ConfigError(f"{type(d).__name__} is not a StreamingLeRobotDataset")
        weights = [1.0] * len(datasets) if weights is None else [float(w) for w in weights]
        if len(weights) != len(datasets) or any(not w > 0 for w in weights):
            raise ConfigError(
                f"weights must be {len(datasets)} positive numbers, one per dataset; got {weights}"
            )
        maps = list(feature_maps) if feature_maps is not None else [None] * len(datasets)
        if len(maps) != len(datasets):
            raise ConfigError(f"feature_maps must have one entry per dataset ({len(datasets)})")
        if seed < 0:
            raise ConfigError(f"seed must be >= 0, got {seed}")
        self.datasets = list(datasets)
        self.weights = weights
        self.feature_maps = [dict(m or {}) for m in maps]
        self.seed = int(seed)
        self.shuffle = True
        self.repeat = bool(repeat)
        self._epoch = 0
        self._rank, self._world_size = None, None
        if (rank is None) != (world_size is None):
            raise ConfigError("give both rank and world_size, or neither")
        if rank is not None and world_size is not None:
            self.set_distributed(rank, world_size)
        self.meta = self._check_and_merge()

    # ------------------------------------------------------------------ checks
    def _renamed(self, i: int, key: str) -> str:
        return self.feature_maps[i].get(key, key)

    def _check_and_merge(self) -> MixtureMetadata:
        first = self.datasets[0]
        for i, d in enumerate(self.datasets):
            missing = sorted(set(self.feature_maps[i]) - set(d.features))
            if missing:
                raise ConfigError(
                    f"feature_maps[{i}] renames {missing}, which dataset {i} ({d.repo_id}) lacks"
                )
        specs = [
            {self._renamed(i, k): f for k, f in d.features.items()}
            for i, d in enumerate(self.datasets)
        ]
        for i, d in enumerate(self.datasets[1:], start=1):
            if d.fps != first.fps:
                raise ConfigError(
                    f"dataset {i} ({d.repo_id}) is {d.fps} fps but dataset 0 ({first.repo_id}) is "
                    f"{first.fps} fps: a mixture needs one frame rate"
                )
            only_here = sorted(set(specs[i]) - set(specs[0]))
            only_first = sorted(set(specs[0]) - set(specs[i]))
            if only_here or only_first:
                raise ConfigError(
                    f"dataset {i} ({d.repo_id}) has features {only_here} that dataset 0 "
                    f"({first.repo_id}) lacks, and lacks {only_first}; rename them with "
                    f"feature_maps or drop them"
                )
            for key, spec in specs[i].items():
                ref = specs[0][key]
                kind = "visual" if spec.is_visual else spec.dtype
                ref_kind = "visual" if ref.is_visual else ref.dtype
                if (kind, tuple(spec.shape)) != (ref_kind, tuple(ref.shape)):
                    raise ConfigError(
                        f"feature {key!r}: dataset {i} ({d.repo_id}) has {spec.dtype} "
                        f"{list(spec.shape)}, dataset 0 ({first.repo_id}) has {ref.dtype} "
                        f"{list(ref.shape)}"
                    )
            if self._windows(i) != self._windows(0):
                raise ConfigError(
                    f"dataset {i} ({d.repo_id}) has delta_timestamps {self._windows(i)}, dataset "
                    f"0 ({first.repo_id}) has {self._windows(0)}: samples would differ in shape"
                )
            if d.return_uint8 != first.return_uint8:
                raise ConfigError("all datasets of a mixture need the same return_uint8")
        stats = []
        for i, d in enumerate(self.datasets):
            own = d.meta.stats or {}
            stats.append({self._renamed(i, k): v for k, v in own.items()})
        return MixtureMetadata(
            repo_ids=[d.repo_id for d in self.datasets],
            fps=first.fps,
            features=specs[0],
            stats=stats_io.aggregate(stats),
            total_frames=sum(d.num_frames for d in self.datasets),
            total_episodes=sum(d.num_episodes for d in self.datasets),
        )

    def _windows(self, i: int) -> dict[str, list[float]]:
        delta = self.datasets[i].delta_timestamps or {}
        return {self._renamed(i, k): [round(float(x), 9) for x in v] for k, v in delta.items()}

    # ------------------------------------------------------------------ views
    @property
    def fps(self) -> int:
        """Frames per second (the same for every dataset)."""
        return self.meta.fps

    @property
    def features(self) -> dict[str, FeatureSpec]:
        """The mixture's features (the renamed features of the datasets)."""
        return self.meta.features

    @property
    def num_episodes(self) -> int:
        """Episodes over all datasets."""
        return sum(d.num_episodes for d in self.datasets)

    def describe(self) -> str:
        """A short name for messages."""
        return f"StreamingMixture({[d.repo_id for d in self.datasets]})"

    def share_size(self, epoch: int, consumer: int, num_consumers: int) -> int:
        """Samples of all datasets consumer ``consumer`` gets in ``epoch``."""
        return sum(d.share_size(epoch, consumer, num_consumers) for d in self.datasets)

    def fingerprint(self) -> dict[str, Any]:
        """Seed, weights, renamings and each dataset's own fingerprint."""
        return {
            "seed": self.seed,
            "weights": self.weights,
            "feature_maps": self.feature_maps,
            "datasets": [d.fingerprint() for d in self.datasets],
        }

    # ------------------------------------------------------------------ iteration
    def tag(self, item: dict[str, Any], index: int) -> dict[str, Any]:
        """Rename a sample's keys for the mixture and add ``dataset_index``."""
        names = self.feature_maps[index]
        if names:
            renamed = {}
            for key, value in item.items():
                base = key.removesuffix("_is_pad")
                if base in names:
                    key = names[base] + key[len(base) :]
                renamed[key] = value
            item = renamed
        item[TAG] = np.int64(index)
        return item

    def choices(self, epoch: int, rank: int, worker: int, sizes: Sequence[int]) -> Iterator[int]:
        """Which dataset each of one consumer's samples comes from (pure). ``sizes``: samples
        each dataset has for the consumer (drawn until all are spent, or forever with
        ``repeat``; datasets with none are never drawn)."""
        rng = np.random.default_rng(
            np.random.SeedSequence([self.seed, int(epoch), int(rank), int(worker)])
        )
        left = [int(s) for s in sizes]
        weights = np.array([w if s > 0 else 0.0 for w, s in zip(self.weights, sizes)])
        draws = np.empty(0)
        at = 0
        while weights.sum() > 0:
            if at >= len(draws):
                draws, at = rng.random(_DRAW_BLOCK), 0
            cumulative = np.cumsum(weights)
            i = int(np.searchsorted(cumulative, draws[at] * cumulative[-1], side="right"))
            i = min(i, len(weights) - 1)
            at += 1
            yield i
            if not self.repeat:
                left[i] -= 1
                if left[i] == 0:
                    weights[i] = 0.0

    def consumer_items(
        self, epoch: int, rank: int, worker: int, num_workers: int, world_size: int, skip: int
    ) -> Iterator[dict[str, Any]]:
        """One consumer's samples: each drawn from one dataset's own stream."""
        consumers = world_size * num_workers
        consumer = rank * num_workers + worker
        sizes = [d.share_size(epoch, consumer, consumers) for d in self.datasets]
        choices = self.choices(epoch, rank, worker, sizes)
        done = [0] * len(self.datasets)
        for _ in range(skip):
            i = next(choices, None)
            if i is None:
                return
            done[i] += 1
        streams: dict[int, Iterator[dict[str, Any]]] = {}
        try:
            for i in choices:
                stream = streams.get(i)
                if stream is None:
                    stream = self.datasets[i].consumer_items(
                        epoch, rank, worker, num_workers, world_size, done[i], repeat=self.repeat
                    )
                    streams[i] = stream
                yield self.finish_item(self.tag(next(stream), i))
        finally:
            for stream in streams.values():
                close = getattr(stream, "close", None)
                if close is not None:
                    close()

    def finish_item(self, item: dict[str, Any]) -> Any:
        """Last touches on a sample (the torch flavour makes the tag a tensor)."""
        return item
