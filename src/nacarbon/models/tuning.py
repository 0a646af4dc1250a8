"""Optuna tuning of one model on one training set, scored by an inner grouped CV."""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from threadpoolctl import threadpool_limits

from nacarbon.errors import NacarbonError
from nacarbon.evaluation.metrics import regression_metrics
from nacarbon.evaluation.splits import RepeatedGroupKFold
from nacarbon.models.pipeline import build_pipeline
from nacarbon.models.search_space import DEFAULTS_ATTR, default_params, suggest
from nacarbon.models.study_storage import create_study

log = logging.getLogger(__name__)

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


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
    worker: int = 0            # index of this worker among processes sharing one study
    min_gain: float = 0.0      # a trial replaces the defaults only if its inner RMSE is this much lower (relative)


def settings_from_config(search_cfg: DictConfig, *, seed: int, storage: str | None) -> TuningSettings:
    """:class:`TuningSettings` from a ``conf/search/*.yaml`` node, the run's ``seed`` and a storage URL.

    ``storage`` None keeps the study in memory (no resuming).
    """
    return TuningSettings(
        n_trials=int(search_cfg.n_trials),
        timeout=None if search_cfg.get("timeout") is None else float(search_cfg.timeout),
        storage=storage,
        sampler=search_cfg.sampler,
        pruner=search_cfg.pruner,
        inner_splits=int(search_cfg.inner_splits),
        seed=seed,
        progress=bool(search_cfg.progress),
        worker=int(search_cfg.worker),
        min_gain=float(search_cfg.min_gain),
    )


def inner_cv_rmse(model_cfg: DictConfig, params: Mapping[str, Any], X: pd.DataFrame, y: np.ndarray,
                  groups: np.ndarray, *, n_splits: int, seed: int, transform: str,
                  trial: optuna.Trial | None = None) -> float:
    """Mean RMSE (target units) of one parameter set over an inner grouped CV of an outer training part.

    ``n_splits`` is capped by the number of sources; with ``trial`` each fold's running mean is
    reported so a pruner can stop a poor trial early.
    """
    n_groups = len(np.unique(groups))
    splitter = RepeatedGroupKFold(n_splits=min(n_splits, n_groups), n_repeats=1, random_state=seed)
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


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def study_identity(model_cfg: DictConfig, space: Mapping[str, Mapping[str, Any]], X: pd.DataFrame,
                   y: np.ndarray, groups: np.ndarray, settings: TuningSettings, transform: str) -> str:
    """10 hex digits hashing everything that decides a study's trials and scores, appended to its name.

    The rows (features, target, sources) stand for dataset version, feature set and outer fold; with the
    model config, space, inner folds, seed, sampler, pruner and transform, a change starts a new study
    instead of resuming trials scored otherwise. Storage, time limit, worker and ``n_trials`` change no
    score and are left out (a larger budget extends a stored study; a smaller one is a warning).
    """
    digest = hashlib.sha256()
    spec = {"model": _plain(model_cfg), "space": _plain(dict(space)),
            "inner_splits": settings.inner_splits, "seed": settings.seed, "sampler": _plain(settings.sampler),
            "pruner": _plain(settings.pruner), "transform": transform, "columns": list(map(str, X.columns)),
            "first_trial": "defaults"}
    digest.update(json.dumps(spec, sort_keys=True, default=str).encode())
    digest.update(pd.util.hash_pandas_object(X, index=False).to_numpy().tobytes())
    digest.update(np.asarray(y, dtype=float).tobytes())
    digest.update("\x1f".join(map(str, groups)).encode())
    return digest.hexdigest()[:10]


def study_sampler(settings: TuningSettings, study_name: str, n_existing: int):
    """The sampler of one study, seeded from the run seed, the study's name and its ``n_existing`` trials.

    With one seed, every outer fold's study would try the same start-up points and a resumed study would
    replay those it tried; the name's hash and the stored-trial count keep draws new yet reproducible.
    """
    # A GridSampler's seed orders the grid: every worker must share it to split one grid.
    if "seed" not in settings.sampler or str(settings.sampler.get("_target_", "")).endswith("GridSampler"):
        return instantiate(settings.sampler)
    # Workers joining one study at the same moment see the same n_existing: the worker index
    # keeps their start-up draws apart.
    seed = (int(settings.seed) + zlib.crc32(study_name.encode()) + n_existing + 7919 * settings.worker) % (2**32)
    return instantiate(settings.sampler, seed=seed)


def tune(model_cfg: DictConfig, space: Mapping[str, Mapping[str, Any]], X: pd.DataFrame, y: np.ndarray,
         groups: np.ndarray, *, settings: TuningSettings, study_name: str, transform: str = "none") -> optuna.Study:
    """Run (or resume) an Optuna study that minimises inner-CV RMSE on an outer fold's training part.

    ``study_name`` is a prefix; :func:`study_identity` is appended, so with a storage a re-run of the
    same settings resumes, counting finished trials only. The defaults are trial 0
    (:func:`~nacarbon.models.search_space.chosen_params` picks the settings to fit). NacarbonError if no
    trial completes. BLAS/OpenMP pools are limited to one thread: fits on a few dozen rows gain nothing
    from threads, and parallelism belongs to the job level.
    """
    study_name = f"{study_name}-{study_identity(model_cfg, space, X, y, groups, settings, transform)}"
    study = create_study(study_name, settings.storage, instantiate(settings.pruner))
    study.sampler = study_sampler(settings, study_name, len(study.trials))
    done = sum(t.state in FINISHED for t in study.trials)
    remaining = max(settings.n_trials - done, 0)
    if done:
        log.info("study %s resumes with %d finished trials, %d to go", study_name, done, remaining)
    # The family's defaults are the first trial: a search can then only move away from them to
    # settings its inner CV scores better (skip_if_exists: workers sharing a study rarely enqueue
    # twice, and a second copy only costs a trial). A grid is its own search: it is left as declared.
    defaults = default_params(model_cfg, space, where=f"conf/model/{model_cfg.get('name')}.yaml")
    grid = str(settings.sampler.get("_target_", "")).endswith("GridSampler")
    if defaults and not grid and not study.trials:
        study.enqueue_trial(defaults, user_attrs={DEFAULTS_ATTR: True}, skip_if_exists=True)
    if done > settings.n_trials:
        log.warning("study %s already holds %d finished trials, more than search.n_trials=%d: its best over "
                    "all of them is used", study_name, done, settings.n_trials)

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, space)
        return inner_cv_rmse(model_cfg, params, X, y, groups, n_splits=settings.inner_splits,
                             seed=settings.seed, transform=transform, trial=trial)

    if remaining:
        # The callback re-counts finished trials in the storage, so several workers sharing one
        # study stop together at n_trials instead of each running its own quota.
        stop = optuna.study.MaxTrialsCallback(settings.n_trials, states=FINISHED)
        with threadpool_limits(limits=1):
            study.optimize(objective, n_trials=remaining, timeout=settings.timeout, callbacks=[stop],
                           show_progress_bar=settings.progress, gc_after_trial=False)
    if not any(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials):
        raise NacarbonError(f"study {study_name}: no trial completed ({len(study.trials)} pruned or failed); "
                            f"raise search.n_trials or relax the pruner")
    study.set_user_attr("min_gain", settings.min_gain)
    return study

