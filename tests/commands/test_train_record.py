"""What a training run writes to MLflow is what the UI, promotion, compare and reruns read: its
tags, params, metric names, artifacts, dataset input and the two logged models must stay as they
were when the run's record moved from tracking/ to the command (recorded from the code before,
on two seeded runs of the seed data: one untuned, one tuned)."""

from __future__ import annotations

import json

import pytest
from mlflow.tracking import MlflowClient

from nacarbon.commands.train import run, run_verdict
from nacarbon.fingerprint import config_fingerprint

# Values that differ between machines and runs (who, where, when, which commit, which logged model).
VOLATILE_TAGS = ("git_commit", "mlflow.source.name", "mlflow.source.type", "mlflow.user", "nacarbon.host",
                 "nacarbon.pid", "nacarbon.proc_start", "model_uri")
PREDICTOR_PARAMS = ["predictor.alpha", "predictor.cv_folds", "predictor.difficulty", "predictor.domain_quantile",
                    "predictor.paper_share"]
METRICS = sorted([f"{pre}{m}_{s}" for pre in ("", "baseline_") for m in ("r2", "rmse", "mae")
                  for s in ("mean", "std", "pooled", "pooled_std")]
                 + [f"fold_{pre}{m}" for pre in ("", "baseline_") for m in ("r2", "rmse", "mae")]
                 + ["baseline_paired_p", "delta_rmse", "delta_rmse_ci_high", "delta_rmse_ci_low",
                    "n_dropped_missing_target", "n_rows", "n_sources", "paper_bias_abs_median",
                    "paper_bias_abs_p90", "paper_bias_share_over", "predictor_domain_threshold",
                    "within_paper_papers", "within_paper_rho_median", "within_paper_rho_positive"])
ARTIFACTS = ["config.yaml", "data/fold_metrics.csv", "data/fold_params.json", "data/oof_predictions.csv",
             "data/training_data.csv", "plots/calibration.png", "plots/parity.png", "plots/per_paper_error.png",
             "plots/within_paper_ranking.png"]
DESCRIBED = ("{model} on ice (ice_pct), seed@<data_version>, cv=group, search={search}: outer-CV RMSE {rmse} vs "
             "mean baseline 15.52 (<verdict>).")
INPUT = {"name": "seed@<data_version>", "digest": "<data_version>", "source_type": "code",
         "context": "training", "profile": {"num_rows": 67, "num_elements": 737},
         "columns": ["sample_id", "material_class", "dataset", "paper_id", "source", "d002_nm", "la_nm", "lc_nm",
                     "id_ig", "ssa_m2_g", "ice_pct"]}

UNTUNED = ["target=ice", "model=random_forest", "model.estimator.n_estimators=30"]
TUNED = ["target=ice", "model=ridge", "search=optuna", "search.n_trials=3", "search.inner_splits=2"]

# Recorded from the code before the record moved (commit 54c593c), placeholders for what varies;
# predictor.paper_share was added since (the per-lab interval calibration a run was trained with).
BEFORE = {
    "untuned": {
        "run_name": "ice-random_forest",
        "tags": {"beats_baseline": "false", "cv": "group", "data_version": "<data_version>", "dataset": "seed",
                 "features": "default", "higher_is_better": "true",
                 "mlflow.note.content": DESCRIBED.format(model="random_forest", search="none", rmse="11.42"),
                 "mlflow.runName": "ice-random_forest", "model": "random_forest", "model_complexity": "4",
                 "model_family": "tree", "nacarbon.config": "<fingerprint>", "nacarbon.kind": "train",
                 "search": "none", "target": "ice", "target_column": "ice_pct", "verdict": "not-tested"},
        "params": {"cv": "group", "cv_n_repeats": "1", "cv_n_splits": "5", "data_version": "<data_version>",
                   "dataset": "seed", "default.max_features": "1.0", "default.min_samples_leaf": "2",
                   "default.n_estimators": "30", "default.n_jobs": "1", "default.random_state": "42",
                   "estimator": "sklearn.ensemble.RandomForestRegressor",
                   "features": "d002_nm,la_nm,lc_nm,id_ig,ssa_m2_g", "model": "random_forest",
                   "predictor.alpha": "0.1", "predictor.cv_folds": "5", "predictor.difficulty": "knn",
                   "predictor.domain_quantile": "0.95", "predictor.paper_share": "0.7",
                   "search": "none", "seed": "42", "target": "ice",
                   "transform": "none"},
        "artifacts": ARTIFACTS,
    },
    "tuned": {
        "run_name": "ice-ridge-optuna",
        "tags": {"beats_baseline": "false", "cv": "group", "data_version": "<data_version>", "dataset": "seed",
                 "features": "default", "higher_is_better": "true",
                 "mlflow.note.content": DESCRIBED.format(model="ridge", search="optuna", rmse="12.64"),
                 "mlflow.runName": "ice-ridge-optuna", "model": "ridge", "model_complexity": "1",
                 "model_family": "linear", "nacarbon.config": "<fingerprint>", "nacarbon.kind": "train",
                 "search": "optuna", "target": "ice", "target_column": "ice_pct", "verdict": "not-tested"},
        "params": {"cv": "group", "cv_n_repeats": "1", "cv_n_splits": "5", "data_version": "<data_version>",
                   "dataset": "seed", "default.alpha": "1.0", "estimator": "sklearn.linear_model.Ridge",
                   "features": "d002_nm,la_nm,lc_nm,id_ig,ssa_m2_g", "final.alpha": "1.0", "model": "ridge",
                   "predictor.alpha": "0.1", "predictor.cv_folds": "5", "predictor.difficulty": "knn",
                   "predictor.domain_quantile": "0.95", "predictor.paper_share": "0.7",
                   "search": "optuna", "search_inner_splits": "2",
                   "search_n_trials": "3", "search_storage": "sqlite:///<store>/optuna.db", "seed": "42",
                   "target": "ice", "transform": "none"},
        "artifacts": sorted([*ARTIFACTS, "tuning/optimization_history.png", "tuning/trials.csv"]),
    },
}


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> list[str]:
    found = []
    for a in client.list_artifacts(run_id, path):
        found += _artifacts(client, run_id, a.path) if a.is_dir else [a.path]
    return sorted(found)


def snapshot(cfg, result) -> dict:
    """What the run holds in the store, with what varies between machines and runs replaced by placeholders."""
    client = MlflowClient(cfg.tracking.uri)
    r = client.get_run(result.run_id)
    sentence = run_verdict(result.metrics, len(result.cv.per_fold)).sentence()
    swaps = [(result.dataset.version, "<data_version>"), (config_fingerprint(cfg), "<fingerprint>"),
             (str(cfg.paths.mlruns_dir), "<store>"), (sentence, "<verdict>")]

    def plain(value: str) -> str:
        for old, new in swaps:
            value = value.replace(old, new)
        return value

    tags = {k: plain(v) for k, v in r.data.tags.items() if k not in VOLATILE_TAGS}
    [inp] = r.inputs.dataset_inputs
    models = {m.name: m for m in client.search_logged_models([r.info.experiment_id])
              if m.source_run_id == result.run_id}
    return {"run_name": r.info.run_name, "tags": dict(sorted(tags.items())),
            "params": {k: plain(v) for k, v in sorted(r.data.params.items())},
            "metrics": sorted(r.data.metrics), "artifacts": _artifacts(client, result.run_id),
            "input": {"name": plain(inp.dataset.name), "digest": plain(inp.dataset.digest),
                      "source_type": inp.dataset.source_type, "profile": json.loads(inp.dataset.profile),
                      "context": {t.key: t.value for t in inp.tags}["mlflow.data.context"],
                      "columns": [c["name"] for c in json.loads(inp.dataset.schema)["mlflow_colspec"]]},
            "models": {name: sorted(m.params) for name, m in sorted(models.items())},
            "model_uri": r.data.tags["model_uri"] == models["model"].model_uri}


@pytest.fixture(scope="module", params=["untuned", "tuned"])
def written(request, tmp_path_factory):
    from tests.conftest import compose_config

    tmp = tmp_path_factory.mktemp(request.param)
    overrides = UNTUNED if request.param == "untuned" else TUNED
    cfg = compose_config("train", [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.output_dir={tmp / 'out'}",
                                   f"paths.experiments_dir={tmp / 'exp'}", "progress=false", *overrides])
    return request.param, snapshot(cfg, run(cfg))


def test_tags_params_and_artifacts_are_as_before(written):
    which, now = written
    before = BEFORE[which]
    assert now["run_name"] == before["run_name"]
    assert now["tags"] == before["tags"]
    assert now["params"] == before["params"]
    assert now["artifacts"] == before["artifacts"]
    assert now["metrics"] == METRICS


def test_dataset_input_and_models_are_as_before(written):
    """The estimator is logged before the predictor's params, so its LoggedModel carries none of them."""
    which, now = written
    assert now["input"] == INPUT
    run_params = sorted(k for k in BEFORE[which]["params"] if not k.startswith("predictor."))
    assert now["models"] == {"estimator": run_params, "model": sorted([*run_params, *PREDICTOR_PARAMS])}
    assert now["model_uri"]   # the tag promotion registers from is the whole predictor's LoggedModel
