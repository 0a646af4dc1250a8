"""Opening the MLflow store: copied stores, dead servers, read-only folders, killed runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from nacarbon.errors import StoreError
from nacarbon.tracking.store import STALE_TAG, connect, ensure_experiment
from tests.mlflow_template import fresh_store


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _store(mlruns: Path) -> tuple[str, Path]:
    return f"sqlite:///{mlruns}/mlflow.db", mlruns / "artifacts"


@pytest.fixture
def original(tmp_path, tmp_path_factory) -> tuple[Path, str]:
    mlruns = tmp_path / "a" / "mlruns"
    fresh_store(mlruns, tmp_path_factory)
    uri, root = _store(mlruns)
    connect(uri, root)
    ensure_experiment("nacarbon-seed", uri=uri, artifact_root=root)
    with mlflow.start_run() as run:
        mlflow.log_text("first", "data/note.txt")
    return mlruns, run.info.run_id


def test_copied_store_reads_and_writes_its_own_artifacts(original, tmp_path):
    mlruns, run_id = original
    before = _tree(mlruns)
    copy = tmp_path / "b" / "mlruns"
    shutil.copytree(mlruns, copy)
    (mlruns / "artifacts" / "nacarbon-seed").rename(mlruns / "artifacts" / "hidden")   # the copy must not need it
    uri, root = _store(copy)
    client = connect(uri, root)
    assert client.get_run(run_id).info.artifact_uri.startswith(root.resolve().as_uri())
    assert Path(client.download_artifacts(run_id, "data/note.txt", str(tmp_path))).read_text() == "first"
    ensure_experiment("nacarbon-seed", uri=uri, artifact_root=root)
    with mlflow.start_run() as run:
        mlflow.log_text("second", "data/note.txt")
    assert run.info.artifact_uri.startswith(root.resolve().as_uri())
    (mlruns / "artifacts" / "hidden").rename(mlruns / "artifacts" / "nacarbon-seed")
    assert _tree(mlruns) == before                       # the original is untouched
    assert MlflowClient(f"sqlite:///{mlruns}/mlflow.db").get_run(run_id).info.artifact_uri.startswith(
        (mlruns / "artifacts").resolve().as_uri())


def test_database_copied_without_its_artifacts_is_refused(original, tmp_path):
    mlruns, _ = original
    copy = tmp_path / "c" / "mlruns"
    copy.mkdir(parents=True)
    shutil.copyfile(mlruns / "mlflow.db", copy / "mlflow.db")
    with pytest.raises(StoreError, match=r"nacarbon-seed.*outside this store.*copy"):
        connect(*_store(copy))


def test_unreachable_server_fails_fast_naming_it():
    start = time.perf_counter()
    with pytest.raises(StoreError, match=r"http://127\.0\.0\.1:9 cannot be reached"):
        connect("http://127.0.0.1:9", "unused")
    assert time.perf_counter() - start < 30


def test_unwritable_store_folder_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot write to"):
        connect(f"sqlite:///{blocker}/mlruns/mlflow.db", blocker / "mlruns" / "artifacts")


KILLED = """
import os, sys, mlflow
from nacarbon.tracking.store import connect, ensure_experiment
uri, root = sys.argv[1], sys.argv[2]
connect(uri, root)
ensure_experiment("nacarbon-seed", uri=uri, artifact_root=root)
run = mlflow.start_run()
mlflow.log_metric("half", 1.0)
print(run.info.run_id, flush=True)
os.kill(os.getpid(), 9)
"""


def test_run_of_a_killed_process_is_marked_failed(original):
    mlruns, _ = original
    uri, root = _store(mlruns)
    proc = subprocess.run([sys.executable, "-c", KILLED, uri, str(root)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert proc.returncode == -9, proc.stderr
    run_id = proc.stdout.split()[0]
    assert MlflowClient(uri).get_run(run_id).info.status == "RUNNING"
    client = connect(uri, root)
    run = client.get_run(run_id)
    assert run.info.status == "FAILED" and "ended without closing the run" in run.data.tags[STALE_TAG]
