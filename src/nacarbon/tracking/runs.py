"""Open MLflow runs the one way every command does: a described experiment, the run's kind tag,
the git commit, and a description the UI shows."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import mlflow
from mlflow.entities import RunStatus

from nacarbon.errors import StoreError
from nacarbon.tracking import tags as T
from nacarbon.tracking.redact import redact
from nacarbon.tracking.failures import store_errors
from nacarbon.paths import sqlite_path
from nacarbon.tracking.store import STALE_TAG, check_writable, connect, ensure_experiment, git_commit

_EXPERIMENTS = {
    T.SCREENING_EXPERIMENT: "Screening of candidate carbons with the registry's champions "
                            "(python -m screen): ranked tables, Pareto fronts and heatmaps.",
    T.REGISTRY_EXPERIMENT: "Promotion decisions (python -m promote): which run became nacarbon-<target>@champion "
                           "and why.",
    T.SUGGEST_EXPERIMENT: "Suggested batches of experiments (python -m suggest): the fill-in template, "
                          "the picks with their predictions and intervals, and the champion versions used.",
}


def experiment_description(name: str) -> str:
    """What an experiment holds, for the MLflow UI's description field."""
    if name in _EXPERIMENTS:
        return _EXPERIMENTS[name]
    dataset = name.removeprefix(T.MODEL_PREFIX)
    return (f"Runs on dataset '{dataset}': training (nacarbon.kind=train, one per target x model, outer-CV "
            f"metrics, OOF predictions, the fitted model), model comparisons (compare) and analyses (analyze).")


def prepare_experiment(name: str, *, uri: str, artifact_root: str | Path) -> str:
    """Connect, create the experiment if needed (with its description), make it active; return its id."""
    with _schema_lock(uri):
        client = connect(uri, artifact_root)
        exp_id = ensure_experiment(name, uri=uri, artifact_root=artifact_root)
        have = client.get_experiment(exp_id).tags
        if T.DESCRIPTION not in have:
            client.set_experiment_tag(exp_id, T.DESCRIPTION, experiment_description(name))
        if T.EXPERIMENT_KIND not in have:
            # Without it MLflow 3's UI opens an experiment on its GenAI "Traces" page.
            client.set_experiment_tag(exp_id, T.EXPERIMENT_KIND, T.MODEL_DEVELOPMENT)
    return exp_id


@contextmanager
def _schema_lock(uri: str) -> Iterator[None]:
    """Serialise first contact with a SQLite store across processes.

    Two processes opening a fresh ``mlflow.db`` at once (parallel Hydra multirun) both run MLflow's
    schema migrations and one fails; with a lock held the second finds the schema in place.
    """
    db = sqlite_path(uri)
    if db is None:
        yield
        return
    from nacarbon.data.table_write import exclusive_lock

    check_writable(db.parent)  # a folder that cannot hold the lock is a StoreError, not a traceback
    with exclusive_lock(db.with_name(db.name + ".lock")):
        yield


@contextmanager
def open_run(experiment: str, kind: str, description: str, *, uri: str, artifact_root: str | Path,
             run_name: str, tags: Mapping[str, str] | None = None) -> Iterator[mlflow.ActiveRun]:
    """Start a run of ``kind`` (one of :data:`~nacarbon.tracking.tags.KINDS`) in ``experiment``, tagged and described.

    ``tags`` add to ``nacarbon.kind`` and ``git_commit``. Raises StoreError if the store fails while the
    run opens or closes; an exception inside the block ends the run FAILED (reason in the tag
    ``nacarbon.failed_because``) and goes on.
    """
    if kind not in T.KINDS:
        raise ValueError(f"unknown run kind {kind!r}; known: {T.KINDS}")
    with store_errors(uri, f"opening a {kind} run"):
        exp_id = prepare_experiment(experiment, uri=uri, artifact_root=artifact_root)
        all_tags = {T.KIND: kind, T.GIT_COMMIT: git_commit(), **(tags or {})}
        run = mlflow.start_run(experiment_id=exp_id, run_name=run_name, tags=all_tags, description=description)
    try:
        yield run
    except BaseException as err:
        _close_failed(err)
        raise
    with store_errors(uri, f"closing {kind} run {run.info.run_id}"):
        mlflow.end_run()


def _close_failed(err: BaseException) -> None:
    """End the active run FAILED (KILLED on Ctrl-C), its reason in ``nacarbon.failed_because``.

    If the store is what failed, the run stays RUNNING for the next command's :func:`fail_stale_runs`.
    """
    killed = isinstance(err, KeyboardInterrupt)
    reason = "interrupted (Ctrl-C)" if killed else f"{type(err).__name__}: {err}"
    status = RunStatus.KILLED if killed else RunStatus.FAILED
    # After a store failure, one attempt without MLflow's retries: a dead server fails at once.
    with _retries("0" if isinstance(err, StoreError) else None):
        try:
            mlflow.set_tag(STALE_TAG, redact(" ".join(reason.split()))[:4900])
        except Exception:  # noqa: BLE001 (the store itself may be gone; the original error is what counts)
            pass
        try:
            mlflow.end_run(RunStatus.to_string(status))   # pops the run first, even if the store is gone
        except Exception:  # noqa: BLE001
            pass


@contextmanager
def _retries(count: str | None) -> Iterator[None]:
    """MLflow's HTTP retries set to ``count`` inside the block (None: unchanged)."""
    key = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
    old = os.environ.get(key)
    if count is not None:
        os.environ[key] = count
    try:
        yield
    finally:
        if count is not None:
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


UI_URL = "http://127.0.0.1:5000"     # `make ui` over the project's SQLite store


def experiment_url(uri: str, experiment_id: str, run_id: str | None = None) -> str:
    """The MLflow UI's link to an experiment's runs table (or one run), in its model-training view.

    MLflow 3.17's UI follows its own GenAI / Model training switch (default GenAI), not the experiment's
    tag; ``workflowType`` opens the runs table in a browser that never chose (scripts/ui_check.py checks).
    """
    base = uri.rstrip("/") if uri.startswith(("http://", "https://")) else UI_URL
    page = f"runs/{run_id}" if run_id else "runs"
    return f"{base}/#/experiments/{experiment_id}/{page}?workflowType=machine_learning"


def log_params(params: Mapping[str, object]) -> None:
    """Log parameters of the active run, each cut to MLflow's 500-character limit."""
    mlflow.log_params({k: str(v)[:500] for k, v in params.items()})


def record_run(experiment: str, kind: str, description: str, *, uri: str, artifact_root: str | Path, run_name: str,
               tags: Mapping[str, str] | None = None, params: Mapping[str, object] | None = None,
               metrics: Mapping[str, float] | None = None,
               files: Iterable[tuple[Path, str | None]] = (),
               folders: Iterable[tuple[Path, str | None]] = ()) -> str:
    """One finished run (as :func:`open_run`) with params, metrics, files and folders logged; return its id.

    ``files`` and ``folders`` are (path, artifact folder or None) pairs. On a store failure: one
    StoreError; the run is ended FAILED if the store still takes that, else by the next command's clean-up.
    """
    with open_run(experiment, kind, description, uri=uri, artifact_root=artifact_root, run_name=run_name,
                  tags=tags) as run, store_errors(uri, f"recording the {kind} run"):
        log_params(params or {})
        mlflow.log_metrics({k: float(v) for k, v in (metrics or {}).items()})
        for path, folder in files:
            mlflow.log_artifact(str(path), artifact_path=folder)
        for path, folder in folders:
            mlflow.log_artifacts(str(path), artifact_path=folder)
        return run.info.run_id

