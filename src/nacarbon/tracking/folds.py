"""Find the training runs a comparison covers and read their per-fold metrics from the store."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from mlflow.entities import Run
from mlflow.tracking import MlflowClient

from nacarbon.errors import NacarbonError
from nacarbon.tracking import tags as T

FOLD_ARTIFACT = "data/fold_metrics.csv"


def selection_filter(*, target: str, data_version: str, cv: str, features: str, seed: int | None = None,
                     search: str | None = None) -> str:
    """MLflow filter string selecting finished training runs of one target by their tags.

    Runs with one ``seed`` share their outer folds; ``search`` (``none``, ``optuna`` ...) None takes any.
    """
    clauses = [T.kind_filter(T.TRAIN), "attributes.status = 'FINISHED'",
               T.tag_filter(target=target, data_version=data_version, cv=cv, features=features)]
    if seed is not None:
        clauses.append(f"params.seed = {T.quote(str(seed))}")
    if search is not None:
        clauses.append(T.tag_filter(search=search))
    return " and ".join(clauses)


def search_all(client: MlflowClient, experiment_ids: list[str], filter_string: str) -> Iterator[Run]:
    """Every run matching ``filter_string``, newest first, read page by page."""
    token = None
    while True:
        page = client.search_runs(experiment_ids, filter_string=filter_string, order_by=["attributes.start_time DESC"],
                                  max_results=1000, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def latest_runs(client: MlflowClient, experiment_ids: list[str], filter_string: str, *,
                exclude_models: tuple[str, ...] = ()) -> pd.DataFrame:
    """The latest matching run of each model and search (a tuned and an untuned run both compete).

    One row per (model, search): run_id, model, family, complexity, search, start_time.
    """
    rows = []
    for r in search_all(client, experiment_ids, filter_string):
        tags = r.data.tags
        rows.append({"run_id": r.info.run_id, "model": tags.get(T.MODEL, ""),
                     "family": tags.get(T.MODEL_FAMILY, ""), "complexity": int(tags.get(T.MODEL_COMPLEXITY, 99)),
                     "search": tags.get(T.SEARCH, ""), "start_time": r.info.start_time})
    runs = pd.DataFrame(rows, columns=["run_id", "model", "family", "complexity", "search", "start_time"])
    runs = runs[~runs["model"].isin(exclude_models)]
    # Sorted newest first, so the first run of each model and search is its latest.
    runs = runs.sort_values("start_time", ascending=False, kind="stable").drop_duplicates(["model", "search"])
    return runs.reset_index(drop=True)


def fold_metrics(client: MlflowClient, run_id: str) -> pd.DataFrame:
    """A run's per-fold metrics (``fold``, ``model_r2``, ``model_rmse`` ..., ``baseline_r2`` ...).

    Raises NacarbonError if the run has no ``data/fold_metrics.csv`` artifact.
    """
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = client.download_artifacts(run_id, FOLD_ARTIFACT, dst_path=tmp)
        except Exception as err:  # MLflow raises several types for a missing artifact
            raise NacarbonError(f"run {run_id}: cannot read {FOLD_ARTIFACT}: {err}") from err
        return pd.read_csv(Path(path))


def collect_folds(client: MlflowClient, experiment_ids: list[str], *, target: str, data_version: str, cv: str,
                  features: str, seed: int | None = None, search: str | None = None,
                  exclude_models: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per-fold metrics of the latest run of every model for one target, in long form.

    One row per (model, fold): target, model, family, complexity, search, run_id, fold and the metric
    columns of ``fold_metrics.csv``; empty when no run matches. Selection as in :func:`selection_filter`.
    """
    flt = selection_filter(target=target, data_version=data_version, cv=cv, features=features, seed=seed,
                           search=search)
    runs = latest_runs(client, experiment_ids, flt, exclude_models=exclude_models)
    parts = []
    for run in runs.itertuples(index=False):
        folds = fold_metrics(client, run.run_id)
        parts.append(folds.assign(target=target, model=run.model, family=run.family, complexity=run.complexity,
                                  search=run.search, run_id=run.run_id))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def experiment_folds(client: MlflowClient, experiment: str, **selection) -> pd.DataFrame:
    """:func:`collect_folds` over the experiment named ``experiment`` (empty if it does not exist)."""
    exp = client.get_experiment_by_name(experiment)
    return pd.DataFrame() if exp is None else collect_folds(client, [exp.experiment_id], **selection)
