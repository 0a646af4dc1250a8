"""Find the training runs a comparison covers and read their per-fold metrics from MLflow."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from mlflow.tracking import MlflowClient

from nacarbon.errors import NacarbonError

FOLD_ARTIFACT = "data/fold_metrics.csv"


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "\\'") + "'"


def selection_filter(*, target: str, data_version: str, cv: str, features: str, seed: int | None = None,
                     search: str | None = None) -> str:
    """MLflow filter string selecting finished training runs of one target.

    Parameters
    ----------
    target, data_version, cv, features : str
        Tags written by ``nacarbon.tracking.train_run``.
    seed : int, optional
        The run's ``seed`` parameter; runs with one seed share their outer folds.
    search : str, optional
        Only runs with this search config (``none``, ``optuna`` ...); None takes any.

    Returns
    -------
    str
    """
    clauses = ["tags.`nacarbon.kind` = 'train'", "attributes.status = 'FINISHED'",
               f"tags.target = {_quote(target)}", f"tags.data_version = {_quote(data_version)}",
               f"tags.cv = {_quote(cv)}", f"tags.features = {_quote(features)}"]
    if seed is not None:
        clauses.append(f"params.seed = {_quote(str(seed))}")
    if search is not None:
        clauses.append(f"tags.search = {_quote(search)}")
    return " and ".join(clauses)


def latest_runs(client: MlflowClient, experiment_ids: list[str], filter_string: str, *,
                exclude_models: tuple[str, ...] = ()) -> pd.DataFrame:
    """The most recent matching run of each model.

    Parameters
    ----------
    client : MlflowClient
        Connected to the tracking store.
    experiment_ids : list of str
        Experiments to search.
    filter_string : str
        From :func:`selection_filter`.
    exclude_models : tuple of str
        Model names to leave out.

    Returns
    -------
    DataFrame
        One row per model: run_id, model, family, complexity, search, start_time.
    """
    rows, token = [], None
    while True:
        page = client.search_runs(experiment_ids, filter_string=filter_string, order_by=["attributes.start_time DESC"],
                                  max_results=1000, page_token=token)
        for r in page:
            tags = r.data.tags
            rows.append({"run_id": r.info.run_id, "model": tags.get("model", ""),
                         "family": tags.get("model_family", ""), "complexity": int(tags.get("model_complexity", 99)),
                         "search": tags.get("search", ""), "start_time": r.info.start_time})
        token = page.token
        if not token:
            break
    runs = pd.DataFrame(rows, columns=["run_id", "model", "family", "complexity", "search", "start_time"])
    runs = runs[~runs["model"].isin(exclude_models)]
    # Sorted newest first, so the first run of each model is its latest.
    runs = runs.sort_values("start_time", ascending=False, kind="stable").drop_duplicates("model")
    return runs.reset_index(drop=True)


def fold_metrics(client: MlflowClient, run_id: str) -> pd.DataFrame:
    """A run's per-fold model and baseline metrics.

    Parameters
    ----------
    client : MlflowClient
        Connected to the tracking store.
    run_id : str
        A training run.

    Returns
    -------
    DataFrame
        Columns ``fold``, ``model_r2``, ``model_rmse``, ``model_mae``, ``baseline_r2`` ...

    Raises
    ------
    NacarbonError
        If the run has no ``data/fold_metrics.csv`` artifact.
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

    Parameters
    ----------
    client : MlflowClient
        Connected to the tracking store.
    experiment_ids : list of str
        Experiments to search.
    target, data_version, cv, features, seed, search
        The selection, as in :func:`selection_filter`.
    exclude_models : tuple of str
        Model names to leave out.

    Returns
    -------
    DataFrame
        One row per (model, fold): target, model, family, complexity, search, run_id, fold and
        the metric columns of ``fold_metrics.csv``. Empty when no run matches.
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
