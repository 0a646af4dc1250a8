"""The record of one training run, built from its config and results: the names, tables and
figures :mod:`nacarbon.tracking.training_run` writes (tracking reads no config)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.tracking import tags as T
from nacarbon.tracking.record import DatasetInput, ModelsToLog, RunOpening, TrainingRecord
from nacarbon.tracking.redact import redact

if TYPE_CHECKING:
    import pandas as pd

    from nacarbon.commands.train import TrainResult


@contextmanager
def run_files(cfg: DictConfig) -> Iterator[Path]:
    """Where a run's files are staged: under the project's store, not /tmp, so the next train removes
    what a killed one left (the system temp folder only when the store folder cannot be made)."""
    from nacarbon.staging import staging_dir

    try:
        Path(cfg.paths.mlruns_dir).mkdir(parents=True, exist_ok=True)
        staged = staging_dir(Path(cfg.paths.mlruns_dir) / "train-files")
    except OSError:
        staged = tempfile.TemporaryDirectory()
    with staged as folder:
        yield Path(folder)


def to_yaml(cfg: DictConfig) -> str:
    """Resolved config as YAML, with connection-string passwords redacted."""
    return redact(OmegaConf.to_yaml(cfg, resolve=True))


def run_tags(cfg: DictConfig, data_version: str) -> dict[str, str]:
    """The tags promotion, comparison and screening select training runs on (all but the verdict)."""
    from nacarbon.fingerprint import config_fingerprint

    return {
        T.TARGET: cfg.target.name, T.TARGET_COLUMN: cfg.target.column,
        T.MODEL: cfg.model.name, T.MODEL_FAMILY: cfg.model.family,
        T.MODEL_COMPLEXITY: str(cfg.model.complexity), T.CV: cfg.cv.name,
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


def _what(cfg: DictConfig, data_version: str) -> str:
    """``<model> on <target> (<column>), <dataset>@<version>, cv=<cv>, search=<search>``: the run in one line."""
    return (f"{cfg.model.name} on {cfg.target.name} ({cfg.target.column}), {cfg.dataset.name}@{data_version}, "
            f"cv={cfg.cv.name}, search={cfg.search.name}")


def run_opening(cfg: DictConfig, *, data_version: str, run_name: str) -> RunOpening:
    """What the training run carries from the start: experiment, name, description, tags, settings, store."""
    return RunOpening(experiment=T.experiment_name(cfg.dataset.name), run_name=run_name,
                      description=f"{_what(cfg, data_version)}: training ...", tags=run_tags(cfg, data_version),
                      params=run_params(cfg, data_version), uri=str(cfg.tracking.uri),
                      artifact_root=str(cfg.tracking.artifact_root))


def training_record(cfg: DictConfig, result: "TrainResult", folder: Path,
                    figures: list[Path] | tuple[Path, ...] = ()) -> TrainingRecord:
    """The results of a training run as :mod:`nacarbon.tracking.training_run` writes them.

    Its plots are drawn in ``folder`` (the run's staging folder); ``figures`` are further PNGs for ``plots/``.
    """
    m, verdict = result.metrics, result.verdict
    tags = {T.BEATS_BASELINE: str(verdict.significant).lower(), T.DESCRIPTION: (
        f"{_what(cfg, result.dataset.version)}: outer-CV RMSE {m['rmse_mean']:.4g} vs mean "
        f"baseline {m['baseline_rmse_mean']:.4g} ({verdict.sentence()})."),
        T.VERDICT: verdict.name}   # the one verdict (nacarbon.evaluation.significance.Verdict), this family alone
    table = training_table(cfg, result)
    oof = result.cv.oof.merge(result.design.meta, left_on="row", right_index=True, how="left")
    return TrainingRecord(
        tags=tags, params={f"final.{k}": v for k, v in result.final_params.items()}, metrics=dict(m),
        texts={"config.yaml": to_yaml(cfg),
               "data/fold_params.json": json.dumps(result.cv.fold_params, indent=1, default=str)},
        tables={"data/oof_predictions.csv": oof, "data/training_data.csv": table,
                "data/fold_metrics.csv": fold_table(result)},
        figures=_plots(cfg, result, oof, Path(folder)) | {f"plots/{Path(p).name}": Path(p) for p in figures},
        dataset=DatasetInput(table, name=f"{cfg.dataset.name}@{result.dataset.version}",
                             targets=cfg.target.column, digest=result.dataset.version),
        models=_models(result), study=result.study)


def training_table(cfg: DictConfig, result: "TrainResult") -> "pd.DataFrame":
    """The rows the run trained on: identifiers, features and the target (the UI's Datasets column)."""
    import pandas as pd

    d = result.design
    return pd.concat([d.meta, d.X, pd.Series(d.y, name=cfg.target.column)], axis=1)


def fold_table(result: "TrainResult") -> "pd.DataFrame":
    """Per outer fold: model and baseline metrics and the split sizes."""
    import pandas as pd

    cv = result.cv
    folds = pd.DataFrame(cv.per_fold).add_prefix("model_").join(pd.DataFrame(cv.baseline_per_fold)
                                                                .add_prefix("baseline_"))
    folds.insert(0, "fold", range(len(folds)))
    # split sizes: the corrected test of nacarbon.evaluation.significance needs n_test/n_train
    folds["n_test"] = cv.oof.groupby("fold").size().reindex(folds["fold"]).to_numpy()
    folds["n_train"] = len(result.design.y) - folds["n_test"]
    return folds


def _plots(cfg: DictConfig, result: "TrainResult", oof: "pd.DataFrame", folder: Path) -> dict[str, Path]:
    """The parity plot of the first repeat and, with a predictor, its held-out-paper calibration."""
    from nacarbon.data import columns as C
    from nacarbon.plots.parity import parity_plot

    m, plots = result.metrics, folder / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    drawn = {"plots/parity.png": parity_plot(
        oof[oof["repeat"] == 0], path=plots / "parity.png", label=cfg.target.label, unit=cfg.target.unit,
        metrics={"r2": m["r2_pooled"], "rmse": m["rmse_pooled"], "mae": m["mae_pooled"]},
        color_by=C.MATERIAL_CLASS)}
    if result.predictor is not None:   # coverage vs nominal level over held-out papers, read off the fitted CV+
        from nacarbon.plots.calibration import calibration_plot, regressor_curve

        drawn["plots/calibration.png"] = calibration_plot(
            {cfg.target.label: regressor_curve(result.predictor.regressor)}, path=plots / "calibration.png")
    return drawn


def _models(result: "TrainResult") -> ModelsToLog:
    """The bare estimator and the whole predictor, with the predictor's settings and an input example."""
    from nacarbon.data import columns as C

    design, predictor = result.design, result.predictor
    if predictor is None:
        return ModelsToLog(estimator=result.model, X=design.X)
    reg, frame = predictor.regressor, result.dataset.frame
    ids = set(design.meta[C.SAMPLE_ID].head(3)) if C.SAMPLE_ID in design.meta else set()
    return ModelsToLog(
        estimator=result.model, X=design.X, predictor=predictor,
        predictor_params={"predictor.alpha": reg.alpha, "predictor.difficulty": reg.difficulty,
                          "predictor.cv_folds": len(reg.fold_models_),
                          "predictor.domain_quantile": predictor.domain.quantile,
                          # per-lab calibration (a share of each new lab's rows) or per row ("none")
                          "predictor.paper_share": "none" if reg.paper_share is None else reg.paper_share},
        predictor_metrics={"predictor_domain_threshold": predictor.domain.threshold_},
        example=frame[frame[C.SAMPLE_ID].isin(ids)] if ids else None)
