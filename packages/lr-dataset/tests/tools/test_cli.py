"""``lr dataset <tool>`` runs the tools through the real ``lr`` entry point."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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


# --------------------------------------------------------------------------- typed commands
LR = str(Path(sys.executable).parent / "lr")


def _lr(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([LR, *args], capture_output=True, text=True, **kwargs)


def test_both_list_syntaxes_and_lerobot_spellings(two_file_dataset, tmp_path):
    src = str(two_file_dataset)
    for i, episodes in enumerate(["0,2-3", "[0, 2, 3]"]):
        out = tmp_path / f"d{i}"
        assert (
            main(["dataset", "delete-episodes", src, f"--episodes={episodes}", f"--output={out}"])
            == 0
        )
        assert open_meta(out).total_episodes == 2
    # flags only, LeRobot's field name, a space before the value
    out = tmp_path / "d2"
    assert (
        main(
            [
                "dataset",
                "delete-episodes",
                "--root",
                src,
                "--episode_indices",
                "[4]",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    assert open_meta(out).total_episodes == 4
    # LeRobot's JSON splits
    assert (
        main(
            [
                "dataset",
                "split",
                src,
                '--splits={"a": [0, 1], "b": [2, 3, 4]}',
                f"--output={tmp_path / 's'}",
            ]
        )
        == 0
    )
    assert open_meta(tmp_path / "s" / "b").total_episodes == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete-episodes", "{src}", "--episodes=a,b", "--output={out}"], "'a' is neither"),
        (["delete-episodes", "{src}", "--episodes=9-5", "--output={out}"], "range '9-5' is empty"),
        (["delete-episodes", "{src}", "--output={out}"], "episodes"),
        (["split", "{src}", "--split=nope", "--output={out}"], "--split=nope: expected NAME="),
        (["split", "{src}", "--split=a=x.y", "--output={out}"], "'x.y' is not a fraction"),
        (
            ["add-feature", "{src}", "--name=k", "--values=/no/such.npy", "--output={out}"],
            "--values=/no/such.npy",
        ),
        (["merge", "{src}", "--output={out}"], "at least two"),
        (["convert", "./no/such/v21", "--output={out}"], "does not exist"),
        (["info", "./no/such"], "the folder ./no/such does not exist"),
        (["info", "some/relative/path"], "the folder some/relative/path does not exist"),
        (["info", "{src}", "--bogus=1"], "unknown option --bogus"),
        (["info", "{src}", "--json=maybe"], "json"),
        (["recompute-stats", "{src}"], "output"),
        (["edit", "--repo_id=a/b", "--operation.type=modify_tasks"], "no task editing tool"),
        (["edit", "--repo_id=a/b"], "--operation.type is required"),
        (["--repo_id=a/b", "--operation.type=split_it"], "not an operation"),
        (["edit", "--root={src}", "--operation.type=delete_episodes"], "--repo_id is required"),
    ],
)
def test_bad_input_is_one_clear_line(two_file_dataset, tmp_path, capsys, args, message):
    argv = [a.format(src=two_file_dataset, out=tmp_path / "out") for a in args]
    assert main(["dataset", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.startswith("lr dataset: error:"), err
    assert "root=" not in err.replace("--root=", ""), err  # CLI wording, never Python's


def test_a_closed_pipe_and_bad_values_end_without_traceback(two_file_dataset, tmp_path):
    proc = subprocess.Popen(
        [LR, "dataset", "info", str(two_file_dataset), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    piped = subprocess.run(
        f"{LR} dataset info {two_file_dataset} | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert piped.stdout.startswith("local/src") and "Traceback" not in piped.stderr
    bad = _lr(
        "dataset",
        "delete-episodes",
        str(two_file_dataset),
        "--episodes=x",
        f"--output={tmp_path / 'o'}",
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "'x'" in bad.stderr


def test_progress_bars_with_eta(two_file_dataset, tmp_path):
    out = _lr(
        "dataset",
        "split",
        str(two_file_dataset),
        "--split=a=0-1",
        "--split=b=2-4",
        f"--output={tmp_path / 's'}",
    )
    assert out.returncode == 0, out.stderr
    assert "a: data: 100%" in out.stderr and "b: observation.images.front: 100%" in out.stderr
    assert "<00:00" in out.stderr  # elapsed<remaining: the ETA
    quiet = _lr(
        "dataset",
        "delete-episodes",
        str(two_file_dataset),
        "--episodes=0",
        f"--output={tmp_path / 'd'}",
        "--progress_bar=false",
    )
    assert quiet.returncode == 0 and "%|" not in quiet.stderr


# --------------------------------------------------------------------------- LeRobot's form
@pytest.fixture
def home(tmp_path, monkeypatch, two_file_dataset) -> Path:
    """$HF_LEROBOT_HOME holding the 5-episode dataset as me/ds."""
    monkeypatch.setenv("HF_LEROBOT_HOME", str(tmp_path / "home"))
    shutil.copytree(two_file_dataset, tmp_path / "home/me/ds")
    return tmp_path / "home"


def test_edit_delete_split_merge_remove(home, tmp_path):
    flags = ["--repo_id=me/ds", "--operation.type=delete_episodes"]
    assert (
        main(
            [
                "dataset",
                *flags,
                "--operation.episode_indices=[0, 2]",
                f"--new_root={tmp_path / 'del'}",
            ]
        )
        == 0
    )
    assert open_meta(tmp_path / "del").total_episodes == 3
    assert open_meta(home / "me/ds").total_episodes == 5  # the source is untouched
    # LeRobot's space-separated values, into $HF_LEROBOT_HOME/<new_repo_id>
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id",
                "me/ds",
                "--new_repo_id",
                "me/small",
                "--operation.type",
                "delete_episodes",
                "--operation.episode_indices",
                "1,3-4",
            ]
        )
        == 0
    )
    assert open_meta(home / "me/small").total_episodes == 2
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id=me/ds",
                "--operation.type=split",
                "--operation.splits={'train': 0.6, 'val': 0.4}",  # a Python literal, as LeRobot's
            ]
        )
        == 0
    )
    assert open_meta(home / "me/ds_train").total_episodes == 3
    assert open_meta(home / "me/ds_val").total_episodes == 2
    assert (
        main(
            [
                "dataset",
                "edit",
                "--new_repo_id=me/merged",
                "--operation.type=merge",
                "--operation.repo_ids=['me/ds_val', 'me/ds_train']",
            ]
        )
        == 0
    )
    assert open_meta(home / "me/merged").total_episodes == 5
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id=me/ds",
                f"--root={home / 'me/ds'}",
                "--new_repo_id=me/nocam",
                "--operation.type=remove_feature",
                "--operation.feature_names=['observation.images.front']",
            ]
        )
        == 0
    )
    assert open_meta(home / "me/nocam").video_keys == []


def test_edit_in_place_keeps_the_original(home, capsys):
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id=me/ds",
                "--operation.type=delete_episodes",
                "--operation.episode_indices=[4]",
            ]
        )
        == 0
    )
    assert open_meta(home / "me/ds").total_episodes == 4
    assert open_meta(home / "me/ds_old").total_episodes == 5
    assert "the original is kept as" in capsys.readouterr().err
    # a second in-place edit would have to overwrite that backup: refused, nothing changed
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id=me/ds",
                "--operation.type=delete_episodes",
                "--operation.episode_indices=[0]",
            ]
        )
        == 1
    )
    assert "ds_old, which already exists" in capsys.readouterr().err
    assert open_meta(home / "me/ds").total_episodes == 4


def test_edit_recompute_stats_and_info(home, capsys):
    assert main(["dataset", "edit", "--repo_id=me/ds", "--operation.type=recompute_stats"]) == 0
    assert "q99" in open_meta(home / "me/ds_recomputed_stats").stats["action"]
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id=me/ds",
                "--new_repo_id=me/ds",
                "--operation.type=recompute_stats",
            ]
        )
        == 1
    )
    assert "--operation.overwrite=true" in capsys.readouterr().err
    assert (
        main(
            [
                "dataset",
                "edit",
                "--repo_id=me/ds",
                "--operation.type=info",
                "--operation.show_features=true",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "5 episodes, 30 frames" in out and '"observation.state"' in out


def test_edit_pushes_to_the_hub(home, monkeypatch, tmp_path):
    from lr_dataset.local_hub import LocalHub

    monkeypatch.setenv("HF_TOKEN", "hf_test")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with LocalHub() as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert (
            main(
                [
                    "dataset",
                    "edit",
                    "--repo_id=me/ds",
                    "--new_repo_id=me/pushed",
                    "--operation.type=delete_episodes",
                    "--operation.episode_indices=[0]",
                    "--push_to_hub=true",
                ]
            )
            == 0
        )
        assert "v3.0" in hub.tags("me/pushed")
        # a repo id that is not on this machine comes from the Hub
        shutil.rmtree(home / "me/pushed")
        assert main(["dataset", "info", "me/pushed"]) == 0
