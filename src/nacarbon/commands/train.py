"""``python -m train``: load and validate data, cross-validate (tuning nested when asked),
fit the final model on every row, and record it all in one MLflow run."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omegaconf import DictConfig

from nacarbon.commands.train_record import run_files, run_opening, training_record
from nacarbon.errors import ConfigError

if TYPE_CHECKING:  # the heavy modules (sklearn, optuna) load when a run starts, not for --help
    from nacarbon.data.design import Design
    from nacarbon.data.io import Dataset
    from nacarbon.evaluation.significance import Verdict
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
    url: str = ""               # the run in the MLflow UI
    verdict: "Verdict | None" = None   # the run's family alone (promotion adjusts across families)
    study: object = None        # the final tuning study (optuna.Study), None without a search


def load_for_target(cfg: DictConfig) -> tuple["Dataset", "Design"]:
    """Load the configured dataset and build the design matrix for the configured target."""
    import numpy as np

    from nacarbon.data.design import make_design
    from nacarbon.data.io import load_configured
    from nacarbon.targets import TargetSpec

    target = TargetSpec.from_config(cfg.target)
    if cfg.dataset.name not in target.datasets:
        raise ConfigError(f"target '{target.name}' ({target.column}) is not carried by it", key="dataset",
                          value=str(cfg.dataset.name), allowed=list(target.datasets))
    dataset = load_configured(cfg.dataset)
    design = make_design(dataset.frame, target=target.column, filters=target.filter,
                         features=[*cfg.features.columns, *((cfg.get("model") or {}).get("extra_features") or [])])
    if len(design.y) < 10 or len(np.unique(design.groups)) < max(int(cfg.cv.n_splits), 2):
        raise ConfigError(f"target '{cfg.target.name}' on dataset '{cfg.dataset.name}' has {len(design.y)} rows "
                          f"from {len(np.unique(design.groups))} sources: too few for cv={cfg.cv.name}")
    return dataset, design


def study_prefix(cfg: DictConfig, dataset: "Dataset") -> str:
    """Study names are unique per data version, target, model, features and CV protocol."""
    return (f"{cfg.dataset.name}-{dataset.version}-{cfg.target.name}-{cfg.model.name}-"
            f"{cfg.features.name}-{cfg.cv.name}-s{cfg.seed}")


def run(cfg: DictConfig) -> TrainResult:
    """Train, evaluate and log one (dataset, target, model, cv, search) combination of ``conf/train.yaml``."""
    import numpy as np
    import optuna
    from sklearn.exceptions import ConvergenceWarning

    from nacarbon.analysis.figures import oof_figures
    from nacarbon.evaluation.splits import make_splitter
    from nacarbon.models.crossval import cross_validate
    from nacarbon.models.pipeline import build_pipeline
    from nacarbon.models.search_space import chosen_params
    from nacarbon.tracking.training_run import training_run

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dataset, design = load_for_target(cfg)
    log.info("%s: %d rows with %s (%d dropped: target missing), %d sources", cfg.dataset.name, len(design.y),
             cfg.target.column, design.n_dropped, len(np.unique(design.groups)))

    transform = str(cfg.target.transform)   # every target file states it (nacarbon.targets)
    splitter = make_splitter(cfg.cv, random_state=int(cfg.seed))
    tuner, final_study_of = tuners(cfg, dataset, transform)
    # The run opens when the work starts: RUNNING while it trains, fold metrics as they come,
    # FAILED with the reason if it dies (tracking.training_run). Its files are staged in `folder`.
    opening = run_opening(cfg, data_version=dataset.version, run_name=cfg.get("run_name") or default_run_name(cfg))
    with training_run(opening) as live, run_files(cfg) as folder, warnings.catch_warnings():
        # Tuning trials push GPs and elastic nets to the edges of their ranges, where sklearn warns
        # about convergence on every fit; the outer-CV score is what judges those fits.
        warnings.simplefilter("ignore", ConvergenceWarning)
        cv = cross_validate(cfg.model, design.X, design.y, design.groups, splitter, transform=transform,
                            tuner=tuner, progress=bool(cfg.progress), on_fold=live.log_fold)
        final_study = None if final_study_of is None else final_study_of(design.X, design.y, design.groups, "final")
        final_params = {} if final_study is None else chosen_params(final_study)
        model = build_pipeline(cfg.model, params=final_params, transform=transform).fit(design.X, design.y)
        predictor = fit_predictor(cfg, design, build_pipeline(cfg.model, params=final_params, transform=transform))
        metrics, verdict = verdict_metrics(cfg, cv, design)
        # Per-paper error and within-paper ranking from the out-of-fold predictions (no refit).
        figures, numbers = oof_figures(cv.oof, folder / "plots", unit=str(cfg.target.unit),
                                       label=cfg.target.name)
        metrics.update(numbers)
        result = TrainResult(live.run_id, metrics, cv, design, dataset, final_params, model, predictor, live.url,
                             verdict=verdict, study=final_study)
        live.write(training_record(cfg, result, folder, figures), folder)
    return result


def tuners(cfg: DictConfig, dataset: "Dataset", transform: str) -> tuple[Callable | None, Callable | None]:
    """The outer folds' tuner and the final study's, both None without a search.

    ``(X, y, groups, k) -> params`` tunes on outer fold ``k``'s training rows; ``(X, y, groups, name) ->
    optuna.Study`` runs the study on all rows (None when the family has nothing to tune).
    """
    if not cfg.search.enabled:
        return None, None
    from nacarbon.models.search_space import chosen_params, model_space
    from nacarbon.models.tuning import settings_from_config, tune

    space = model_space(cfg.model, where=f"conf/model/{cfg.model.name}.yaml")
    settings = settings_from_config(cfg.search, seed=int(cfg.seed), storage=cfg.search.get("storage"))
    prefix = study_prefix(cfg, dataset)

    def study(X, y, groups, name: str):
        return tune(cfg.model, space, X, y, groups, settings=settings, study_name=f"{prefix}-{name}",
                    transform=transform)

    def tuner(X, y, groups, k: int) -> dict:
        return chosen_params(study(X, y, groups, f"outer{k}")) if space else {}

    return tuner, (study if space else None)


def verdict_metrics(cfg: DictConfig, cv: "CVResult", design: "Design") -> tuple[dict[str, float], "Verdict"]:
    """The run's metrics with the one significance rule for this family alone, and its verdict."""
    import numpy as np

    from nacarbon.evaluation.significance import compare_with_baseline, per_split_table

    metrics = cv.summary()
    test = compare_with_baseline(per_split_table({cfg.model.name: cv}, len(design.y)), min_splits=2).iloc[0]
    metrics["baseline_paired_p"] = float(test["p_raw"])
    metrics["delta_rmse"], metrics["delta_rmse_ci_low"], metrics["delta_rmse_ci_high"] = (
        float(test["delta_rmse"]), float(test["ci_low"]), float(test["ci_high"]))
    metrics["n_rows"] = float(len(design.y))
    metrics["n_dropped_missing_target"] = float(design.n_dropped)
    metrics["n_sources"] = float(len(np.unique(design.groups)))
    return metrics, run_verdict(metrics, len(cv.per_fold))


def fit_predictor(cfg: DictConfig, design: "Design", estimator) -> object:
    """The run's fitted SamplePredictor: ``estimator`` with paper-grouped CV+ intervals and a domain.

    ``estimator`` is unfitted, with the final (tuned) hyperparameters; it is fitted once per CV+
    fold and once on all rows (``n_splits + 1`` fits).
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
    share = None if p.paper_share is None else float(p.paper_share)
    regressor = GroupConformalRegressor(estimator, difficulty=str(p.difficulty), alpha=float(p.alpha), cv=cv,
                                        random_state=int(cfg.seed), paper_share=share)
    domain = PaperDomain(n_neighbors=int(p.domain_neighbors), quantile=float(p.domain_quantile),
                         min_structure=float(p.domain_min_structure))
    table = pd.concat([design.meta, design.X, pd.Series(design.y, name=cfg.target.column)], axis=1)
    return SamplePredictor(cfg.target.name, cfg.target.column, list(design.X.columns), regressor=regressor,
                           domain=domain, n_nearest=int(p.n_nearest)).fit(table)


def run_verdict(metrics: dict, n_splits: int):
    """The one verdict of a run, its family alone (raw p; promotion and ``compare`` add Holm across families).

    Untested below the rule's number of splits.
    """
    from nacarbon.evaluation.significance import MIN_SPLITS, Verdict

    return Verdict(metrics["delta_rmse"], metrics["baseline_rmse_mean"], metrics["baseline_paired_p"],
                   tested=n_splits >= MIN_SPLITS)


def format_summary(cfg: DictConfig, result: TrainResult) -> str:
    """The short table ``python -m train`` prints."""
    m = result.metrics
    lines = [f"{cfg.target.name} ({cfg.target.column}, {cfg.target.unit}) | model={cfg.model.name} "
             f"cv={cfg.cv.name} search={cfg.search.name} dataset={cfg.dataset.name}@{result.dataset.version}",
             f"rows={int(m['n_rows'])} (dropped {int(m['n_dropped_missing_target'])} without target), "
             f"sources={int(m['n_sources'])}",
             f"{'':10s}{'R2':>16s}{'RMSE':>18s}{'MAE':>18s}"]
    for who, pre in (("model", ""), ("baseline", "baseline_")):
        cells = [f"{m[pre + k + '_mean']:8.3f} ± {m[pre + k + '_std']:5.3f}" for k in ("r2", "rmse", "mae")]
        lines.append(f"{who:10s}" + "".join(f"{c:>18s}" for c in cells))
    verdict = run_verdict(m, len(result.cv.per_fold))
    # No p beside "not tested": on fewer splits the test is not the rule's, so its p means nothing here.
    p_text = f", Nadeau–Bengio p={m['baseline_paired_p']:.3g}" if verdict.tested else ""
    lines.append(f"pooled out-of-fold R2={m['r2_pooled']:.3f} RMSE={m['rmse_pooled']:.3g} (mean over repeats); "
                 f"ΔRMSE vs baseline {m['delta_rmse']:.3g} [95 % CI {m['delta_rmse_ci_low']:.3g}, "
                 f"{m['delta_rmse_ci_high']:.3g}]{p_text}")
    lines.append(f"verdict {verdict.name}: {verdict.sentence()} (this family alone; promotion adjusts "
                 f"across families)")
    where = "`make ui`, then " if not str(cfg.tracking.uri).startswith(("http://", "https://")) else ""
    lines.append(f"MLflow run {result.run_id}: {where}{result.url or 'http://127.0.0.1:5000'}")
    return "\n".join(lines)


def default_run_name(cfg: DictConfig) -> str:
    """``<target>-<model>[-<search>]``."""
    name = f"{cfg.target.name}-{cfg.model.name}"
    return name if not cfg.search.enabled else f"{name}-{cfg.search.name}"
