"""Tests of cobra_metalign.cache: all-or-nothing output sets and output path checks."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from cobra_metalign.cache import TEMP_PREFIX, Output, check_output_path, write_outputs
from cobra_metalign.errors import ModelWriteError


def _writer(text: str):
    return lambda tmp: Path(tmp).write_text(text)


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.is_file()}


def test_all_outputs_written(tmp_path):
    written = write_outputs(
        [Output(tmp_path / "a.txt", _writer("A")), Output(tmp_path / "b.txt", _writer("B"))]
    )
    assert written == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert _files(tmp_path) == {"a.txt": "A", "b.txt": "B"}


def test_a_failing_writer_leaves_nothing(tmp_path):
    def broken(tmp):
        Path(tmp).write_text("partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(ModelWriteError) as info:
        write_outputs(
            [
                Output(tmp_path / "model.xml", _writer("M"), label="model"),
                Output(tmp_path / "audit.tsv", broken, label="audit"),
            ]
        )
    message = str(info.value)
    assert "No space left on device" in message and str(tmp_path / "audit.tsv") in message
    assert TEMP_PREFIX not in message
    assert list(tmp_path.iterdir()) == []


def test_a_failing_check_leaves_nothing(tmp_path):
    def check(tmp):
        raise ModelWriteError(f"the written file {tmp} cannot be read back")

    with pytest.raises(ModelWriteError, match="cannot be read back"):
        write_outputs([Output(tmp_path / "m.xml", _writer("M"), check=check)])
    assert list(tmp_path.iterdir()) == []


def test_target_that_appeared_is_never_replaced(tmp_path):
    """Issue 14 item 11: a file created at an output path during the run is kept."""

    def sneaky(tmp):
        Path(tmp).write_text("audit")
        (tmp_path / "audit.tsv").write_text("someone else's")

    with pytest.raises(ModelWriteError, match="appeared"):
        write_outputs(
            [
                Output(tmp_path / "model.xml", _writer("M")),
                Output(tmp_path / "audit.tsv", sneaky),
                Output(tmp_path / "reactions.tsv", _writer("R")),
            ]
        )
    assert _files(tmp_path) == {"audit.tsv": "someone else's"}


def test_replaced_files_are_restored_on_failure(tmp_path):
    (tmp_path / "model.xml").write_text("old model")
    (tmp_path / "audit.tsv").write_text("someone else's")
    with pytest.raises(ModelWriteError, match="appeared"):
        write_outputs(
            [
                Output(tmp_path / "model.xml", _writer("new model"), replace=True),
                Output(tmp_path / "audit.tsv", _writer("new audit")),
            ]
        )
    assert _files(tmp_path) == {"model.xml": "old model", "audit.tsv": "someone else's"}


def test_interrupt_while_writing_leaves_nothing(tmp_path):
    def interrupted(tmp):
        Path(tmp).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_outputs([Output(tmp_path / "a", _writer("A")), Output(tmp_path / "b", interrupted)])
    assert list(tmp_path.iterdir()) == []


def test_mode_is_applied(tmp_path):
    write_outputs([Output(tmp_path / "ro.xml", _writer("x"), mode=0o444)])
    assert (tmp_path / "ro.xml").stat().st_mode & 0o777 == 0o444


def test_check_output_path(tmp_path):
    source = tmp_path / "in.xml"
    source.write_text("x")
    link = tmp_path / "link.xml"
    link.symlink_to(source)
    with pytest.raises(ModelWriteError, match="over the input"):
        check_output_path(link, inputs=[source], overwrite=True)
    with pytest.raises(ModelWriteError, match="already exists"):
        check_output_path(source)
    with pytest.raises(ModelWriteError, match="directory"):
        check_output_path(tmp_path)
    with pytest.raises(ModelWriteError, match="is not a folder"):
        check_output_path(source / "sub" / "out.xml")
    assert check_output_path(tmp_path / "new" / "out.xml") == tmp_path / "new" / "out.xml"
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_check_output_path_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ModelWriteError, match="not writable"):
            check_output_path(folder / "out.xml")
    finally:
        folder.chmod(0o755)


def test_folders_created_for_a_failed_set_are_removed(tmp_path):
    def broken(tmp):
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(ModelWriteError, match="Input/output error"):
        write_outputs(
            [
                Output(tmp_path / "new" / "deep" / "a.txt", _writer("A")),
                Output(tmp_path / "new" / "b.txt", broken),
            ]
        )
    assert list(tmp_path.iterdir()) == []


def test_read_only_folder_is_refused(tmp_path, monkeypatch):
    """The permission check itself (root ignores folder modes, so os.access is stubbed)."""
    from cobra_metalign import cache

    monkeypatch.setattr(cache.os, "access", lambda path, mode: Path(path) != tmp_path)
    with pytest.raises(ModelWriteError, match=f"the folder {tmp_path} is not writable"):
        check_output_path(tmp_path / "out.xml")
