"""The pipeline's training step as jobs: the shared stores made once, finished jobs skipped,
failures collected instead of ending the others.

The parent creates every store before any worker starts, so workers never race to create a schema.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig

from nacarbon.commands.compose import compose_config

log = logging.getLogger("nacarbon.pipeline")

Key = tuple[str, str, str, str]   # (plan, target, family, search)


@dataclass(frozen=True)
class Failure:
    """A training job that did not finish, and why (one line)."""

    key: Key
    reason: str

    def line(self) -> str:
        """``plan/target/family: <ExceptionType>: <message>``."""
        return f"{'/'.join(self.key)}: {self.reason}"


def prepare_stores(configs: dict[Key, DictConfig]) -> None:
    """Create every MLflow experiment and Optuna storage the jobs use, here, before any worker starts."""
    from nacarbon.models.study_storage import prepare_storage
    from nacarbon.tracking.runs import prepare_experiment
    from nacarbon.tracking.tags import experiment_name

    for c in {str(c.dataset.name): c for c in configs.values()}.values():
        prepare_experiment(experiment_name(c.dataset.name), uri=c.tracking.uri, artifact_root=c.tracking.artifact_root)
    for url in sorted({str(c.search.storage) for c in configs.values() if c.search.enabled and c.search.get("storage")}):
        prepare_storage(url)


def data_versions(configs: dict[Key, DictConfig], known: dict[str, str]) -> dict[str, str]:
    """The data version of every dataset the jobs train on (``known`` from the validate step)."""
    from nacarbon.data.io import load_configured

    versions = dict(known)
    for c in configs.values():
        if str(c.dataset.name) not in versions:
            versions[str(c.dataset.name)] = load_configured(c.dataset).version
    return versions


def already_finished(configs: dict[Key, DictConfig], versions: dict[str, str]) -> dict[Key, dict]:
    """The jobs whose configuration already has a FINISHED run on the current data: key -> its metrics."""
    from nacarbon.fingerprint import config_fingerprint
    from nacarbon.tracking.finished import finished_training
    from nacarbon.tracking.tags import experiment_name

    if not configs:
        return {}
    any_cfg = next(iter(configs.values()))
    stored = finished_training(any_cfg.tracking.uri, any_cfg.tracking.artifact_root,
                               sorted({experiment_name(c.dataset.name) for c in configs.values()}))
    out = {}
    for key, c in configs.items():
        hit = stored.get((config_fingerprint(c), versions[str(c.dataset.name)]))
        if hit is not None:
            out[key] = hit
    return out


def init_worker(log_file: str | None) -> None:
    """A worker process: one BLAS thread, the pipeline's log file, library warnings off the console."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    if log_file:
        from nacarbon.logs import log_to_file

        log_to_file(log_file)


def train_one(overrides: list[str]) -> dict:
    """Train one configuration; its metrics and ``cpu_seconds`` (runs in a worker process when ``n_jobs > 1``)."""
    import time

    from nacarbon.commands import train

    start = time.process_time()
    metrics = dict(train.run(compose_config("train", overrides)).metrics)
    # This process's CPU only: a job's fits run in it (one BLAS thread, no nested pools).
    metrics["cpu_seconds"] = time.process_time() - start
    return metrics


def _reason(err: BaseException) -> str:
    from nacarbon.tracking.redact import redact

    text = " ".join(str(err).split()) or "(no message)"
    return redact(f"{type(err).__name__}: {text}")[:300]


def run_jobs(jobs: dict[Key, list[str]], order: list[Key], *, n_jobs: int, log_file: str | Path | None,
             on_done: Callable[[Key, dict], None]) -> list[Failure]:
    """Train ``jobs`` in ``order``, ``n_jobs`` at a time, whatever the others do; return the failures as they end."""
    failures: list[Failure] = []

    def failed(key: Key, err: BaseException) -> None:
        # The traceback goes to the log file; the console gets the one-line list at the end.
        log.error("training job %s failed", "/".join(key), exc_info=err, extra={"console": False})
        failures.append(Failure(key, _reason(err)))

    if n_jobs <= 1:
        for key in order:
            try:
                metrics = train_one(jobs[key])
            except Exception as err:  # noqa: BLE001 (one job's error must not end the others)
                failed(key, err)
            else:
                on_done(key, metrics)
        return failures
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=init_worker,
                             initargs=(str(log_file) if log_file else None,)) as pool:
        futures = {pool.submit(train_one, jobs[key]): key for key in order}
        for fut in as_completed(futures):
            try:
                metrics = fut.result()
            except Exception as err:  # noqa: BLE001 (a worker that died ends its own jobs only)
                failed(futures[fut], err)
            else:
                on_done(futures[fut], metrics)
    return failures
