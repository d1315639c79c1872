"""The package imports cheaply: no torch, pyarrow or PyAV until they are needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import lr_dataset
from lr_core.lazy import export_problems


def _modules_after(code: str, env: dict | None = None) -> set[str]:
    import os

    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return set(out.stdout.split())


def test_import_is_cheap():
    mods = _modules_after("import lr_dataset; lr_dataset.LeRobotDatasetMetadata")
    assert "torch" not in mods and "av" not in mods


def test_numpy_backend_never_imports_torch():
    mods = _modules_after(
        "from lr_dataset import LeRobotDataset\n"
        "assert LeRobotDataset.__module__ == 'lr_dataset.dataset'",
        env={"LR_DATASET_BACKEND": "numpy"},
    )
    assert "torch" not in mods


def test_torch_flavour_when_torch_is_installed():
    import torch.utils.data

    assert issubclass(lr_dataset.LeRobotDataset, torch.utils.data.Dataset)


@pytest.mark.parametrize(
    "package",
    ["lr_dataset", "lr_dataset.tools", "lr_dataset.video", "lr_dataset.testing", "lr_dataset.viz"],
)
def test_exports_are_exact(package):
    assert export_problems(package) == []


def test_streaming_flavours():
    import torch.utils.data

    assert issubclass(lr_dataset.StreamingLeRobotDataset, torch.utils.data.IterableDataset)
    assert issubclass(lr_dataset.StreamingMixture, torch.utils.data.IterableDataset)
    root = Path(__file__).parent / "fixtures" / "lerobot-0.6.1-video"
    mods = _modules_after(
        "from lr_dataset import StreamingLeRobotDataset, StreamingMixture\n"
        "assert StreamingLeRobotDataset.__module__ == 'lr_dataset.streaming.dataset'\n"
        "assert StreamingMixture.__module__ == 'lr_dataset.streaming.mixture'\n"
        f"ds = StreamingLeRobotDataset('x', root={str(root)!r})\n"
        "assert len(list(ds)) == ds.num_frames",
        env={"LR_DATASET_BACKEND": "numpy"},
    )
    assert "torch" not in mods and "av" in mods
