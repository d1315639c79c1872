"""``lr dataset <tool>`` runs the tools through the real ``lr`` entry point."""

from __future__ import annotations

import numpy as np

from lr_core.cli import main
from lr_dataset.testing import tree_digest
from lr_dataset.tools.source import open_meta


def test_tool_subcommands(two_file_dataset, tmp_path, capsys):
    before = tree_digest(two_file_dataset)
    src = str(two_file_dataset)
    assert (
        main(
            [
                "dataset",
                "delete-episodes",
                src,
                "--episodes",
                "0,3-4",
                "--output",
                str(tmp_path / "del"),
            ]
        )
        == 0
    )
    assert open_meta(tmp_path / "del").total_episodes == 2
    assert (
        main(
            [
                "dataset",
                "split",
                src,
                "--split",
                "a=0.4",
                "--split",
                "b=0.6",
                "--output",
                str(tmp_path / "split"),
            ]
        )
        == 0
    )
    assert open_meta(tmp_path / "split" / "b").total_episodes == 3
    assert (
        main(["dataset", "split", src, "--split", "x=0-1,4", "--output", str(tmp_path / "split2")])
        == 0
    )
    assert open_meta(tmp_path / "split2" / "x").total_episodes == 3
    assert (
        main(
            [
                "dataset",
                "merge",
                str(tmp_path / "del"),
                str(tmp_path / "split" / "a"),
                "--output",
                str(tmp_path / "merged"),
            ]
        )
        == 0
    )
    assert open_meta(tmp_path / "merged").total_episodes == 4
    np.save(tmp_path / "v.npy", np.ones(30, np.float32))
    assert (
        main(
            [
                "dataset",
                "add-feature",
                src,
                "--name",
                "bonus",
                "--values",
                str(tmp_path / "v.npy"),
                "--output",
                str(tmp_path / "add"),
            ]
        )
        == 0
    )
    assert open_meta(tmp_path / "add").features["bonus"].shape == (1,)
    assert (
        main(
            [
                "dataset",
                "remove-feature",
                str(tmp_path / "add"),
                "--feature",
                "bonus",
                "--output",
                str(tmp_path / "rm"),
            ]
        )
        == 0
    )
    assert "bonus" not in open_meta(tmp_path / "rm").features
    assert main(["dataset", "recompute-stats", src, "--output", str(tmp_path / "st")]) == 0
    assert tree_digest(two_file_dataset) == before
    assert "wrote" in capsys.readouterr().out


def test_errors_are_reported_not_raised(two_file_dataset, tmp_path, capsys):
    code = main(
        [
            "dataset",
            "delete-episodes",
            str(two_file_dataset),
            "--episodes",
            "9",
            "--output",
            str(tmp_path / "x"),
        ]
    )
    assert code == 1
    assert "episodes [9] do not exist" in capsys.readouterr().err
