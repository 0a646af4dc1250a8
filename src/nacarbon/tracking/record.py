"""The plain record of a training run: what ``train`` built, for :mod:`nacarbon.tracking.training_run` to write.

The command fills these from its config and results; tracking reads nothing else (no config,
no plotting). Plain values only and no MLflow import, so a command may build them before MLflow
loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class RunOpening:
    """What a training run carries from the moment it opens.

    Attributes
    ----------
    experiment : str
        Experiment name (``nacarbon-<dataset>``).
    run_name : str
        The run's name.
    description : str
        The description shown while it trains (``mlflow.note.content``).
    tags : mapping of str to str
        The selection tags (see :mod:`nacarbon.tracking.tags`).
    params : mapping
        The settings known before training; each logged as a string cut to 500 characters.
    uri, artifact_root : str
        The tracking store.
    """

    experiment: str
    run_name: str
    description: str
    tags: Mapping[str, str]
    params: Mapping[str, object]
    uri: str
    artifact_root: str


@dataclass(frozen=True)
class DatasetInput:
    """A table logged as the run's dataset input (the UI's Datasets column)."""

    table: "pd.DataFrame"
    name: str          # ``<dataset>@<version>``
    targets: str       # the target column
    digest: str        # the data version
    context: str = "training"


@dataclass(frozen=True)
class ModelsToLog:
    """The run's two models: the bare estimator (SHAP explains it) and the whole predictor (registered).

    Attributes
    ----------
    estimator : sklearn estimator
        Fitted on ``X``; logged as ``estimator``.
    X : DataFrame
        Its training features: the signature, and the first rows as the input example.
    predictor : SamplePredictor or None
        Fitted; logged as ``model``. Without it ``estimator`` is the run's model.
    predictor_params, predictor_metrics : mapping
        Logged after the estimator and before the predictor, so that only the predictor's
        LoggedModel carries them.
    example : DataFrame or None
        Raw rows (as ``predict`` reads them) for the predictor's input example.
    """

    estimator: object
    X: "pd.DataFrame"
    predictor: object = None
    predictor_params: Mapping[str, object] = field(default_factory=dict)
    predictor_metrics: Mapping[str, float] = field(default_factory=dict)
    example: "pd.DataFrame | None" = None


@dataclass(frozen=True)
class TrainingRecord:
    """The results of a training run, each under the artifact path it is written to.

    Attributes
    ----------
    tags : mapping of str to str
        The verdict tags and the final description.
    params : mapping
        Settings found by training (``final.<tuned parameter>``).
    metrics : mapping of str to float
    texts : mapping of str to str
        Artifact path (``config.yaml``, ``data/fold_params.json``) -> file content.
    tables : mapping of str to DataFrame
        Artifact path (``data/oof_predictions.csv``) -> table, written as CSV without its index.
    figures : mapping of str to Path
        Artifact path (``plots/parity.png``) -> the image file drawn by the command.
    dataset : DatasetInput
    models : ModelsToLog
    study : optuna.Study or None
        The final tuning study, logged under ``tuning/``.
    """

    tags: Mapping[str, str]
    params: Mapping[str, object]
    metrics: Mapping[str, float]
    texts: Mapping[str, str]
    tables: Mapping[str, "pd.DataFrame"]
    figures: Mapping[str, Path]
    dataset: DatasetInput
    models: ModelsToLog
    study: object = None
