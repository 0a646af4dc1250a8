"""``nacarbon.commands.train.run`` against a real MLflow tracking server (tracking.uri=http://...)."""

from __future__ import annotations

import os
import subprocess

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from nacarbon.distributed import script_path
from nacarbon.commands.train import run

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def trained(mlflow_server, tmp_path_factory):
    from tests.conftest import compose_config

    tmp = tmp_path_factory.mktemp("via-server")
    cfg = compose_config("train", [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.output_dir={tmp / 'outputs'}",
                                   "progress=false", f"tracking.uri={mlflow_server.url}", "target=ice",
                                   "model=random_forest", "model.estimator.n_estimators=20"])
    return cfg, run(cfg), tmp


def test_run_metrics_params_and_tags_come_back_through_the_server(trained):
    cfg, result, _ = trained
    run_ = MlflowClient(cfg.tracking.uri).get_run(result.run_id)
    assert run_.data.metrics["rmse_mean"] == pytest.approx(result.metrics["rmse_mean"], rel=1e-12)
    assert run_.data.metrics["n_rows"] == 67
    assert run_.data.params["model"] == "random_forest" and run_.data.params["default.n_estimators"] == "20"
    assert run_.data.tags["nacarbon.kind"] == "train" and run_.data.tags["target"] == "ice"
    history = MlflowClient(cfg.tracking.uri).get_metric_history(result.run_id, "fold_rmse")
    assert len(history) == 5


def test_artifacts_are_stored_by_the_server_not_the_client(trained, mlflow_server):
    cfg, result, tmp = trained
    client = MlflowClient(cfg.tracking.uri)
    run_ = client.get_run(result.run_id)
    assert run_.info.artifact_uri.startswith("mlflow-artifacts:/")
    names = {a.path for d in (None, "data", "plots") for a in client.list_artifacts(result.run_id, d)}
    assert {"config.yaml", "plots/parity.png", "data/oof_predictions.csv", "data/fold_metrics.csv"} <= names
    png = client.download_artifacts(result.run_id, "plots/parity.png", dst_path=str(tmp / "dl"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    oof = pd.read_csv(client.download_artifacts(result.run_id, "data/oof_predictions.csv", dst_path=str(tmp / "dl")))
    assert len(oof) == 67
    stored = {p.name for p in mlflow_server.artifacts_dir.rglob("*") if p.is_file()}
    assert {"config.yaml", "parity.png", "oof_predictions.csv"} <= stored
    # The client's own store stays empty: no local SQLite, no local artifacts.
    assert not any((tmp / "mlruns").rglob("*.*"))


def test_model_loads_through_the_server_and_predicts_the_same(trained):
    cfg, result, _ = trained
    mlflow.set_tracking_uri(cfg.tracking.uri)
    X = result.design.X.head(7)
    # The bare estimator (what SHAP explains) and the whole predictor (what is registered and served).
    estimator = mlflow.sklearn.load_model(f"runs:/{result.run_id}/estimator")
    np.testing.assert_allclose(estimator.predict(X), result.model.predict(X), rtol=1e-12)
    model = mlflow.pyfunc.load_model(f"runs:/{result.run_id}/model")
    rows = result.dataset.frame.loc[X.index]
    served = model.predict(rows)
    local = result.predictor.predict_frame(rows)
    for col in ("pred_ice", "lo_ice", "hi_ice"):
        np.testing.assert_allclose(served[col].to_numpy(float), local[col].to_numpy(float), rtol=1e-12)


def test_status_reports_the_running_server(mlflow_server):
    env = {"PORT": mlflow_server.url.rsplit(":", 1)[1], "SERVER_DIR": str(mlflow_server.log_path.parent)}
    proc = subprocess.run(["bash", str(script_path("mlflow_server.sh")), "status"], capture_output=True,
                          text=True, env={**os.environ, **env}, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == mlflow_server.url
    assert "healthy" in proc.stderr


def test_status_of_a_server_never_started_is_exit_code_3(tmp_path):
    proc = subprocess.run(["bash", str(script_path("mlflow_server.sh")), "status"], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "SERVER_DIR": str(tmp_path), "PORT": "1"}, check=False)
    assert proc.returncode == 3 and "not running" in proc.stderr
