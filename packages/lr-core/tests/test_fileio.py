"""lr_core.fileio: atomic replacement that honours the umask like an ordinary write."""

from __future__ import annotations

import os
import stat

import pytest

from lr_core.fileio import atomic_path, atomic_write_text


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_the_mode_an_ordinary_write_would_give(tmp_path, umask_022):
    atomic_write_text(tmp_path / "info.json", "{}")
    (tmp_path / "plain.json").write_text("{}")
    assert _mode(tmp_path / "info.json") == _mode(tmp_path / "plain.json") == 0o644


def test_a_stricter_umask_is_honoured(tmp_path):
    old = os.umask(0o077)
    try:
        atomic_write_text(tmp_path / "secret.json", "{}")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "secret.json") == 0o600


def test_a_replaced_file_keeps_its_mode(tmp_path, umask_022):
    target = tmp_path / "report.html"
    target.write_text("old")
    target.chmod(0o664)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o664


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.safetensors"]


def test_the_temporary_keeps_the_extension(tmp_path):
    with atomic_path(tmp_path / "file-000.parquet") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".")
        assert tmp.name.endswith(".parquet.tmp")
        tmp.write_bytes(b"x")
    assert (tmp_path / "file-000.parquet").read_bytes() == b"x"
