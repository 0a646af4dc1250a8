"""Optuna tuning of one model on one training set, scored by an inner grouped CV."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig

from nacarbon.evaluation.metrics import regression_metrics
from nacarbon.evaluation.splits import make_splitter
from nacarbon.models.pipeline import build_pipeline
from nacarbon.models.search_space import suggest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TuningSettings:
    """What a ``search`` config says: how many trials, where the study lives, how to sample."""

    n_trials: int
    timeout: float | None
    storage: str | None
    sampler: Any
    pruner: Any
    inner_splits: int
    seed: int
    progress: bool = False


def settings_from_config(search_cfg: DictConfig, *, seed: int, storage: str | None) -> TuningSettings:
    """Build :class:`TuningSettings` from a ``conf/search/*.yaml`` node."""
    return TuningSettings(
        n_trials=int(search_cfg.n_trials),
        timeout=None if search_cfg.get("timeout") is None else float(search_cfg.timeout),
        storage=storage,
        sampler=search_cfg.sampler,
        pruner=search_cfg.pruner,
        inner_splits=int(search_cfg.inner_splits),
        seed=seed,
        progress=bool(search_cfg.get("progress", False)),
    )


def inner_cv_rmse(model_cfg: DictConfig, params: Mapping[str, Any], X: pd.DataFrame, y: np.ndarray,
                  groups: np.ndarray, *, n_splits: int, seed: int, transform: str,
                  trial: optuna.Trial | None = None) -> float:
    """Mean RMSE of one parameter set over an inner grouped CV of the given rows.

    Each fold's running mean is reported to ``trial`` so a pruner can stop a poor trial early.
    """
    n_groups = len(np.unique(groups))
    splitter = make_splitter("group", n_splits=min(n_splits, n_groups), random_state=seed)
    scores = []
    for step, (tr, te) in enumerate(splitter.split(X, y, groups)):
        model = build_pipeline(model_cfg, params=params, transform=transform)
        model.fit(X.iloc[tr], y[tr])
        scores.append(regression_metrics(y[te], model.predict(X.iloc[te]))["rmse"])
        if trial is not None:
            trial.report(float(np.mean(scores)), step)
            if trial.should_prune():
                raise optuna.TrialPruned()
    return float(np.mean(scores))


def tune(model_cfg: DictConfig, space: Mapping[str, Mapping[str, Any]], X: pd.DataFrame, y: np.ndarray,
         groups: np.ndarray, *, settings: TuningSettings, study_name: str, transform: str = "none") -> optuna.Study:
    """Run (or resume) an Optuna study that minimises inner-CV RMSE.

    Parameters
    ----------
    model_cfg : DictConfig
        The model config (estimator and defaults).
    space : mapping
        A validated search space.
    X, y, groups
        The rows tuning may see: an outer fold's training part, never its test part.
    settings : TuningSettings
    study_name : str
        Unique per (dataset version, target, model, CV protocol, outer fold); with a storage the
        study resumes where an interrupted run stopped, counting only finished trials.
    transform : str
        Target transform, as in :func:`nacarbon.models.pipeline.build_pipeline`.

    Returns
    -------
    optuna.Study
        The study; ``best_params`` holds the winner.
    """
    sampler = instantiate(settings.sampler)
    pruner = instantiate(settings.pruner)
    study = optuna.create_study(study_name=study_name, storage=settings.storage, sampler=sampler,
                                pruner=pruner, direction="minimize", load_if_exists=True)
    done = sum(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in study.trials)
    remaining = max(settings.n_trials - done, 0)
    if done:
        log.info("study %s resumes with %d finished trials, %d to go", study_name, done, remaining)

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, space)
        return inner_cv_rmse(model_cfg, params, X, y, groups, n_splits=settings.inner_splits,
                             seed=settings.seed, transform=transform, trial=trial)

    if remaining:
        # The callback re-counts finished trials in the storage, so several workers sharing one
        # study stop together at n_trials instead of each running its own quota.
        stop = optuna.study.MaxTrialsCallback(settings.n_trials, states=(optuna.trial.TrialState.COMPLETE,
                                                                         optuna.trial.TrialState.PRUNED))
        study.optimize(objective, n_trials=remaining, timeout=settings.timeout, callbacks=[stop],
                       show_progress_bar=settings.progress, gc_after_trial=False)
    return study
