"""Optuna tuning of one model on one training set, scored by an inner grouped CV."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from threadpoolctl import threadpool_limits

from nacarbon.errors import NacarbonError, StoreError
from nacarbon.evaluation.metrics import regression_metrics
from nacarbon.evaluation.splits import RepeatedGroupKFold
from nacarbon.models.pipeline import build_pipeline
from nacarbon.models.search_space import DEFAULTS_ATTR, default_params, suggest

log = logging.getLogger(__name__)

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
# A trial whose process died (kill -9, power loss) stops beating; after GRACE_SECONDS without a
# heartbeat the next process that opens the study marks it FAIL instead of leaving it RUNNING.
HEARTBEAT_SECONDS = 15
GRACE_SECONDS = 60


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
    """Build :class:`TuningSettings` from a ``conf/search/*.yaml`` node.

    Parameters
    ----------
    search_cfg : DictConfig
        The ``search`` node (``n_trials``, ``inner_splits``, ``sampler``, ``pruner`` ...).
    seed : int
        The run's seed (inner splits and the sampler's base seed).
    storage : str or None
        Optuna storage URL; None keeps the study in memory (no resuming).

    Returns
    -------
    TuningSettings
    """
    return TuningSettings(
        n_trials=int(search_cfg.n_trials),
        timeout=None if search_cfg.get("timeout") is None else float(search_cfg.timeout),
        storage=storage,
        sampler=search_cfg.sampler,
        pruner=search_cfg.pruner,
        inner_splits=int(search_cfg.inner_splits),
        seed=seed,
        progress=bool(search_cfg.get("progress", False)),
        worker=int(search_cfg.get("worker", 0)),
        min_gain=float(search_cfg.get("min_gain", 0.0)),
    )


def inner_cv_rmse(model_cfg: DictConfig, params: Mapping[str, Any], X: pd.DataFrame, y: np.ndarray,
                  groups: np.ndarray, *, n_splits: int, seed: int, transform: str,
                  trial: optuna.Trial | None = None) -> float:
    """Mean RMSE of one parameter set over an inner grouped CV of the given rows.

    Parameters
    ----------
    model_cfg : DictConfig
        The model config.
    params : mapping
        Hyperparameters to try.
    X, y, groups
        The rows to cross-validate (an outer fold's training part).
    n_splits : int
        Inner folds (fewer when there are fewer sources).
    seed : int
        Seed of the inner split.
    transform : str
        Target transform.
    trial : optuna.Trial, optional
        Each fold's running mean is reported to it so a pruner can stop a poor trial early.

    Returns
    -------
    float
        Mean inner-fold RMSE, in the target's own units.
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
    """A short hash of everything that decides a study's trials and their scores.

    Parameters
    ----------
    model_cfg, space, X, y, groups, settings, transform
        As for :func:`tune`.

    Returns
    -------
    str
        10 hex digits, appended to the study name by :func:`tune`.

    Notes
    -----
    The rows themselves (features, target, sources) stand for the dataset version, the feature
    set and the outer fold; the model config, search space, trial budget, inner folds, seed,
    sampler, pruner and target transform complete it. A re-run that changes any of them starts
    a new study instead of resuming trials scored under other settings. Where the study is kept
    (storage), the time limit, the worker index and the trial budget ``n_trials`` are left out:
    they change no trial's score, and a larger budget extends a stored study (a smaller one
    is logged as a warning).
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
    """The sampler of one study, seeded from the run seed, the study's name and its history.

    Parameters
    ----------
    settings : TuningSettings
        Holds the sampler config (a Hydra ``_target_`` node).
    study_name : str
        The study; its name picks its own random stream.
    n_existing : int
        Trials already in the storage under this name.

    Returns
    -------
    optuna.samplers.BaseSampler

    Notes
    -----
    With one seed for every study, the outer folds' studies would all try the same random
    start-up points, and a resumed study would replay the points it already tried. Adding a
    hash of the name and the number of stored trials keeps every draw new yet reproducible.
    """
    # A GridSampler's seed orders the grid: every worker must share it to split one grid.
    if "seed" not in settings.sampler or str(settings.sampler.get("_target_", "")).endswith("GridSampler"):
        return instantiate(settings.sampler)
    # Workers joining one study at the same moment see the same n_existing: the worker index
    # keeps their start-up draws apart.
    seed = (int(settings.seed) + zlib.crc32(study_name.encode()) + n_existing + 7919 * settings.worker) % (2**32)
    return instantiate(settings.sampler, seed=seed)


def _prepare_storage(storage: str | None) -> str | None:
    """Make a storage URL usable: create a SQLite file's folder, pick the installed PG driver."""
    # SQLite cannot create the folder holding its file, and tuning runs before MLflow makes it.
    if storage and storage.startswith("sqlite:///"):
        Path(storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the lock file installs psycopg2.
    if storage and storage.startswith(("postgresql://", "postgres://")):
        storage = "postgresql+psycopg2://" + storage.split("://", 1)[1]
    return storage


def open_storage(url: str | None) -> optuna.storages.BaseStorage | None:
    """An Optuna storage with heartbeats, or None (in memory) without a URL.

    Raises
    ------
    StoreError
        Naming the storage (password masked) when it cannot be reached or written.
    """
    if not url:
        return None
    import warnings

    from sqlalchemy.exc import SQLAlchemyError

    try:
        with warnings.catch_warnings():
            # Heartbeats are "experimental" in Optuna 5 but are what marks a killed trial FAIL;
            # the warning, repeated for every study of every run, would bury make run's output.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS)
    except (SQLAlchemyError, OSError, ImportError, ValueError) as err:
        raise _storage_error(url, err) from None


def _storage_error(url: str, err: BaseException) -> StoreError:
    from nacarbon.tracking.redact import redact

    cause = getattr(err, "orig", None) or err
    reason = " ".join(str(cause).split())[:300]
    return StoreError(f"Optuna storage {redact(url)} cannot be used: {redact(reason)} "
                      f"(check search.storage or NACARBON_OPTUNA_STORAGE; is the server running, the folder writable?)")


def _transient(err: BaseException) -> bool:
    """A create-table race between workers, not a server that is down or a file that is read-only."""
    text = str(err).lower()
    return not any(s in text for s in ("could not connect", "connection refused", "readonly", "read-only",
                                       "unable to open", "password authentication", "does not exist",
                                       "could not translate host", "timeout expired"))


def _create_study(study_name: str, storage: str | None, pruner) -> optuna.Study:
    """``create_study(load_if_exists=True)``, retried: workers starting together on an empty
    database race to create Optuna's tables and all but one fail once. A storage that cannot
    be reached fails at once with a :class:`StoreError`; stale trials are marked FAIL."""
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    for attempt in range(5):
        try:
            study = optuna.create_study(study_name=study_name, storage=open_storage(storage),
                                        direction="minimize", pruner=pruner, load_if_exists=True)
            if storage:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    optuna.storages.fail_stale_trials(study)
            return study
        except (IntegrityError, ProgrammingError, OperationalError) as err:
            if attempt == 4 or not _transient(err):
                raise _storage_error(storage or "", err) from None
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


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
        Trials, storage, sampler, pruner and inner folds.
    study_name : str
        A readable prefix; :func:`study_identity` is appended so the stored study is unique per
        everything that scores its trials. With a storage, re-running the same settings resumes
        where an interrupted run stopped, counting only finished trials.
    transform : str
        Target transform, as in :func:`nacarbon.models.pipeline.build_pipeline`.

    Returns
    -------
    optuna.Study
        The study; :func:`nacarbon.models.search_space.chosen_params` gives the settings to fit
        (the defaults are trial 0).

    Raises
    ------
    NacarbonError
        If the study ends without a completed trial (every trial pruned).

    Notes
    -----
    Trials run with BLAS/OpenMP pools limited to one thread: fits on a few dozen rows gain
    nothing from threads, and parallelism belongs to the job level (several studies or runs).
    """
    study_name = f"{study_name}-{study_identity(model_cfg, space, X, y, groups, settings, transform)}"
    study = _create_study(study_name, _prepare_storage(settings.storage), instantiate(settings.pruner))
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

