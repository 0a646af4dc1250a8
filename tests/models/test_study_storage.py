"""Optuna storages: created once, shared by processes starting together, errors that name the cause."""

from __future__ import annotations

import multiprocessing
import sqlite3

import optuna
import pytest

from nacarbon.errors import StoreError
from nacarbon.models import study_storage


def _open_at_once(url: str, barrier, results) -> None:
    """A worker that waits for the others, then opens the fresh storage and creates a study in it."""
    barrier.wait()
    try:
        study = study_storage.create_study("same-study", url, optuna.pruners.NopPruner())
        results.put(("ok", study.study_name))
    except Exception as err:  # noqa: BLE001 (the test reports what any worker met)
        results.put(("error", f"{type(err).__name__}: {err}"))


def test_processes_opening_a_fresh_storage_at_once_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'optuna.db'}"   # neither the folder nor the file exist
    ctx = multiprocessing.get_context("fork")
    n = 4
    barrier, results = ctx.Barrier(n), ctx.Queue()
    workers = [ctx.Process(target=_open_at_once, args=(url, barrier, results)) for _ in range(n)]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join()
    assert outcomes == [("ok", "same-study")] * n
    with sqlite3.connect(tmp_path / "new" / "optuna.db") as db:
        assert db.execute("select count(*) from alembic_version").fetchone() == (1,)
        assert db.execute("select study_name from studies").fetchall() == [("same-study",)]


def test_prepared_storage_is_opened_once_per_process(tmp_path):
    url = study_storage.prepare_storage(f"sqlite:///{tmp_path / 'optuna.db'}")
    assert (tmp_path / "optuna.db").is_file()
    assert study_storage.open_storage(url) is study_storage.open_storage(url)


def test_storage_under_a_file_names_the_cause(tmp_path):
    (tmp_path / "blocked").write_text("a file where the folder should be")
    with pytest.raises(StoreError) as caught:
        study_storage.prepare_storage(f"sqlite:///{tmp_path / 'blocked' / 'optuna.db'}")
    message = str(caught.value)
    assert "blocked" in message and "File exists" in message and "folder you can write to" in message


def test_error_without_a_user_cause_blames_no_one():
    err = study_storage.storage_error("sqlite:///x.db", RuntimeError("UNIQUE constraint failed: studies.study_name"),
                                      attempts=5)
    assert "still failing after 5 attempts" in str(err) and "UNIQUE constraint failed" in str(err)
    assert "writable" not in str(err) and "server" not in str(err)
