"""Nested tuning end to end, and Optuna studies that resume after an interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf

from nacarbon.errors import NacarbonError
from nacarbon.evaluation.metrics import regression_metrics
from nacarbon.evaluation.splits import RepeatedGroupKFold
from nacarbon.models.pipeline import build_pipeline
from nacarbon.models.search_space import model_space
from nacarbon.models.search_space import chosen_params
from nacarbon.models.tuning import inner_cv_rmse, settings_from_config, study_sampler, tune
from nacarbon.commands.train import load_for_target, run, study_prefix
from tests.conftest import compose_config
from tests.mlflow_template import fresh_store

def stored_name(prefix: str, storage: str) -> str:
    """The one stored study whose name is ``prefix`` plus its settings identity."""
    names = [n for n in optuna.get_all_study_names(storage) if n.rsplit("-", 1)[0] == prefix]
    assert len(names) == 1, names
    return names[0]


NESTED = ["target=ice", "model=ridge", "search=optuna", "search.n_trials=3", "search.inner_splits=3"]


@pytest.fixture(scope="module")
def nested(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nested")
    fresh_store(tmp / "mlruns", tmp_path_factory)
    cfg = compose_config("train", [f"paths.mlruns_dir={tmp / 'mlruns'}", "progress=false", *NESTED])
    return cfg, run(cfg)


def test_each_outer_fold_is_tuned_on_its_own_rows(nested):
    cfg, result = nested
    prefix = study_prefix(cfg, result.dataset)
    assert len(result.cv.fold_params) == 5
    for k, params in enumerate(result.cv.fold_params):
        study = optuna.load_study(study_name=stored_name(f"{prefix}-outer{k}", cfg.search.storage),
                                  storage=cfg.search.storage)
        assert len(study.trials) == 3
        assert params == chosen_params(study)
        assert study.trials[0].params == {"alpha": 1.0}  # the family's default, tried first
        assert 1e-3 <= params["alpha"] <= 1e3
    # The whole-data (non-nested) study is another study, and the folds need not agree with it.
    final = optuna.load_study(study_name=stored_name(f"{prefix}-final", cfg.search.storage),
                              storage=cfg.search.storage)
    assert result.final_params == chosen_params(final)


def test_outer_scores_come_from_the_fold_params(nested):
    cfg, result = nested
    d = result.design
    splitter = RepeatedGroupKFold(n_splits=5, n_repeats=1, random_state=int(cfg.seed))
    for k, (tr, te) in enumerate(splitter.split(d.X, d.y, d.groups)):
        model = build_pipeline(cfg.model, params=result.cv.fold_params[k]).fit(d.X.iloc[tr], d.y[tr])
        expected = regression_metrics(d.y[te], model.predict(d.X.iloc[te]))["rmse"]
        assert result.cv.per_fold[k]["rmse"] == pytest.approx(expected, rel=1e-12)


def test_nested_run_is_logged(nested):
    cfg, result = nested
    client = MlflowClient(cfg.tracking.uri)
    logged = client.get_run(result.run_id)
    assert logged.data.tags["search"] == "optuna"
    assert float(logged.data.params["final.alpha"]) == pytest.approx(result.final_params["alpha"])
    assert logged.data.metrics["rmse_mean"] == pytest.approx(result.metrics["rmse_mean"])
    # The one verdict (5 splits: not tested) and the out-of-fold figures of the run.
    assert logged.data.tags["verdict"] == "not-tested"
    assert {"plots/per_paper_error.png", "plots/within_paper_ranking.png"} <= {
        f.path for f in client.list_artifacts(result.run_id, "plots")}
    assert logged.data.metrics["paper_bias_abs_median"] > 0
    assert -1 <= logged.data.metrics["within_paper_rho_median"] <= 1
    fold_params = json.load(open(client.download_artifacts(result.run_id, "data/fold_params.json")))
    assert fold_params == result.cv.fold_params
    assert "tuning/trials.csv" in {a.path for a in client.list_artifacts(result.run_id, "tuning")}


@pytest.fixture
def ice_tuning(tmp_path):
    cfg = compose_config("train", [f"paths.mlruns_dir={tmp_path / 'fresh' / 'dir'}", *NESTED])
    _, design = load_for_target(cfg)
    space = model_space(cfg.model, where="conf/model/ridge.yaml")
    return cfg, design, space


def _tune(cfg, design, space, n_trials, name="resume"):
    settings = settings_from_config(OmegaConf.merge(cfg.search, {"n_trials": n_trials}), seed=int(cfg.seed),
                                    storage=cfg.search.storage)
    return tune(cfg.model, space, design.X, design.y, design.groups, settings=settings, study_name=name)


def test_study_resumes_from_its_stored_trials(ice_tuning):
    cfg, design, space = ice_tuning  # the storage folder does not exist yet: tune creates it
    first = [(t.number, t.params, t.value) for t in _tune(cfg, design, space, 3).trials]
    study = _tune(cfg, design, space, 5)
    assert len(study.trials) == 5
    assert [(t.number, t.params, t.value) for t in study.trials[:3]] == first
    # A resumed sampler does not replay the points the study already tried.
    tried = {p["alpha"] for _, p, _ in first}
    assert all(t.params["alpha"] not in tried for t in study.trials[3:])
    assert len(_tune(cfg, design, space, 5).trials) == 5  # nothing left to do


def test_first_trial_is_the_family_defaults_and_they_stand_unless_clearly_beaten(ice_tuning):
    cfg, design, space = ice_tuning
    settings = settings_from_config(OmegaConf.merge(cfg.search, {"n_trials": 4, "min_gain": 0.0}),
                                    seed=int(cfg.seed), storage=None)
    study = tune(cfg.model, space, design.X, design.y, design.groups, settings=settings, study_name="defaults")
    assert study.trials[0].params == {"alpha": float(cfg.model.estimator.alpha)}
    expected = inner_cv_rmse(cfg.model, {"alpha": 1.0}, design.X, design.y, design.groups,
                             n_splits=int(cfg.search.inner_splits), seed=int(cfg.seed), transform="none")
    assert study.trials[0].value == pytest.approx(expected, rel=1e-12)
    # No margin: the best trial; a margin larger than any gain: the defaults; the study's own setting otherwise.
    assert chosen_params(study, 0.0) == study.best_params
    assert chosen_params(study, 1.0) == study.trials[0].params
    assert chosen_params(study) == study.best_params
    gain = 1 - study.best_value / study.trials[0].value
    if gain > 0:  # best strictly better than the defaults: a margin just above the gain keeps the defaults
        assert chosen_params(study, gain * 1.01) == study.trials[0].params
        assert chosen_params(study, gain * 0.99) == study.best_params


def test_studies_with_other_names_draw_other_points(ice_tuning):
    cfg, _, _ = ice_tuning
    settings = settings_from_config(cfg.search, seed=int(cfg.seed), storage=None)
    draws = []
    for name in ("a-outer0", "a-outer1", "a-outer0"):
        study = optuna.create_study(sampler=study_sampler(settings, name, 0))
        draws.append(study.ask().suggest_float("x", 0, 1))
    assert draws[0] != draws[1] and draws[0] == draws[2]


def test_study_with_every_trial_pruned_is_an_error(ice_tuning):
    cfg, design, space = ice_tuning
    search = OmegaConf.merge(cfg.search, {"n_trials": 2})
    search.pruner = {"_target_": "optuna.pruners.ThresholdPruner", "upper": 0.0}  # any RMSE > 0 is pruned
    settings = settings_from_config(search, seed=0, storage=None)
    with pytest.raises(NacarbonError, match="no trial completed"):
        tune(cfg.model, space, design.X, design.y, design.groups, settings=settings, study_name="pruned")


WORKER = """
import sys, time
from omegaconf import OmegaConf
from nacarbon.models import tuning
from nacarbon.models.search_space import model_space
from nacarbon.commands.train import load_for_target
from tests.conftest import compose_config

cfg = compose_config("train", sys.argv[1:])
_, d = load_for_target(cfg)
slow = tuning.inner_cv_rmse
def inner(*args, **kwargs):
    time.sleep(0.3)   # long enough trials that the kill lands mid-study
    return slow(*args, **kwargs)
tuning.inner_cv_rmse = inner
settings = tuning.settings_from_config(OmegaConf.merge(cfg.search, {"n_trials": 1000}), seed=int(cfg.seed),
                                       storage=cfg.search.storage)
tuning.tune(cfg.model, model_space(cfg.model, where="ridge"), d.X, d.y, d.groups, settings=settings,
            study_name="killed")
"""


@pytest.mark.slow
def test_killed_study_continues_from_its_trials(ice_tuning):
    cfg, design, space = ice_tuning
    storage = cfg.search.storage
    overrides = [f"paths.mlruns_dir={cfg.paths.mlruns_dir}", *NESTED]
    Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", WORKER, *overrides], cwd=str(cfg.paths.root),
                            env={**os.environ, "PYTHONPATH": str(cfg.paths.root)})
    try:
        done = 0
        while done < 3:
            assert proc.poll() is None, "worker died before it was killed"
            time.sleep(0.5)
            names = [n for n in optuna.get_all_study_names(storage) if n.startswith("killed-")]
            done = sum(t.state == optuna.trial.TrialState.COMPLETE
                       for n in names for t in optuna.load_study(study_name=n, storage=storage).trials)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = stored_name("killed", storage)
    before = {t.number: (t.params, t.value) for t in optuna.load_study(study_name=killed, storage=storage).trials
              if t.state == optuna.trial.TrialState.COMPLETE}
    study = _tune(cfg, design, space, len(before) + 2, name="killed")
    finished = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(finished) == len(before) + 2
    assert {t.number: (t.params, t.value) for t in finished if t.number in before} == before
    assert np.isfinite(study.best_value)


@pytest.mark.parametrize("change", [{"inner_splits": 4}, {"sampler": {"n_startup_trials": 3}}, {"seed": 7},
                                    {"pruner": {"n_startup_trials": 2}}, {"transform": "log"}, {"rows": 40},
                                    {"alpha_high": 10.0}])
def test_every_scoring_setting_is_in_the_study_identity(ice_tuning, change):
    cfg, design, space = ice_tuning
    from nacarbon.models.tuning import study_identity

    def identity(search, seed=int(cfg.seed), transform="none", X=design.X, y=design.y, g=design.groups, sp=space):
        settings = settings_from_config(search, seed=seed, storage=None)
        return study_identity(cfg.model, sp, X, y, g, settings, transform)

    base = identity(cfg.search)
    assert identity(OmegaConf.merge(cfg.search, {"n_trials": 50, "worker": 3, "timeout": 9})) == base
    if "seed" in change:
        other = identity(cfg.search, seed=change["seed"])
    elif "transform" in change:
        other = identity(cfg.search, transform=change["transform"])
    elif "rows" in change:
        n = change["rows"]
        other = identity(cfg.search, X=design.X.iloc[:n], y=design.y[:n], g=design.groups[:n])
    elif "alpha_high" in change:
        other = identity(cfg.search, sp={**space, "alpha": {**space["alpha"], "high": change["alpha_high"]}})
    else:
        other = identity(OmegaConf.merge(cfg.search, change))
    assert other != base


def test_rerun_with_other_inner_folds_starts_a_new_study(ice_tuning):
    cfg, design, space = ice_tuning
    _tune(cfg, design, space, 2, name="same")
    settings = settings_from_config(OmegaConf.merge(cfg.search, {"n_trials": 2, "inner_splits": 2}),
                                    seed=int(cfg.seed), storage=cfg.search.storage)
    study = tune(cfg.model, space, design.X, design.y, design.groups, settings=settings, study_name="same")
    assert len(study.trials) == 2    # not resumed from the 2 trials scored on 3 inner folds
    assert len([n for n in optuna.get_all_study_names(cfg.search.storage) if n.startswith("same-")]) == 2


def test_unreachable_postgres_is_a_store_error_without_password(ice_tuning):
    cfg, design, space = ice_tuning
    from nacarbon.errors import StoreError

    settings = settings_from_config(cfg.search, seed=0, storage="postgresql://me:s3cret@127.0.0.1:9/optuna")
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:9") as caught:
        tune(cfg.model, space, design.X, design.y, design.groups, settings=settings, study_name="pg")
    assert "s3cret" not in str(caught.value)


def test_stale_running_trial_is_marked_failed(ice_tuning, tmp_path, monkeypatch):
    cfg, design, space = ice_tuning
    from nacarbon.models import tuning

    storage = f"sqlite:///{tmp_path / 'stale.db'}"
    settings = settings_from_config(OmegaConf.merge(cfg.search, {"n_trials": 1}), seed=0, storage=storage)
    name = f"stale-{tuning.study_identity(cfg.model, space, design.X, design.y, design.groups, settings, 'none')}"
    # A trial whose process died after its last heartbeat (as kill -9 leaves it).
    dead = optuna.create_study(study_name=name, storage=optuna.storages.RDBStorage(storage, heartbeat_interval=1))
    trial = dead.ask()
    dead._storage.record_heartbeat(trial._trial_id)
    from nacarbon.models import study_storage

    monkeypatch.setattr(study_storage, "GRACE_SECONDS", 1)
    # SQLite's now() has whole seconds: 2.5 s guarantees a gap of at least 2 s > the 1 s grace.
    time.sleep(2.5)
    study = tune(cfg.model, space, design.X, design.y, design.groups, settings=settings, study_name="stale")
    states = [t.state for t in study.trials]
    assert states[0] == optuna.trial.TrialState.FAIL and optuna.trial.TrialState.RUNNING not in states
