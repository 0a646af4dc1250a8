"""Rewriting a table safely (nacarbon.data.table_write): the lock, the staged swap, atomic replacement."""

from __future__ import annotations

import threading

import pytest

import nacarbon.data.table_write as table_write
from nacarbon.data.table_write import exclusive_lock, line_ending, replace_file, staged
from nacarbon.errors import DataValidationError, NacarbonError
from nacarbon.paths import project_root

SEED = project_root() / "data" / "liu2022_tables.csv"


def test_lock_makes_a_second_holder_wait(tmp_path):
    lock = tmp_path / "t.lock"
    waited = threading.Event()
    entered = threading.Event()

    def second():
        with exclusive_lock(lock, on_wait=lambda p: waited.set()):
            entered.set()

    with exclusive_lock(lock):
        thread = threading.Thread(target=second)
        thread.start()
        while not waited.is_set() and thread.is_alive():
            waited.wait(0.01)
        assert waited.is_set() and not entered.is_set()
    thread.join()
    assert entered.is_set()


@pytest.mark.parametrize(("data", "eol"), [(b"a,b\n1,2\n", "\n"), (b"a,b\r\n1,2\r\n", "\r\n"), (b"", "\n")])
def test_line_ending_is_the_first_lines(data, eol):
    assert line_ending(data) == eol


def test_replace_file_creates_folders_and_leaves_no_temp(tmp_path):
    path = tmp_path / "changes" / "log.csv"
    replace_file(path, b"one\n")
    replace_file(path, b"two\n")
    assert path.read_bytes() == b"two\n" and [p.name for p in path.parent.iterdir()] == ["log.csv"]


def test_replace_file_that_fails_keeps_the_old_content(tmp_path, monkeypatch):
    path = tmp_path / "log.csv"
    path.write_bytes(b"old\n")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(table_write.os, "replace", broken)
    with pytest.raises(OSError, match="No space"):
        replace_file(path, b"new\n")
    assert path.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["log.csv"]


@pytest.mark.parametrize("dry_run", [True, False])
def test_staged_content_with_too_few_rows_is_refused_and_the_table_kept(tmp_path, dry_run):
    target = tmp_path / "liu2022_tables.csv"
    target.write_bytes(SEED.read_bytes())
    before = target.read_bytes()
    rows = before.count(b"\n") - 1
    with pytest.raises(DataValidationError, match=f"should have {rows + 1} rows"):
        with staged(target, before, rows + 1, dry_run=dry_run):
            pass
    assert target.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_staged_swaps_only_when_the_block_succeeds(tmp_path):
    target = tmp_path / "liu2022_tables.csv"
    target.write_bytes(SEED.read_bytes())
    lines = SEED.read_bytes().splitlines(keepends=True)
    shorter = b"".join(lines[:-1])
    with pytest.raises(RuntimeError):
        with staged(target, shorter, len(lines) - 2):
            raise RuntimeError("the caller changed its mind")
    assert target.read_bytes() == SEED.read_bytes()
    with staged(target, shorter, len(lines) - 2) as table:
        assert len(table) == len(lines) - 2
    assert target.read_bytes() == shorter


def test_staged_dry_run_never_writes(tmp_path):
    target = tmp_path / "liu2022_tables.csv"
    target.write_bytes(SEED.read_bytes())
    shorter = b"".join(SEED.read_bytes().splitlines(keepends=True)[:-1])
    with staged(target, shorter, shorter.count(b"\n") - 1, dry_run=True):
        pass
    assert target.read_bytes() == SEED.read_bytes()


def test_unwritable_folder_is_a_nacarbon_error(tmp_path):
    target = tmp_path / "missing" / "liu2022_tables.csv"
    with pytest.raises(NacarbonError, match="could not write"):
        with staged(target, SEED.read_bytes(), 1):
            pass
