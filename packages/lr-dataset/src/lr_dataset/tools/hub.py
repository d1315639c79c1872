"""``push`` / ``pull``: a dataset to and from a Hugging Face Hub dataset repo.

Both go through ``huggingface_hub`` (``HfApi.create_commit``, ``snapshot_download``) and
follow LeRobot's conventions:

- ``push`` uploads the dataset folder (never ``images/`` or lr's temporary files; ``videos/``
  unless ``push_videos=False``) plus a ``README.md`` dataset card in ONE commit, then deletes
  and re-creates the tag named after the codebase version (``v3.0``) on the pushed branch, which
  is how LeRobot readers pick a compatible revision;
- ``pull`` downloads a revision into a local folder: by default the ``v3.0`` tag, else the
  highest ``v3.x`` tag; a repo holding only v2.x tags is an error telling to convert it.

``endpoint`` selects another Hub (a mirror, or :class:`lr_dataset.local_hub.LocalHub` in tests);
by default ``HF_ENDPOINT`` (read at each call) or https://huggingface.co.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from lr_core.errors import ConfigError
from lr_core.paths import dataset_root
from lr_dataset import layout
from lr_dataset.errors import DatasetFormatError
from lr_dataset.hub_cache import hub_endpoint, resolve_revision
from lr_dataset.metadata import LeRobotDatasetMetadata
from lr_dataset.staging import RECORDING_DIR

logger = logging.getLogger(__name__)

#: never uploaded: recording leftovers and lr's temporary files
IGNORED = ("images/", f"{RECORDING_DIR}/", ".cache/")


def dataset_card(
    meta: LeRobotDatasetMetadata,
    license: str | None = "apache-2.0",
    tags: list[str] | None = None,
) -> str:
    """A Hub dataset card in LeRobot's shape (robotics task, the LeRobot tag and ``tags``,
    parquet config)."""
    extra = [t for t in dict.fromkeys(tags or []) if t != "LeRobot"]
    header = [
        "---",
        *([f"license: {license}"] if license else []),
        "task_categories:",
        "- robotics",
        "tags:",
        "- LeRobot",
        *(f"- {json.dumps(t)}" for t in extra),
        "configs:",
        "- config_name: default",
        "  data_files: data/*/*.parquet",
        "---",
    ]
    info = json.dumps(meta.info.to_json(), indent=4)
    body = [
        "",
        "This dataset was created with [lr](https://github.com) in the LeRobot v3.0 format.",
        "",
        "## Dataset Structure",
        "",
        "[meta/info.json](meta/info.json):",
        "```json",
        info,
        "```",
        "",
    ]
    return "\n".join(header + body)


def _files(root: Path, push_videos: bool) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        if any(rel.startswith(p) for p in IGNORED) or path.name.startswith("."):
            continue
        if not push_videos and rel.startswith(layout.VIDEO_DIR + "/"):
            continue
        out.append(path)
    return out


def push(
    root: str | Path,
    repo_id: str,
    *,
    branch: str | None = None,
    private: bool | None = None,
    push_videos: bool = True,
    tag_version: bool = True,
    license: str | None = "apache-2.0",
    token: str | None = None,
    endpoint: str | None = None,
    commit_message: str = "Upload dataset with lr",
    tags: list[str] | None = None,
) -> str:
    """Upload the dataset at ``root`` to the dataset repo ``repo_id``; return the commit URL.
    ``tags`` are added to the dataset card's (LeRobot's ``push_to_hub(tags=...)``)."""
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

    root = Path(root).expanduser()
    meta = LeRobotDatasetMetadata(repo_id, root=root)  # validates before anything is sent
    if meta.repaired:
        raise DatasetFormatError(
            f"{root}: info.json disagrees with meta/episodes (an interrupted write); run "
            f"LeRobotDataset.resume() or lr_dataset.repair() before pushing"
        )
    endpoint = hub_endpoint(endpoint)
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if branch:
        api.create_branch(repo_id, repo_type="dataset", branch=branch, exist_ok=True)
    operations = [
        CommitOperationAdd(path_in_repo=p.relative_to(root).as_posix(), path_or_fileobj=p)
        for p in _files(root, push_videos)
    ]
    if not (root / "README.md").exists():
        card = dataset_card(meta, license, tags).encode()
        operations.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card))
    info = api.create_commit(
        repo_id,
        operations,
        commit_message=commit_message,
        repo_type="dataset",
        revision=branch,
    )
    if tag_version:
        try:
            api.delete_tag(repo_id, tag=layout.CODEBASE_VERSION, repo_type="dataset")
        except (RevisionNotFoundError, HfHubHTTPError) as exc:
            logger.debug("no %s tag to delete: %s", layout.CODEBASE_VERSION, exc)
        api.create_tag(repo_id, tag=layout.CODEBASE_VERSION, revision=branch, repo_type="dataset")
    return str(info.commit_url)


def pull(
    repo_id: str,
    root: str | Path | None = None,
    *,
    revision: str | None = None,
    download_videos: bool = True,
    token: str | None = None,
    endpoint: str | None = None,
) -> Path:
    """Download ``repo_id`` (default revision: see :func:`resolve_revision`) into ``root``
    (default ``$HF_LEROBOT_HOME/<repo_id>``) and check it loads; return the folder."""
    from huggingface_hub import HfApi, snapshot_download

    if "/" not in repo_id:
        raise ConfigError(f"repo_id {repo_id!r} must look like 'user/name'")
    endpoint = hub_endpoint(endpoint)
    api = HfApi(endpoint=endpoint, token=token)
    rev = revision or resolve_revision(api, repo_id)
    local = Path(root).expanduser() if root is not None else dataset_root(repo_id)
    ignore = [f"{layout.VIDEO_DIR}/*"] if not download_videos else None
    snapshot_download(
        repo_id,
        repo_type="dataset",
        revision=rev,
        local_dir=local,
        ignore_patterns=ignore,
        token=token,
        endpoint=endpoint,
    )
    LeRobotDatasetMetadata(repo_id, root=local)
    return local
