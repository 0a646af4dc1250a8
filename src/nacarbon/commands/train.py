"""``python -m train``: load and validate data, cross-validate (tuning nested when asked),
fit the final model on every row, and record it all in one MLflow run."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

from nacarbon.commands.compose import compose_config
from nacarbon.errors import ConfigError

if TYPE_CHECKING:  # the heavy modules (sklearn, optuna) load when a run starts, not for --help
    from nacarbon.data.design import Design
    from nacarbon.data.io import Dataset
    from nacarbon.models.crossval import CVResult

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What one training run produced (the MLflow run id included)."""

    run_id: str
    metrics: dict[str, float]
    cv: "CVResult"
    design: "Design"
    dataset: "Dataset"
    final_params: dict
    model: object
    predictor: object = None    # the SamplePredictor logged as the run's model


def load_for_target(cfg: DictConfig) -> tuple["Dataset", "Design"]:
    """Load the configured dataset and build the design matrix for the configured target."""
    import numpy as np

    from nacarbon.data.design import make_design
    from nacarbon.data.io import load_configured

    if cfg.dataset.name not in cfg.target.datasets:
        raise ConfigError(f"target '{cfg.target.name}' ({cfg.target.column}) is not carried by dataset "
                          f"'{cfg.dataset.name}'; datasets with it: {list(cfg.target.datasets)}")
    dataset = load_configured(cfg.dataset)
    design = make_design(dataset.frame, target=cfg.target.column, filters=cfg.target.get("filter"),
                         features=[*cfg.features.columns, *((cfg.get("model") or {}).get("extra_features") or [])])
    if len(design.y) < 10 or len(np.unique(design.groups)) < max(int(cfg.cv.n_splits), 2):
        raise ConfigError(f"target '{cfg.target.name}' on dataset '{cfg.dataset.name}' has {len(design.y)} rows "
                          f"from {len(np.unique(design.groups))} sources: too few for cv={cfg.cv.name}")
    return dataset, design


def model_source(cfg: DictConfig) -> str:
    """Where the model config came from, for error messages."""
    return f"conf/model/{cfg.model.name}.yaml"


def study_prefix(cfg: DictConfig, dataset: "Dataset") -> str:
    """Study names are unique per data version, target, model, features and CV protocol."""
    return (f"{cfg.dataset.name}-{dataset.version}-{cfg.target.name}-{cfg.model.name}-"
            f"{cfg.features.name}-{cfg.cv.name}-s{cfg.seed}")


def run(cfg: DictConfig) -> TrainResult:
    """Train, evaluate and log one (dataset, target, model, cv, search) combination.

    Parameters
    ----------
    cfg : DictConfig
        The composed ``conf/train.yaml``.

    Returns
    -------
    TrainResult
    """
    import numpy as np
    import optuna
    from sklearn.exceptions import ConvergenceWarning

    from nacarbon.evaluation.significance import MIN_SPLITS, compare_with_baseline, per_split_table
    from nacarbon.evaluation.splits import make_splitter
    from nacarbon.models.crossval import cross_validate
    from nacarbon.models.pipeline import build_pipeline, make_regressor
    from nacarbon.models.search_space import validate_space
    from nacarbon.models.tuning import settings_from_config, tune
    from nacarbon.tracking.training_run import log_training_run

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dataset, design = load_for_target(cfg)
    log.info("%s: %d rows with %s (%d dropped: target missing), %d sources", cfg.dataset.name, len(design.y),
             cfg.target.column, design.n_dropped, len(np.unique(design.groups)))

    transform = str(cfg.target.get("transform", "none"))
    splitter = make_splitter(cfg.cv.name, n_splits=int(cfg.cv.n_splits), n_repeats=int(cfg.cv.n_repeats),
                             test_size=float(cfg.cv.test_size or 0.2), random_state=int(cfg.seed))
    tuner, final_params, settings = None, {}, None
    if cfg.search.enabled:
        space = validate_space(OmegaConf.to_container(cfg.model.get("search_space") or {}, resolve=True),
                               estimator_params=set(make_regressor(cfg.model).get_params()),
                               where=model_source(cfg))
        settings = settings_from_config(cfg.search, seed=int(cfg.seed), storage=cfg.search.get("storage"))
        prefix = study_prefix(cfg, dataset)

        def tuner(X, y, groups, k):
            if not space:
                return {}
            return tune(cfg.model, space, X, y, groups, settings=settings, study_name=f"{prefix}-outer{k}",
                        transform=transform).best_params

    with warnings.catch_warnings():
        # Tuning trials push GPs and elastic nets to the edges of their ranges, where sklearn warns
        # about convergence on every fit; the outer-CV score is what judges those fits.
        warnings.simplefilter("ignore", ConvergenceWarning)
        cv = cross_validate(cfg.model, design.X, design.y, design.groups, splitter, transform=transform,
                            tuner=tuner, progress=bool(cfg.progress))
        final_study = None
        if tuner is not None and space:
            final_study = tune(cfg.model, space, design.X, design.y, design.groups, settings=settings,
                               study_name=f"{study_prefix(cfg, dataset)}-final", transform=transform)
            final_params = dict(final_study.best_params)
        model = build_pipeline(cfg.model, params=final_params, transform=transform).fit(design.X, design.y)
        predictor = fit_predictor(cfg, design, build_pipeline(cfg.model, params=final_params, transform=transform))

    metrics = cv.summary()
    # The one significance rule, for this family alone (promotion adds Holm across the families of
    # a target): a p for every run, a verdict only on >= MIN_SPLITS repeated grouped splits.
    test = compare_with_baseline(per_split_table({cfg.model.name: cv}, len(design.y)), min_splits=2).iloc[0]
    metrics["baseline_paired_p"] = float(test["p_raw"])
    metrics["delta_rmse"], metrics["delta_rmse_ci_low"], metrics["delta_rmse_ci_high"] = (
        float(test["delta_rmse"]), float(test["ci_low"]), float(test["ci_high"]))
    metrics["n_rows"] = float(len(design.y))
    metrics["n_dropped_missing_target"] = float(design.n_dropped)
    metrics["n_sources"] = float(len(np.unique(design.groups)))
    beats = bool(test["significant"]) and len(cv.per_fold) >= MIN_SPLITS
    run_id = log_training_run(cfg, dataset=dataset, design=design, cv=cv, metrics=metrics, beats=beats,
                              model=model, predictor=predictor, final_params=final_params,
                              final_study=final_study, run_name=cfg.get("run_name") or default_run_name(cfg))
    return TrainResult(run_id, metrics, cv, design, dataset, final_params, model, predictor)


def fit_predictor(cfg: DictConfig, design: "Design", estimator) -> object:
    """The whole predictor of a run: ``estimator`` with paper-grouped CV+ intervals and a domain.

    Parameters
    ----------
    cfg : DictConfig
        The composed ``conf/train.yaml`` (``predictor`` block, target, seed).
    design : Design
        The run's training rows (features, target, paper ids).
    estimator : sklearn estimator
        Unfitted, with the run's final (tuned) hyperparameters; fitted once per CV+ fold and
        once on all rows (``n_splits + 1`` fits).

    Returns
    -------
    nacarbon.uncertainty.predictor.SamplePredictor
        Fitted on the run's training table, grouped by ``paper_id``.
    """
    import numpy as np
    import pandas as pd
    from sklearn.model_selection import GroupKFold

    from nacarbon.uncertainty.conformal import GroupConformalRegressor
    from nacarbon.uncertainty.domain import PaperDomain
    from nacarbon.uncertainty.predictor import SamplePredictor

    p = cfg.predictor
    n_papers = len(np.unique(design.groups))
    cv = GroupKFold(n_splits=min(int(p.n_splits), n_papers), shuffle=True, random_state=int(cfg.seed))
    regressor = GroupConformalRegressor(estimator, difficulty=str(p.difficulty), alpha=float(p.alpha), cv=cv,
                                        random_state=int(cfg.seed))
    domain = PaperDomain(n_neighbors=int(p.domain_neighbors), quantile=float(p.domain_quantile))
    table = pd.concat([design.meta, design.X, pd.Series(design.y, name=cfg.target.column)], axis=1)
    return SamplePredictor(cfg.target.name, cfg.target.column, list(design.X.columns), regressor=regressor,
                           domain=domain, n_nearest=int(p.n_nearest)).fit(table)


def format_summary(cfg: DictConfig, result: TrainResult) -> str:
    """The short table ``python -m train`` prints."""
    from nacarbon.evaluation.significance import MIN_SPLITS

    m = result.metrics
    lines = [f"{cfg.target.name} ({cfg.target.column}, {cfg.target.unit}) | model={cfg.model.name} "
             f"cv={cfg.cv.name} search={cfg.search.name} dataset={cfg.dataset.name}@{result.dataset.version}",
             f"rows={int(m['n_rows'])} (dropped {int(m['n_dropped_missing_target'])} without target), "
             f"sources={int(m['n_sources'])}",
             f"{'':10s}{'R2':>16s}{'RMSE':>18s}{'MAE':>18s}"]
    for who, pre in (("model", ""), ("baseline", "baseline_")):
        cells = [f"{m[pre + k + '_mean']:8.3f} ± {m[pre + k + '_std']:5.3f}" for k in ("r2", "rmse", "mae")]
        lines.append(f"{who:10s}" + "".join(f"{c:>18s}" for c in cells))
    n_splits = len(result.cv.per_fold)
    # No p beside "not tested": on fewer splits the test is not the rule's, so its p means nothing here.
    p_text = f", Nadeau–Bengio p={m['baseline_paired_p']:.3g}" if n_splits >= MIN_SPLITS else ""
    if n_splits < MIN_SPLITS:
        verdict = f"not tested against the mean baseline: {n_splits} splits < {MIN_SPLITS} (use cv=repeated)"
    else:
        verdict = ("beats" if m["baseline_paired_p"] < 0.05 and m["delta_rmse"] < 0 else "does NOT beat") + \
            " the mean baseline (this family alone; promotion adjusts across families)"
    lines.append(f"pooled out-of-fold R2={m['r2_pooled']:.3f} RMSE={m['rmse_pooled']:.3g}; "
                 f"ΔRMSE vs baseline {m['delta_rmse']:.3g} [95 % CI {m['delta_rmse_ci_low']:.3g}, "
                 f"{m['delta_rmse_ci_high']:.3g}]{p_text}")
    lines.append(f"the model {verdict}")
    lines.append(f"MLflow run {result.run_id}: browse with `make ui` (http://127.0.0.1:5000)")
    return "\n".join(lines)


def default_run_name(cfg: DictConfig) -> str:
    """``<target>-<model>[-<search>]``."""
    name = f"{cfg.target.name}-{cfg.model.name}"
    return name if not cfg.search.enabled else f"{name}-{cfg.search.name}"


@dataclass(frozen=True)
class ZooRun:
    """One trained (target, model) pair and how long it took (wall clock and this process's CPU)."""

    target: str
    model: str
    seconds: float
    cpu_seconds: float
    result: TrainResult


def train_zoo(targets: Sequence[str], models: Sequence[str] | None = None, overrides: Sequence[str] = (), *,
              threads: int | None = 1) -> list[ZooRun]:
    """Train every model on every target, each as its own MLflow run.

    Parameters
    ----------
    targets : sequence of str
        Target config names (``capacity``, ``ice``, ``rate``, ``plateau``).
    models : sequence of str, optional
        Model config names; default every ``conf/model/*.yaml``.
    overrides : sequence of str
        Extra overrides for every run (store paths, ``search=optuna``, ``dataset=...``).
    threads : int or None, default=1
        BLAS/OpenMP threads per fit; None leaves the libraries' defaults. On a few dozen rows
        threads only add overhead (HistGradientBoosting is ~10x slower with two).

    Returns
    -------
    list of ZooRun
        In the order trained: targets outer, models inner.
    """
    from threadpoolctl import threadpool_limits

    from nacarbon.models.catalog import model_names

    runs = []
    for target in targets:
        for model in models or model_names():
            cfg = compose_config("train", [*overrides, f"target={target}", f"model={model}"])
            start, cpu = time.perf_counter(), time.process_time()
            if threads is None:
                result = run(cfg)
            else:
                with threadpool_limits(limits=threads):
                    result = run(cfg)
            runs.append(ZooRun(target, model, time.perf_counter() - start, time.process_time() - cpu, result))
    return runs
