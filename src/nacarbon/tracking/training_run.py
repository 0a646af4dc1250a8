"""Write one training run to MLflow: opened when the work starts (settings, selection tags, fold
metrics as each outer fold ends), then results, plots, tables and the models."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import mlflow
import mlflow.data
import pandas as pd
from mlflow.models import infer_signature
from omegaconf import DictConfig, OmegaConf

from nacarbon.fingerprint import config_fingerprint
from nacarbon.data import columns as C
from nacarbon.plots.parity import parity_plot
from nacarbon.staging import staging_dir
from nacarbon.tracking import tags as T
from nacarbon.tracking.redact import redact
from nacarbon.tracking.runs import experiment_url, open_run
from nacarbon.tracking.failures import store_errors

# cloudpickle is chosen knowingly (XGBoost/CatBoost inside a Pipeline are "untrusted types" for
# skops, and we only load models this project logged); MLflow's warning about it on every run
# says nothing new.
logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)

# What a logged model needs to load elsewhere; pinned to what trained it.
_MODEL_REQUIREMENTS = ("scikit-learn", "xgboost", "catboost", "lightgbm", "pandas", "numpy", "scipy", "cloudpickle")


def to_yaml(cfg: DictConfig) -> str:
    """Resolved config as YAML, with connection-string passwords redacted."""
    return redact(OmegaConf.to_yaml(cfg, resolve=True))


def model_requirements() -> list[str]:
    """Pinned pip requirements for a logged model."""
    return [f"{pkg}=={version(pkg)}" for pkg in _MODEL_REQUIREMENTS]


def _run_files(cfg: DictConfig):
    """Where a run's files are written before logging: under the project's store, not /tmp, so a
    killed train leaves them there and the next train removes them (the system temp folder only
    when the store folder cannot be made, e.g. runs on a server and no local mlruns/)."""
    try:
        Path(cfg.paths.mlruns_dir).mkdir(parents=True, exist_ok=True)
        return staging_dir(Path(cfg.paths.mlruns_dir) / "train-files")
    except OSError:
        return tempfile.TemporaryDirectory()


def run_tags(cfg: DictConfig, data_version: str) -> dict[str, str]:
    """The tags promotion, comparison and screening select training runs on (all but the verdict)."""
    return {
        T.TARGET: cfg.target.name, T.TARGET_COLUMN: cfg.target.column,
        T.MODEL: cfg.model.name, T.MODEL_FAMILY: cfg.model.get("family", ""),
        T.MODEL_COMPLEXITY: str(cfg.model.get("complexity", 99)), T.CV: cfg.cv.name,
        T.FEATURES: cfg.features.name, T.SEARCH: cfg.search.name, T.DATASET: cfg.dataset.name,
        T.DATA_VERSION: data_version, T.HIGHER_IS_BETTER: str(bool(cfg.target.higher_is_better)).lower(),
        T.CONFIG_FINGERPRINT: config_fingerprint(cfg),
    }


def run_params(cfg: DictConfig, data_version: str) -> dict[str, object]:
    """The settings of a training run known before it starts (tuned parameters come at the end)."""
    params = {
        "target": cfg.target.name, "model": cfg.model.name, "dataset": cfg.dataset.name,
        "data_version": data_version, "cv": cfg.cv.name, "cv_n_splits": cfg.cv.n_splits,
        "cv_n_repeats": cfg.cv.n_repeats, "features": ",".join(cfg.features.columns),
        "transform": cfg.target.transform, "search": cfg.search.name, "seed": cfg.seed,
    }
    if cfg.search.enabled:
        params.update({"search_n_trials": cfg.search.n_trials, "search_inner_splits": cfg.search.inner_splits,
                       "search_storage": redact(str(cfg.search.get("storage")))})
    estimator = OmegaConf.to_container(cfg.model.estimator, resolve=True)
    params.update({f"default.{k}": v for k, v in estimator.items() if k != "_target_"})
    params["estimator"] = estimator["_target_"]
    return params


class LiveRun:
    """The open training run: its id, and fold metrics logged as each outer fold ends."""

    def __init__(self, run_id: str, uri: str, url: str = ""):
        self.run_id, self.uri, self.url = run_id, uri, url

    def log_fold(self, k: int, fold: dict[str, float], baseline: dict[str, float]) -> None:
        """Log outer fold ``k``'s model and baseline metrics (``fold_<m>``, ``fold_baseline_<m>``, step k)."""
        with store_errors(self.uri, f"logging fold {k} of run {self.run_id}"):
            mlflow.log_metrics({f"fold_{m}": float(v) for m, v in fold.items()} |
                               {f"fold_baseline_{m}": float(v) for m, v in baseline.items()}, step=k)


@contextmanager
def training_run(cfg: DictConfig, *, data_version: str, run_name: str) -> Iterator[LiveRun]:
    """Open the training run when the work starts: RUNNING while it trains, FAILED (with the reason) if it dies.

    The run carries its settings and selection tags from the start; :func:`log_training_run`
    adds the results and the verdict (``beats_baseline``) at the end. Promotion and comparison
    read FINISHED runs only, so a run still working or failed is never selected.
    """
    description = (f"{cfg.model.name} on {cfg.target.name} ({cfg.target.column}), {cfg.dataset.name}@{data_version}, "
                   f"cv={cfg.cv.name}, search={cfg.search.name}: training ...")
    with open_run(T.experiment_name(cfg.dataset.name), T.TRAIN, description, uri=cfg.tracking.uri,
                  artifact_root=cfg.tracking.artifact_root, run_name=run_name,
                  tags=run_tags(cfg, data_version)) as run:
        with store_errors(cfg.tracking.uri, f"logging the settings of run {run.info.run_id}"):
            mlflow.log_params({k: str(v)[:500] for k, v in run_params(cfg, data_version).items()})
        yield LiveRun(run.info.run_id, cfg.tracking.uri,
                      experiment_url(cfg.tracking.uri, run.info.experiment_id, run.info.run_id))


def log_training_run(cfg: DictConfig, *, dataset, design, cv, metrics: dict[str, float], beats: bool, model,
                     final_params: dict, final_study=None, predictor=None, verdict=None, figures=()) -> None:
    """Log the results of the active training run (opened by :func:`training_run`).

    Metrics, the verdict tag ``beats_baseline``, the final description, tables and plots, and
    two models: ``model``, the whole predictor (a self-contained pyfunc around ``predictor``, a
    fitted SamplePredictor: prediction, interval, domain, schema check), which promotion
    registers; and ``estimator``, the bare scikit-learn ``model`` that SHAP explains.

    Raises
    ------
    StoreError
        If the store fails while writing.
    """
    with store_errors(cfg.tracking.uri, "logging the training results"), _run_files(cfg) as tmp:
        _log_results(cfg, Path(tmp), dataset=dataset, design=design, cv=cv, metrics=metrics, beats=beats,
                     model=model, final_params=final_params, final_study=final_study, predictor=predictor,
                     verdict=verdict, figures=figures)


def _log_results(cfg: DictConfig, tmp: Path, *, dataset, design, cv, metrics, beats, model, final_params,
                 final_study, predictor, verdict, figures) -> None:
    said = verdict.sentence() if verdict is not None else ("beats" if beats else "does not beat") + " it"
    tags = {T.BEATS_BASELINE: str(beats).lower(), T.DESCRIPTION: (
        f"{cfg.model.name} on {cfg.target.name} ({cfg.target.column}), {cfg.dataset.name}@{dataset.version}, "
        f"cv={cfg.cv.name}, search={cfg.search.name}: outer-CV RMSE {metrics['rmse_mean']:.4g} vs mean "
        f"baseline {metrics['baseline_rmse_mean']:.4g} ({said}).")}
    if verdict is not None:   # the one verdict (nacarbon.evaluation.significance.Verdict), this family alone
        tags[T.VERDICT] = verdict.name
    mlflow.set_tags(tags)
    mlflow.log_params({f"final.{k}": str(v)[:500] for k, v in final_params.items()})
    mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
    (tmp / "config.yaml").write_text(to_yaml(cfg))
    oof = cv.oof.merge(design.meta, left_on="row", right_index=True, how="left")
    oof.to_csv(tmp / "oof_predictions.csv", index=False)
    train_table = pd.concat([design.meta, design.X, pd.Series(design.y, name=cfg.target.column)], axis=1)
    # The UI's Datasets column: the training table, named and digested by the data version.
    mlflow.log_input(mlflow.data.from_pandas(train_table, name=f"{cfg.dataset.name}@{dataset.version}",
                                             targets=cfg.target.column, digest=dataset.version),
                     context="training")
    train_table.to_csv(tmp / "training_data.csv", index=False)
    folds = pd.DataFrame(cv.per_fold).add_prefix("model_").join(pd.DataFrame(cv.baseline_per_fold)
                                                                .add_prefix("baseline_"))
    folds.insert(0, "fold", range(len(folds)))
    # split sizes: the corrected test of nacarbon.evaluation.significance needs n_test/n_train
    folds["n_test"] = cv.oof.groupby("fold").size().reindex(folds["fold"]).to_numpy()
    folds["n_train"] = len(design.y) - folds["n_test"]
    folds.to_csv(tmp / "fold_metrics.csv", index=False)
    (tmp / "fold_params.json").write_text(json.dumps(cv.fold_params, indent=1, default=str))
    first = oof[oof["repeat"] == 0]
    parity_plot(first, path=tmp / "parity.png", label=cfg.target.label, unit=cfg.target.unit,
                metrics={"r2": metrics["r2_pooled"], "rmse": metrics["rmse_pooled"], "mae": metrics["mae_pooled"]},
                color_by=C.MATERIAL_CLASS)
    for f in ("config.yaml", "oof_predictions.csv", "training_data.csv", "fold_metrics.csv", "fold_params.json"):
        mlflow.log_artifact(str(tmp / f), artifact_path="data" if f.endswith((".csv", ".json")) else None)
    mlflow.log_artifact(str(tmp / "parity.png"), artifact_path="plots")
    for png in figures:   # per-paper error, within-paper ranking (nacarbon.analysis.figures)
        mlflow.log_artifact(str(png), artifact_path="plots")
    if predictor is not None:   # coverage vs nominal level over held-out papers, read off the fitted CV+
        from nacarbon.plots.calibration import calibration_plot, regressor_curve

        calibration_plot({cfg.target.label: regressor_curve(predictor.regressor)}, path=tmp / "calibration.png")
        mlflow.log_artifact(str(tmp / "calibration.png"), artifact_path="plots")
    if final_study is not None:
        from nacarbon.tracking.study_artifacts import log_study

        log_study(final_study, tmp / "study")
    _log_models(dataset, design, model, predictor)


def _log_models(dataset, design, model, predictor) -> None:
    """The bare estimator (for SHAP) and the whole predictor (registered); the model URI as a tag."""
    signature = infer_signature(design.X, model.predict(design.X))
    info = mlflow.sklearn.log_model(model, name=T.RUN_ESTIMATOR, signature=signature, input_example=design.X.head(3),
                                    serialization_format="cloudpickle", pip_requirements=model_requirements())
    if predictor is not None:
        from nacarbon.tracking.pyfunc_model import log_sample_predictor

        reg = predictor.regressor
        mlflow.log_params({"predictor.alpha": reg.alpha, "predictor.difficulty": reg.difficulty,
                           "predictor.cv_folds": len(reg.fold_models_),
                           "predictor.domain_quantile": predictor.domain.quantile})
        mlflow.log_metric("predictor_domain_threshold", predictor.domain.threshold_)
        ids = set(design.meta[C.SAMPLE_ID].head(3)) if C.SAMPLE_ID in design.meta else set()
        example = dataset.frame[dataset.frame[C.SAMPLE_ID].isin(ids)] if ids else None
        info = log_sample_predictor(predictor, name=T.RUN_MODEL, example=example)
    # MLflow 3 stores the model as a LoggedModel (models:/m-...); registration uses this URI.
    mlflow.set_tag(T.MODEL_URI, info.model_uri)
