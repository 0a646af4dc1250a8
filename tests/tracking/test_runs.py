"""Runs as every command opens and records them: failures end FAILED with their reason, a store that
fails (full disk) is one StoreError with the store intact, experiments open on their runs table."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from nacarbon.errors import StoreError
from nacarbon.tracking import tags as T
from nacarbon.tracking.runs import open_run, record_run


def _store(tmp_path: Path) -> tuple[str, Path]:
    return f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}", tmp_path / "mlruns" / "artifacts"


def test_experiments_are_model_development_and_described(tmp_path):
    uri, art = _store(tmp_path)
    record_run(T.PREDICT_EXPERIMENT, T.PREDICT, "a check", uri=uri, artifact_root=art, run_name="r")
    exp = MlflowClient(uri).get_experiment_by_name(T.PREDICT_EXPERIMENT)
    # without it MLflow 3's UI opens the experiment on its GenAI Traces page
    assert exp.tags["mlflow.experimentKind"] == "custom_model_development"
    assert exp.tags[T.DESCRIPTION]


def test_an_error_inside_the_run_ends_it_failed_with_the_reason(tmp_path):
    uri, art = _store(tmp_path)
    with pytest.raises(ZeroDivisionError):
        with open_run("nacarbon-seed", T.TRAIN, "d", uri=uri, artifact_root=art, run_name="dies") as run:
            1 / 0
    got = MlflowClient(uri).get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.data.tags["nacarbon.failed_because"] == "ZeroDivisionError: division by zero"
    import mlflow

    assert mlflow.active_run() is None


# Run in a child process: a file-size limit (ulimit -f) stands in for a full disk.
FULL_DISK = """
import resource, sys
from pathlib import Path
from nacarbon.errors import StoreError
from nacarbon.tracking.runs import record_run
uri, art, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
big = Path(sys.argv[4])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    record_run("nacarbon-predict", "predict", "x" * 4000, uri=uri, artifact_root=art, run_name="full",
               params={f"p{i}": "v" * 400 for i in range(300)}, metrics={f"m{i}": i for i in range(300)},
               files=[(big, "data")])
except StoreError as err:
    print(err)
    sys.exit(2)
"""


def test_a_full_disk_while_recording_is_one_store_error_and_the_store_stays_intact(tmp_path):
    uri, art = _store(tmp_path)
    first = record_run(T.PREDICT_EXPERIMENT, T.PREDICT, "before", uri=uri, artifact_root=art, run_name="ok")
    db = tmp_path / "mlruns" / "mlflow.db"
    big = tmp_path / "pred.csv"
    big.write_text("a,b\n" + "1,2\n" * 50_000)
    (tmp_path / "full.py").write_text(FULL_DISK)
    done = subprocess.run([sys.executable, str(tmp_path / "full.py"), uri, str(art), str(db.stat().st_size), str(big)],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith(f"MLflow store {uri} failed while"), done.stdout
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(T.PREDICT_EXPERIMENT)
    runs = client.search_runs([exp.experiment_id])
    # nothing recorded as done: the earlier run only, or a half-made one that is not FINISHED
    assert [r.info.run_id for r in runs if r.info.status == "FINISHED"] == [first]


def test_store_errors_names_the_store_and_the_step():
    from mlflow.exceptions import MlflowException

    from nacarbon.tracking.failures import store_errors

    with pytest.raises(StoreError, match=r"http://127.0.0.1:9 failed while logging: the tracking server stopped"):
        with store_errors("http://127.0.0.1:9", "logging"):
            raise MlflowException("API request failed: Max retries exceeded ([Errno 111] Connection refused)")
    with pytest.raises(ValueError):       # not a store failure: left alone
        with store_errors("http://127.0.0.1:9", "logging"):
            raise ValueError("a bug")


def test_ui_links_open_the_model_training_view():
    from nacarbon.tracking.runs import experiment_url

    assert experiment_url("sqlite:////x/mlflow.db", "3", "abc") == \
        "http://127.0.0.1:5000/#/experiments/3/runs/abc?workflowType=machine_learning"
    assert experiment_url("http://10.0.0.2:5617/", "1") == \
        "http://10.0.0.2:5617/#/experiments/1/runs?workflowType=machine_learning"
