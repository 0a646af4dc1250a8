"""Run selection: the latest finished run per model, on the asked-for data version and protocol."""

from __future__ import annotations

import time

import mlflow
import pandas as pd
import pytest

from nacarbon.tracking.folds import collect_folds, selection_filter
from nacarbon.errors import NacarbonError
from nacarbon.tracking.store import connect, ensure_experiment

TAGS = {"nacarbon.kind": "train", "target": "ice", "data_version": "v1", "cv": "group", "features": "default",
        "search": "none", "model_family": "tree", "model_complexity": "3"}


def fake_run(tmp_path, model: str, rmse: float, *, status: str = "FINISHED", with_folds: bool = True, **tags):
    with mlflow.start_run(tags={**TAGS, "model": model, **tags}) as run:
        mlflow.log_param("seed", "42")
        if with_folds:
            path = tmp_path / "fold_metrics.csv"
            pd.DataFrame({"fold": [0, 1], "model_r2": [0.1, 0.2], "model_rmse": [rmse, rmse],
                          "model_mae": [1.0, 1.0], "baseline_r2": [0.0, 0.0], "baseline_rmse": [9.0, 9.0],
                          "baseline_mae": [2.0, 2.0]}).to_csv(path, index=False)
            mlflow.log_artifact(str(path), artifact_path="data")
    if status != "FINISHED":
        mlflow.tracking.MlflowClient().set_terminated(run.info.run_id, status=status)
    time.sleep(0.01)  # distinct start times
    return run.info.run_id


@pytest.fixture(scope="module")
def store(compare_store):
    uri = f"sqlite:///{compare_store / 'mlruns'}/mlflow.db"
    return uri, compare_store / "mlruns" / "artifacts", connect(uri, compare_store / "mlruns" / "artifacts")


@pytest.fixture
def client(store, request):
    uri, artifacts, c = store
    mlflow.set_tracking_uri(uri)
    return c, ensure_experiment(request.node.name, uri=uri, artifact_root=artifacts)


def test_latest_finished_run_per_model_is_taken(tmp_path, client):
    c, exp = client
    fake_run(tmp_path, "ridge", 5.0)
    newest = fake_run(tmp_path, "ridge", 4.0)
    fake_run(tmp_path, "ridge", 1.0, status="FAILED")
    fake_run(tmp_path, "ridge", 1.0, data_version="v0")
    fake_run(tmp_path, "ridge", 1.0, cv="kfold")
    knn = fake_run(tmp_path, "knn", 6.0)
    fake_run(tmp_path, "dummy", 9.0)
    folds = collect_folds(c, [exp], target="ice", data_version="v1", cv="group", features="default", seed=42,
                          exclude_models=("dummy",))
    assert set(folds["run_id"]) == {newest, knn}
    assert folds.loc[folds["model"] == "ridge", "model_rmse"].tolist() == [4.0, 4.0]
    assert collect_folds(c, [exp], target="ice", data_version="v1", cv="group", features="default",
                         seed=7).empty
    assert collect_folds(c, [exp], target="rate", data_version="v1", cv="group", features="default").empty


def test_run_without_fold_table_is_named(tmp_path, client):
    c, exp = client
    run_id = fake_run(tmp_path, "ridge", 4.0, with_folds=False)
    with pytest.raises(NacarbonError, match=f"run {run_id}: cannot read data/fold_metrics.csv"):
        collect_folds(c, [exp], target="ice", data_version="v1", cv="group", features="default")


def test_filter_quotes_values():
    flt = selection_filter(target="ice", data_version="ab'c", cv="group", features="default", search="optuna")
    assert "tags.data_version = 'ab\\'c'" in flt and "tags.search = 'optuna'" in flt
    assert "tags.`nacarbon.kind` = 'train'" in flt and "attributes.status = 'FINISHED'" in flt
