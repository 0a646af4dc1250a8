"""Write one training run to MLflow: params, tags, metrics, plots, tables and the model."""

from __future__ import annotations

import json
import logging
import tempfile
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
from nacarbon.tracking import tags as T
from nacarbon.tracking.redact import redact
from nacarbon.tracking.runs import open_run

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


def log_training_run(cfg: DictConfig, *, dataset, design, cv, metrics: dict[str, float], beats: bool, model,
                     final_params: dict, final_study=None, run_name: str, predictor=None) -> str:
    """Log everything about one training run; return the run id.

    The run carries the tags promotion and screening select on: ``nacarbon.kind=train``,
    ``target``, ``model``, ``cv``, ``features``, ``data_version``, ``beats_baseline``.

    Two models are logged: ``model``, the whole predictor (a pyfunc around ``predictor``, a
    fitted SamplePredictor: prediction, interval, domain, schema check), which promotion
    registers; and ``estimator``, the bare scikit-learn ``model`` that SHAP explains.
    """
    tags = {
        T.TARGET: cfg.target.name, T.TARGET_COLUMN: cfg.target.column,
        T.MODEL: cfg.model.name, T.MODEL_FAMILY: cfg.model.get("family", ""),
        T.MODEL_COMPLEXITY: str(cfg.model.get("complexity", 99)), T.CV: cfg.cv.name,
        T.FEATURES: cfg.features.name, T.SEARCH: cfg.search.name, T.DATASET: cfg.dataset.name,
        T.DATA_VERSION: dataset.version, T.BEATS_BASELINE: str(beats).lower(),
        T.HIGHER_IS_BETTER: str(bool(cfg.target.higher_is_better)).lower(),
        T.CONFIG_FINGERPRINT: config_fingerprint(cfg),
    }
    verdict = "beats" if beats else "does not beat"
    description = (f"{cfg.model.name} on {cfg.target.name} ({cfg.target.column}), {cfg.dataset.name}@{dataset.version}, "
                   f"cv={cfg.cv.name}, search={cfg.search.name}: outer-CV RMSE {metrics['rmse_mean']:.4g} vs mean "
                   f"baseline {metrics['baseline_rmse_mean']:.4g} ({verdict} it).")
    params = {
        "target": cfg.target.name, "model": cfg.model.name, "dataset": cfg.dataset.name,
        "data_version": dataset.version, "cv": cfg.cv.name, "cv_n_splits": cfg.cv.n_splits,
        "cv_n_repeats": cfg.cv.n_repeats, "features": ",".join(cfg.features.columns),
        "transform": cfg.target.get("transform", "none"), "search": cfg.search.name, "seed": cfg.seed,
    }
    if cfg.search.enabled:
        params.update({"search_n_trials": cfg.search.n_trials, "search_inner_splits": cfg.search.inner_splits,
                       "search_storage": redact(str(cfg.search.get("storage")))})
    estimator = OmegaConf.to_container(cfg.model.estimator, resolve=True)
    params.update({f"default.{k}": v for k, v in estimator.items() if k != "_target_"})
    params["estimator"] = estimator["_target_"]
    params.update({f"final.{k}": v for k, v in final_params.items()})

    with open_run(T.experiment_name(cfg.dataset.name), T.TRAIN, description, uri=cfg.tracking.uri,
                  artifact_root=cfg.tracking.artifact_root, run_name=run_name, tags=tags) as run, \
            tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        for k, (fold, base) in enumerate(zip(cv.per_fold, cv.baseline_per_fold)):
            mlflow.log_metrics({f"fold_{m}": v for m, v in fold.items()} |
                               {f"fold_baseline_{m}": v for m, v in base.items()}, step=k)
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
        if final_study is not None:
            from nacarbon.tracking.study_artifacts import log_study

            log_study(final_study, tmp / "study")
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
            info = log_sample_predictor(predictor, name=T.RUN_MODEL, extra_requirements=model_requirements())
        # MLflow 3 stores the model as a LoggedModel (models:/m-...); registration uses this URI.
        mlflow.set_tag(T.MODEL_URI, info.model_uri)
        return run.info.run_id
