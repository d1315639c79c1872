"""The progress bar shared by long commands (lr_core.progress)."""

from __future__ import annotations

import builtins

from lr_core.progress import progress_bar


def test_tqdm_bar_on_stderr_with_eta(capsys):
    with progress_bar(4, desc="eval", unit="episode") as bar:
        bar.update(2)
        bar.set_postfix_str("success 1/2")
        bar.update(2)
    err = capsys.readouterr().err
    assert "eval" in err and "4/4" in err and "episode" in err


def test_plain_bar_without_tqdm(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    bar = progress_bar(3, desc="copy", unit="file")
    bar.update(3)
    bar.close()
    err = capsys.readouterr().err
    assert err.startswith("copy: 3/3 file [") and "file/s" in err
    quiet = progress_bar(3, desc="copy", enabled=False)
    quiet.update(3)
    quiet.close()
    assert capsys.readouterr().err == "" and quiet.n == 3
