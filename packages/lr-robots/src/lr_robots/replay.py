"""Reading one recorded episode's actions for ``lr replay`` (needs the ``dataset`` extra).

lr-dataset is imported here only, and only its numpy reader: replaying never loads torch or
decodes video.
"""

from __future__ import annotations

from pathlib import Path

from lr_core.errors import ConfigError


def episode_actions(
    repo_id: str | None, root: Path | None, episode: int
) -> tuple[list[dict[str, float]], float]:
    """``([{action name: value}, ...], fps)`` of ``episode`` of the dataset at ``root``
    (default ``$HF_LEROBOT_HOME/<repo_id>``).

    Raises :class:`~lr_core.errors.ConfigError` when neither is given, the episode does not
    exist or the dataset has no ``action`` feature; dataset errors name their file.
    """
    from lr_dataset.dataset import LeRobotDataset

    if repo_id is None and root is None:
        raise ConfigError("give --dataset.root=<folder> (or --dataset.repo_id=<user/name>)")
    repo = repo_id or Path(root).name  # type: ignore[arg-type]
    dataset = LeRobotDataset(repo, root=root)
    if not 0 <= episode < dataset.num_episodes:
        raise ConfigError(
            f"--dataset.episode={episode}: {dataset.root} has episodes "
            f"0..{dataset.num_episodes - 1}"
        )
    spec = dataset.features.get("action")
    if spec is None:
        raise ConfigError(f"dataset {dataset.root} has no 'action' feature to replay")
    names = list(spec.names or [])
    values = dataset.column("action", episode)
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ConfigError(
            f"dataset {dataset.root}: 'action' has shape {values.shape[1:]} but {len(names)} names"
        )
    actions = [dict(zip(names, map(float, row), strict=True)) for row in values]
    return actions, float(dataset.fps)
