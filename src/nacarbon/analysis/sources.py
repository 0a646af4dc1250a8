"""Find the trained models to explain and load them with the rows they were fitted on.

A model is named either by the registry (each target's ``champion``) or by one training run id.
Everything needed comes from that run: the fitted pipeline under ``model`` and the table
``data/training_data.csv`` (meta columns, features, target) it was fitted on.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.errors import ConfigError, RegistryError
from nacarbon.registry.promotion import ALIAS, model_name

CHAMPION = "champion"
# What the explanations of a loaded model describe (stated in every output that shows them).
EXPLAINED_ON = "full-data fit, explained on its own training rows (in-sample)"


@dataclass(frozen=True)
class SourceRef:
    """Which run to explain for a target, and how it was chosen."""

    target: str
    run_id: str
    version: str | None = None   # registry version when taken from the champion alias


@dataclass
class ModelSource:
    """A fitted model with the training rows it saw."""

    ref: SourceRef
    model_family: str
    dataset: str
    data_version: str
    target_column: str
    features: list[str]
    estimator: object
    X: pd.DataFrame
    y: np.ndarray
    meta: pd.DataFrame
    tags: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``<model> (run <8 chars>[, champion v<n>])`` for captions and tables."""
        where = f", champion v{self.ref.version}" if self.ref.version else ""
        return f"{self.model_family} (run {self.ref.run_id[:8]}{where})"


def _why_none(client: MlflowClient, target: str) -> str:
    try:
        client.get_registered_model(model_name(target))
    except MlflowException:
        return "train and promote first (`make run`, or `python -m train` + `python -m promote`)"
    return "versions are registered but none was promoted (promotion needs a model that beats the mean baseline)"


def find_sources(client: MlflowClient, source: str, targets: list[str]) -> tuple[list[SourceRef], list[str]]:
    """Resolve ``shap.source`` into the runs to explain.

    Parameters
    ----------
    client : MlflowClient
        Client on the tracking and registry store.
    source : str
        ``"champion"`` (each target's model holding the alias) or a training run id.
    targets : list of str
        Target names considered (``conf/target/*.yaml`` names).

    Returns
    -------
    refs : list of SourceRef
        One per target that has a model to explain.
    notes : list of str
        Why a target has none (no champion registered yet).

    Raises
    ------
    ConfigError
        If ``source`` is a run id that does not exist or is not a training run.
    """
    refs, notes = [], []
    if source == CHAMPION:
        for target in targets:
            try:
                mv = client.get_model_version_by_alias(model_name(target), ALIAS)
            except MlflowException:
                notes.append(f"{target}: no champion ({model_name(target)}@{ALIAS}); " + _why_none(client, target))
                continue
            refs.append(SourceRef(target, mv.run_id, str(mv.version)))
        return refs, notes
    try:
        run = client.get_run(source)
    except MlflowException as err:
        raise ConfigError(f"shap.source={source!r}: not '{CHAMPION}' and no such run in the store: {err}") from err
    if run.data.tags.get("nacarbon.kind") != "train":
        raise ConfigError(f"shap.source={source!r} is not a training run (nacarbon.kind="
                          f"{run.data.tags.get('nacarbon.kind')!r})")
    target = run.data.tags.get("target", "")
    if target not in targets:
        notes.append(f"run {source} is for target {target!r}, which is not among targets={targets}; "
                     f"explained anyway")
    return [SourceRef(target, source, None)], notes


def load_source(client: MlflowClient, ref: SourceRef) -> ModelSource:
    """Load a run's fitted model and its training rows.

    Parameters
    ----------
    client : MlflowClient
        Client on the store holding the run.
    ref : SourceRef
        The run (and registry version, if any).

    Returns
    -------
    ModelSource

    Raises
    ------
    RegistryError
        If the run lacks its model, its training table, or the table lacks the run's columns.
    """
    run = client.get_run(ref.run_id)
    tags, params = run.data.tags, run.data.params
    features = [f for f in params.get("features", "").split(",") if f]
    target_column = tags.get("target_column", "")
    uri = f"models:/{model_name(ref.target)}/{ref.version}" if ref.version else f"runs:/{ref.run_id}/model"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            table = pd.read_csv(client.download_artifacts(ref.run_id, "data/training_data.csv", tmp))
            estimator = mlflow.sklearn.load_model(uri)
        except (MlflowException, OSError) as err:
            raise RegistryError(f"run {ref.run_id} ({ref.target}): cannot load its model ({uri}) or "
                                f"data/training_data.csv: {err}") from err
    missing = [c for c in [*features, target_column] if c not in table.columns]
    if not features or missing:
        raise RegistryError(f"run {ref.run_id}: training_data.csv lacks columns {missing or 'features'}")
    return ModelSource(ref=ref, model_family=tags.get("model", "?"), dataset=tags.get("dataset", "?"),
                       data_version=tags.get("data_version", "?"), target_column=target_column,
                       features=features, estimator=estimator, X=table[features].astype(float),
                       y=table[target_column].to_numpy(float),
                       meta=table.drop(columns=[*features, target_column]), tags=dict(tags))
