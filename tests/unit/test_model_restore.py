"""Training keeps the model it replaces; restoring serves it again, and restoring twice undoes the restore."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import launcher


def test_the_previous_model_is_kept_and_restored_with_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(launcher, "MODEL", tmp_path / "current.tar.gz")
    assert launcher.restore_previous() is False  # nothing kept yet
    for name, text in (("current.tar.gz", "model A"), ("current.sha256", "hash A")):
        (tmp_path / name).write_text(text)
    launcher.keep_previous()  # a training starts replacing model A with model B
    (tmp_path / "current.tar.gz").write_text("model B")
    (tmp_path / "current.sha256").write_text("hash B")
    assert launcher.restore_previous() is True
    assert (tmp_path / "current.tar.gz").read_text() == "model A"
    assert (tmp_path / "current.sha256").read_text() == "hash A"
    assert (tmp_path / "previous.tar.gz").read_text() == "model B"
    launcher.restore_previous()
    assert (tmp_path / "current.tar.gz").read_text() == "model B"
    assert not list(tmp_path.glob("*.swap"))
