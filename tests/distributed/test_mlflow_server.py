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


def _running_train_run(client: MlflowClient) -> str | None:
    """The id of a RUNNING training run that has logged at least one fold, or None."""
    for exp in client.search_experiments():
        for r in client.search_runs([exp.experiment_id], filter_string="attributes.status = 'RUNNING'"):
            if "fold_rmse" in r.data.metrics:
                return r.info.run_id
    return None


@pytest.mark.slow
def test_server_killed_mid_run_is_one_error_and_the_orphan_is_failed_on_next_contact(tmp_path):
    """Issue 22 item 3: kill -9 the server while train works; then restart it and open the store again."""
    import signal
    import sys
    import time

    from nacarbon.distributed import free_port
    from nacarbon.distributed.mlflow_server import MlflowServer

    port = free_port()
    server = MlflowServer(tmp_path / "srv", port=port)
    url = server.start()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "OMP_NUM_THREADS": "1"}
    train = subprocess.Popen([sys.executable, "-m", "train", "target=ice", "model=extra_trees", "cv=repeated",
                              "model.estimator.n_estimators=300", "progress=false", f"tracking.uri={url}",
                              f"paths.mlruns_dir={tmp_path / 'mlruns'}", f"paths.output_dir={tmp_path / 'out'}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        client = MlflowClient(url)
        run_id = None
        while run_id is None and train.poll() is None:
            run_id = _running_train_run(client)
            time.sleep(0.5)
        assert run_id is not None, f"train ended before its run was seen RUNNING: {train.communicate()}"
        pid = int((tmp_path / "srv" / "server" / "server.pid").read_text())
        os.killpg(pid, signal.SIGKILL)             # the server dies mid-run, as with kill -9
        out, err = train.communicate()
    finally:
        if train.poll() is None:
            train.kill()
    assert train.returncode == 2, err
    assert "Traceback" not in out + err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "stopped answering" in errors[0] and url in errors[0], err
    assert err.strip() == errors[0], err          # nothing else on stderr: no retries, no warnings

    restarted = MlflowServer(tmp_path / "srv", port=port)
    restarted.start()
    try:
        assert MlflowClient(url).get_run(run_id).info.status == "RUNNING"   # the orphan, as the kill left it
        nxt = subprocess.run([sys.executable, "-m", "promote", "target=ice", "--dry-run", f"tracking.uri={url}",
                              f"paths.mlruns_dir={tmp_path / 'mlruns'}", f"paths.output_dir={tmp_path / 'out'}"],
                             capture_output=True, text=True, env=env, cwd=tmp_path)
        assert "Traceback" not in nxt.stderr, nxt.stderr
        orphan = MlflowClient(url).get_run(run_id)
        assert orphan.info.status == "FAILED"
        assert f"process {train.pid}" in orphan.data.tags["nacarbon.failed_because"]
    finally:
        restarted.stop()
