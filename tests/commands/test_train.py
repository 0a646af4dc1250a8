"""``python -m train`` end to end on the real seed data, written to a real MLflow store."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from nacarbon.commands.train import run


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from tests.conftest import compose_config

    tmp = tmp_path_factory.mktemp("train")
    overrides = [f"paths.mlruns_dir={tmp / 'mlruns'}", "progress=false", "target=ice", "model=random_forest",
                 "model.estimator.n_estimators=30"]
    cfg = compose_config("train", overrides)
    return cfg, run(cfg)


def test_run_logs_metrics_and_tags(trained):
    cfg, result = trained
    client = MlflowClient(cfg.tracking.uri)
    run_ = client.get_run(result.run_id)
    for m in ("r2", "rmse", "mae"):
        for suffix in ("_mean", "_std", "_pooled"):
            assert m + suffix in run_.data.metrics
            assert "baseline_" + m + suffix in run_.data.metrics
    assert run_.data.metrics["n_rows"] == 67  # every seed row has an ICE
    assert run_.data.tags["data_version"] == result.dataset.version
    assert run_.data.tags["target"] == "ice" and run_.data.tags["cv"] == "group"
    assert len(run_.data.tags["git_commit"]) >= 7
    assert run_.data.params["model"] == "random_forest"
    history = client.get_metric_history(result.run_id, "fold_rmse")
    assert len(history) == 5


def test_run_is_described_and_lists_its_training_table_as_input(trained):
    cfg, result = trained
    client = MlflowClient(cfg.tracking.uri)
    run_ = client.get_run(result.run_id)
    assert run_.data.tags["nacarbon.kind"] == "train"
    assert "random_forest on ice" in run_.data.tags["mlflow.note.content"]
    assert "beat" in run_.data.tags["mlflow.note.content"]
    [inp] = run_.inputs.dataset_inputs
    assert inp.dataset.name == f"seed@{result.dataset.version}" and inp.dataset.digest == result.dataset.version
    assert [t.value for t in inp.tags if t.key == "mlflow.data.context"] == ["training"]
    assert "seed" in client.get_experiment(run_.info.experiment_id).tags["mlflow.note.content"]


def test_run_logs_artifacts(trained):
    cfg, result = trained
    client = MlflowClient(cfg.tracking.uri)
    names = {a.path for a in client.list_artifacts(result.run_id)}
    names |= {a.path for d in ("data", "plots") for a in client.list_artifacts(result.run_id, d)}
    for expected in ("config.yaml", "plots/parity.png", "data/oof_predictions.csv", "data/training_data.csv",
                     "data/fold_metrics.csv"):
        assert expected in names
    png = client.download_artifacts(result.run_id, "plots/parity.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    oof = pd.read_csv(client.download_artifacts(result.run_id, "data/oof_predictions.csv"))
    assert len(oof) == 67 and set(oof["material_class"]) == {"hard", "soft"}
    config = open(client.download_artifacts(result.run_id, "config.yaml")).read()
    assert "random_forest" in config and "${" not in config


def test_artifacts_stay_in_project_store(trained):
    cfg, result = trained
    run_ = MlflowClient(cfg.tracking.uri).get_run(result.run_id)
    assert run_.info.artifact_uri.startswith("file://" + cfg.tracking.artifact_root)


def test_logged_model_loads_and_predicts(trained):
    cfg, result = trained
    mlflow.set_tracking_uri(cfg.tracking.uri)
    estimator = mlflow.sklearn.load_model(f"runs:/{result.run_id}/estimator")
    X = result.design.X.head(5)
    np.testing.assert_allclose(estimator.predict(X), result.model.predict(X))


def test_logged_model_is_the_whole_predictor(trained):
    """``model`` (what promotion registers) answers interval, domain and neighbours, same point as the estimator."""
    from nacarbon.data.io import load_configured

    cfg, result = trained
    mlflow.set_tracking_uri(cfg.tracking.uri)
    model = mlflow.pyfunc.load_model(f"runs:/{result.run_id}/model")
    rows = load_configured(cfg.dataset).frame.dropna(subset=["ice_pct"]).head(5)
    out = model.predict(rows)
    assert {"pred_ice", "lo_ice", "hi_ice", "domain_score", "in_domain", "nearest1_paper_id"} <= set(out.columns)
    assert ((out["lo_ice"] <= out["pred_ice"]) & (out["pred_ice"] <= out["hi_ice"])).all()
    assert out["hi_ice"].max() <= 100
    np.testing.assert_allclose(out["pred_ice"], result.model.predict(result.design.X.head(5)))
    run_ = MlflowClient(cfg.tracking.uri).get_run(result.run_id)
    assert run_.data.params["predictor.difficulty"] == "knn"


def test_oof_never_mixes_sources(trained):
    _, result = trained
    oof = result.cv.oof
    for fold, part in oof.groupby("fold"):
        train_groups = set(result.design.groups) - set(part["group"])
        assert train_groups.isdisjoint(set(part["group"]))


def test_same_command_same_metrics(trained, make_cfg):
    cfg, result = trained
    again = run(make_cfg("target=ice", "model=random_forest", "model.estimator.n_estimators=30"))
    for k in ("r2_mean", "rmse_mean", "mae_pooled", "baseline_rmse_mean"):
        assert again.metrics[k] == pytest.approx(result.metrics[k], rel=0, abs=1e-12)


@pytest.mark.slow
def test_parallel_multirun_shares_a_fresh_sqlite_store(tmp_path):
    """Two joblib jobs open the same new mlflow.db at once; both runs must land (README: parallel sweeps)."""
    import sqlite3
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run([sys.executable, "-m", "train", "-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2",
                           "target=ice", "setup=paper", "model=dummy,ridge", "progress=false", f"paths.mlruns_dir={tmp_path / 'mlruns'}",
                           f"paths.output_dir={tmp_path / 'out'}", f"paths.experiments_dir={tmp_path / 'exp'}",
                           f"hydra.sweep.dir={tmp_path / 'multirun'}"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Joblib.Parallel(n_jobs=2" in proc.stdout + proc.stderr
    with sqlite3.connect(tmp_path / "mlruns" / "mlflow.db") as db:
        assert db.execute("select status, count(*) from runs group by status").fetchall() == [("FINISHED", 2)]
        assert db.execute("select name from datasets").fetchall() == [(f"seed@{_seed_version()}",)]


def _seed_version() -> str:
    from nacarbon.data.io import load_configured
    from tests.conftest import compose_config

    return load_configured(compose_config("train").dataset).version
