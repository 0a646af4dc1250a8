"""``python -m promote`` on a real SQLite MLflow store holding real training runs on the seed data.

The training runs are made once per module; every test promotes on its own copy of that store,
and chooses which runs exist by deleting (hiding) and restoring them, so "a better run arrives
later" needs no retraining.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.errors import RegistryError
from nacarbon.commands.promote import run as promote
from nacarbon.registry.promotion import Decision
from nacarbon.tracking.tags import CHAMPION_ALIAS as ALIAS
from nacarbon.registry.selection import find_candidates
from nacarbon.commands.train import TrainResult, run as train
from tests.conftest import ROOT, compose_config

ICE, CAPACITY = "nacarbon-ice", "nacarbon-capacity"

# ICE on the merged set with rich features, 5 x 5 repeated grouped splits (the significance rule
# needs >= 25): ridge and knn both beat the mean baseline significantly, knn by more. Capacity on
# the seed data: nothing does. Premises are checked on the logged numbers in `source`.
ICE_DATA = ["dataset=merged", "features=rich"]
TRAINING = {
    "worse": ["target=ice", "model=ridge", *ICE_DATA, "cv=repeated"],
    "better": ["target=ice", "model=knn", *ICE_DATA, "cv=repeated"],
    "twin": ["target=ice", "model=knn", *ICE_DATA, "cv=repeated"],  # identical retrain of "better", logged later
    "kfold": ["target=ice", "model=ridge", *ICE_DATA, "cv=kfold", "cv.n_repeats=1"],
    "cap_ridge": ["target=capacity", "model=ridge", "cv=repeated"],
    "cap_knn": ["target=capacity", "model=knn", "cv=repeated"],
}


@dataclass
class Source:
    """The module's store of training runs."""

    dir: Path
    results: dict[str, TrainResult]

    def rmse(self, key: str) -> float:
        return self.results[key].metrics["rmse_mean"]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Source:
    """Train every run of ``TRAINING`` once, in order, into one store."""
    root = tmp_path_factory.mktemp("promote-source")
    results = {key: train(compose_config("train", [f"paths.mlruns_dir={root / 'mlruns'}", "progress=false", *ov]))
               for key, ov in TRAINING.items()}
    src = Source(root / "mlruns", results)
    # The premises the tests rely on, checked on the logged numbers rather than assumed.
    assert src.rmse("better") < src.rmse("worse")
    return src


@dataclass
class Store:
    """A private copy of the source store, plus helpers to promote on it."""

    dir: Path
    out: Path
    client: MlflowClient
    source: Source

    def run_id(self, key: str) -> str:
        return self.source.results[key].run_id

    def cap_best(self) -> str:
        """The capacity run with the lower RMSE."""
        return min(("cap_ridge", "cap_knn"), key=self.source.rmse)

    def overrides(self, *extra: str) -> list[str]:
        return [f"paths.mlruns_dir={self.dir}", f"paths.output_dir={self.out}", *extra]

    def promote(self, *overrides: str) -> Decision:
        extra = [*ICE_DATA] if "target=ice" in overrides else []
        if not any(o.startswith("cv=") for o in overrides):
            extra.append("cv=repeated")
        return promote(compose_config("promote", self.overrides(*overrides, *extra)))

    def hide(self, *keys: str) -> None:
        for key in keys:
            self.client.delete_run(self.run_id(key))

    def show(self, *keys: str) -> None:
        for key in keys:
            self.client.restore_run(self.run_id(key))


@pytest.fixture
def store(source: Source, tmp_path: Path) -> Store:
    """Copy the database (SQLite backup API: consistent even with open connections) and share the
    read-only artifacts; the identical retrain stays hidden unless a test shows it."""
    dst = tmp_path / "mlruns"
    dst.mkdir()
    src_db, dst_db = sqlite3.connect(source.dir / "mlflow.db"), sqlite3.connect(dst / "mlflow.db")
    src_db.backup(dst_db)
    src_db.close()
    dst_db.close()
    (dst / "artifacts").symlink_to(source.dir / "artifacts", target_is_directory=True)
    uri = f"sqlite:///{dst / 'mlflow.db'}"
    s = Store(dst, tmp_path / "outputs", MlflowClient(tracking_uri=uri, registry_uri=uri), source)
    s.hide("twin")
    return s


def versions(client: MlflowClient, name: str) -> list[str]:
    return sorted((str(mv.version) for mv in client.search_model_versions(f"name = '{name}'")), key=int)


def champion_version(client: MlflowClient, name: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, ALIAS).version)
    except MlflowException:
        return None


def promote_runs(client: MlflowClient) -> list:
    exp = client.get_experiment_by_name("nacarbon-registry")
    if exp is None:
        return []
    return client.search_runs([exp.experiment_id], "tags.`nacarbon.kind` = 'promote'")


def registry_snapshot(client: MlflowClient) -> dict:
    """Every registered model's versions (run, tags) and aliases."""
    snap = {}
    for rm in client.search_registered_models():
        snap[rm.name] = {"aliases": {a: str(v) for a, v in rm.aliases.items()},
                         "versions": {str(mv.version): (mv.run_id, dict(mv.tags))
                                      for mv in client.search_model_versions(f"name = '{rm.name}'")}}
    return snap


def test_first_promotion_sets_champion_and_loads_by_alias(store):
    decision = store.promote("target=ice")
    assert decision.action == "promote" and str(decision.version) == "1" and not decision.forced
    mv = store.client.get_model_version_by_alias(ICE, ALIAS)
    assert str(mv.version) == "1" and mv.run_id == store.run_id("better")

    metrics = store.source.results["better"].metrics
    assert mv.tags["run_id"] == store.run_id("better") and mv.tags["model"] == "knn"
    assert mv.tags["data_version"] == store.source.results["better"].dataset.version
    assert mv.tags["status"] == "ok" and mv.tags["beats_baseline"] == "true" and mv.tags["forced"] == "false"
    assert float(mv.tags["beats_baseline_p"]) < 0.05 and "nadeau-bengio" in mv.tags["beats_baseline_test"]
    assert float(mv.tags["rmse_mean"]) == pytest.approx(metrics["rmse_mean"], rel=1e-5)
    assert float(mv.tags["baseline_rmse_mean"]) == pytest.approx(metrics["baseline_rmse_mean"], rel=1e-5)
    config = json.loads(mv.tags["config"])
    assert config["target"] == "ice" and config["cv"]["name"] == "repeated" and config["metric"] == "rmse_mean"
    # the UI's descriptions: the version's data, scores, adjusted p and decision; the model's target and rule
    assert f"@{mv.tags['data_version']}" in mv.description and "knn" in mv.description
    assert f"Holm-adjusted p {float(mv.tags['beats_baseline_p']):.3g}" in mv.description
    assert "Promotion: promote" in mv.description
    described = store.client.get_registered_model(ICE).description
    assert "ice_pct" in described and "Holm-adjusted" in described and "champion" in described

    mlflow.set_registry_uri(f"sqlite:///{store.dir / 'mlflow.db'}")
    loaded = mlflow.pyfunc.load_model(f"models:/{ICE}@{ALIAS}")
    # the registered model is the whole predictor: it answers the estimator's point with its interval
    # (on the rows the schema accepts: this store's synthetic table has some d002 below graphite's
    # and some Lc below one layer)
    design = store.source.results["better"].design
    ok = ((design.X["d002_nm"] >= 0.3354) & ~(design.X["lc_nm"] < 0.3354)).to_numpy()
    answer = loaded.predict(pd.concat([design.meta, design.X], axis=1)[ok])
    np.testing.assert_allclose(answer["pred_ice"], store.source.results["better"].model.predict(design.X[ok]))
    assert (answer["lo_ice"] <= answer["pred_ice"]).all() and (answer["pred_ice"] <= answer["hi_ice"]).all()

    [logged] = promote_runs(store.client)
    assert logged.data.tags["action"] == "promote" and logged.data.tags["forced"] == "false"
    assert logged.data.params["version"] == "1" and logged.data.params["candidate_run"] == store.run_id("better")


def test_better_run_moves_champion(store):
    store.hide("better")
    assert store.promote("target=ice").candidate.run_id == store.run_id("worse")
    store.show("better")
    decision = store.promote("target=ice")
    assert decision.action == "promote" and str(decision.version) == "2" and str(decision.champion.version) == "1"
    assert champion_version(store.client, ICE) == "2"
    assert store.client.get_model_version(ICE, "2").run_id == store.run_id("better")
    assert versions(store.client, ICE) == ["1", "2"]  # the old champion stays registered


def test_worse_run_does_not_move_champion(store):
    store.hide("worse")
    store.promote("target=ice")
    store.show("worse")
    decision = store.promote("target=ice")
    assert decision.action == "keep"
    assert versions(store.client, ICE) == ["1"]
    assert store.client.get_model_version_by_alias(ICE, ALIAS).run_id == store.run_id("better")


@pytest.mark.parametrize("metric", ["rmse_mean", "mae_mean"])
def test_identical_retrain_does_not_move_champion(store, metric):
    # Same config, same seed, same folds: an equal score is not an improvement, whichever
    # metric decides. The twin is newer, so it ranks first and is compared with the champion.
    twin, better = store.source.results["twin"].metrics, store.source.results["better"].metrics
    assert twin[metric] == better[metric]
    store.promote("target=ice", f"metric={metric}")
    store.show("twin")
    decision = store.promote("target=ice", f"metric={metric}")
    assert decision.candidate.run_id == store.run_id("twin")
    assert decision.action == "keep", decision.reason
    assert champion_version(store.client, ICE) == "1"
    assert versions(store.client, ICE) == ["1"]


def test_below_baseline_target_is_registered_without_champion(store):
    decision = store.promote("target=capacity")
    assert decision.action == "register-only" and str(decision.version) == "1"
    mv = store.client.get_model_version(CAPACITY, "1")
    assert mv.run_id == store.run_id(store.cap_best())  # lowest RMSE, not significant
    assert mv.tags["status"] == "below-baseline" and mv.tags["beats_baseline"] == "false"
    assert float(mv.tags["beats_baseline_p"]) >= 0.05 and "nadeau-bengio" in mv.tags["beats_baseline_test"]
    assert champion_version(store.client, CAPACITY) is None
    assert store.client.get_registered_model(CAPACITY).aliases == {}
    # Running again reuses the version instead of registering a duplicate.
    assert str(store.promote("target=capacity").version) == "1"
    assert versions(store.client, CAPACITY) == ["1"]
    assert [r.data.tags["action"] for r in promote_runs(store.client)] == ["register-only"] * 2


def test_force_gives_champion_and_is_logged(store):
    decision = store.promote("target=capacity", "force=true")
    assert decision.action == "promote" and decision.forced
    mv = store.client.get_model_version_by_alias(CAPACITY, ALIAS)
    assert str(mv.version) == str(decision.version) and mv.run_id == store.run_id(store.cap_best())
    assert mv.tags["forced"] == "true" and mv.tags["status"] == "below-baseline"
    [logged] = promote_runs(store.client)
    assert logged.data.tags["forced"] == "true" and logged.data.tags["action"] == "promote"
    assert logged.data.tags["target"] == "capacity" and logged.data.params["version"] == str(mv.version)


@pytest.mark.parametrize("with_champion", [False, True])
def test_dry_run_changes_nothing(store, with_champion):
    if with_champion:
        store.hide("better")
        store.promote("target=ice")
        store.show("better")
    before, n_logged = registry_snapshot(store.client), len(promote_runs(store.client))
    decision = store.promote("target=ice", "dry_run=true")
    assert decision.action == "promote" and decision.candidate.run_id == store.run_id("better")
    assert decision.version is None
    assert registry_snapshot(store.client) == before
    assert len(promote_runs(store.client)) == n_logged


@pytest.mark.parametrize("method", ["set_model_version_tag", "set_registered_model_alias"])
def test_failure_midway_keeps_previous_champion(store, monkeypatch, method):
    store.hide("better")
    store.promote("target=ice")
    store.show("better")
    seen = []

    def fail(self, name, *args, **kwargs):
        seen.append(versions(store.client, name))
        raise MlflowException("registry went away")

    monkeypatch.setattr(MlflowClient, method, fail)
    with pytest.raises(RegistryError, match="rolled back"):
        store.promote("target=ice")
    monkeypatch.undo()
    assert seen[0] == ["1", "2"]  # it failed after the new version had been created
    assert versions(store.client, ICE) == ["1"]
    mv = store.client.get_model_version_by_alias(ICE, ALIAS)
    assert str(mv.version) == "1" and mv.run_id == store.run_id("worse")
    assert len(promote_runs(store.client)) == 1


def test_other_cv_protocol_is_not_a_candidate(store):
    version = store.source.results["better"].dataset.version
    found = {c.run_id for c in find_candidates(store.client, experiment="nacarbon-merged", target="ice",
                                                data_version=version, cv="repeated", features="rich")}
    assert found == {store.run_id("worse"), store.run_id("better")}
    assert store.promote("target=ice", "dry_run=true").candidate.run_id == store.run_id("better")
    # 5 grouped folds are too few for the significance rule: registered at most, never champion.
    kfold = store.promote("target=ice", "cv=kfold", "dry_run=true")
    assert kfold.candidate.run_id == store.run_id("kfold") and kfold.action == "register-only"


def test_other_data_version_is_not_a_candidate(store):
    # As if "better" had been trained before the data changed.
    store.client.set_tag(store.run_id("better"), "data_version", "000000000000")
    decision = store.promote("target=ice")
    assert decision.candidate.run_id == store.run_id("worse")
    assert store.client.get_model_version_by_alias(ICE, ALIAS).run_id == store.run_id("worse")


@pytest.mark.slow  # a fresh interpreter importing MLflow costs ~10 s of CPU
def test_cli_dry_run(store):
    env = os.environ | {"MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.run([sys.executable, "-m", "promote", "target=ice", "--dry-run", *store.overrides()],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "DRY RUN" in proc.stdout and "target 'ice'" in proc.stdout
    assert registry_snapshot(store.client) == {}
