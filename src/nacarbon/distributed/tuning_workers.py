"""Several worker processes tuning one shared Optuna study, as on a cluster but on one machine."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
import pandas as pd
from omegaconf import DictConfig
from threadpoolctl import threadpool_limits

from nacarbon.errors import ConfigError, ServerError
from nacarbon.models.tuning import TuningSettings, study_identity, tune


@dataclass(frozen=True)
class WorkersResult:
    """A study tuned by several processes, and how long the tuning itself took."""

    study: optuna.Study
    seconds: float
    n_workers: int


def _work(ready, go, kwargs: dict) -> None:
    # Everything slow (imports, unpickling the data) happens before `ready`, so the timed window
    # holds tuning only. One BLAS thread per worker: the workers are the parallelism.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with threadpool_limits(limits=1):
        ready.put(os.getpid())
        go.wait()
        tune(**kwargs)


def tune_in_processes(n_workers: int, *, model_cfg: DictConfig, space: Mapping[str, Mapping[str, Any]],
                      X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, settings: TuningSettings,
                      study_name: str, transform: str = "none") -> WorkersResult:
    """Run :func:`nacarbon.models.tuning.tune` in ``n_workers`` processes on one study.

    Each ``spawn``-ed worker calls ``tune`` with the same arguments, as separate machines would; they share
    the study through ``settings.storage`` (a database every worker reaches: PostgreSQL for real
    concurrency). Returns the stored study and the wall time from "all ready" to "all done".
    ``MaxTrialsCallback`` counts after each trial, so a study ends with ``n_trials`` to
    ``n_trials + n_workers - 1`` finished trials.
    """
    if n_workers < 1:
        raise ConfigError(key="n_workers", value=n_workers, allowed="an integer >= 1")
    if not settings.storage:
        raise ConfigError("tune_in_processes needs a storage: workers share the study through it",
                          key="search.storage", value=settings.storage, allowed="a database URL every worker reaches")
    ctx = mp.get_context("spawn")
    ready, go = ctx.Queue(), ctx.Event()
    kwargs = dict(model_cfg=model_cfg, space=dict(space), X=X, y=y, groups=groups, settings=settings,
                  study_name=study_name, transform=transform)
    workers = [ctx.Process(target=_work, args=(ready, go, kwargs), name=f"tune-worker-{k}")
               for k in range(n_workers)]
    for w in workers:
        w.start()
    try:
        waiting = n_workers
        while waiting:
            try:
                ready.get(timeout=1.0)
                waiting -= 1
            except queue.Empty:
                dead = [w for w in workers if w.exitcode is not None]
                if dead:
                    raise ServerError(f"{dead[0].name} exited with code {dead[0].exitcode} before starting")
        start = time.perf_counter()
        go.set()
        for w in workers:
            w.join()
        seconds = time.perf_counter() - start
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
                w.join()
    failed = [w for w in workers if w.exitcode != 0]
    if failed:
        raise ServerError(f"{len(failed)} of {n_workers} tuning workers failed "
                          f"(exit codes {[w.exitcode for w in failed]})")
    stored = f"{study_name}-{study_identity(model_cfg, space, X, y, groups, settings, transform)}"
    return WorkersResult(optuna.load_study(study_name=stored, storage=settings.storage), seconds, n_workers)
