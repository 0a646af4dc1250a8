"""Staging beside the destination: removed after use, stale folders of dead processes cleaned."""

from __future__ import annotations

import os

import pytest

from nacarbon.staging import clean_stale, staging_dir


def test_the_folder_is_beside_the_output_and_gone_afterwards(tmp_path):
    final = tmp_path / "pred.csv"
    with staging_dir(final) as folder:
        assert folder.parent == tmp_path and folder.name == f".pred.csv.{os.getpid()}.tmp"
        (folder / "out.csv").write_text("x")
        os.replace(folder / "out.csv", final)
    assert not folder.exists() and final.read_text() == "x"


def test_removed_even_when_the_work_fails(tmp_path):
    with pytest.raises(RuntimeError), staging_dir(tmp_path / "pred.csv") as folder:
        (folder / "half.csv").write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_only_folders_of_dead_processes_are_cleaned(tmp_path):
    dead = tmp_path / ".pred.csv.4194399.tmp"      # above Linux's largest pid
    alive = tmp_path / f".pred.csv.{os.getppid()}.tmp"
    other = tmp_path / ".other.csv.4194399.tmp"
    for folder in (dead, alive, other):
        folder.mkdir()
    assert clean_stale(tmp_path / "pred.csv") == [dead]
    assert not dead.exists() and alive.exists() and other.exists()
