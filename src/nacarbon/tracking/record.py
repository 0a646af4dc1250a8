"""The plain record of a training run: what ``train`` built, for :mod:`nacarbon.tracking.training_run` to write.

Tracking reads nothing else (no config, no plotting); plain values and no MLflow import, so a command may
build them before MLflow loads.
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

    ``description`` is shown while it trains; ``params`` are the settings known before training.
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

    ``X`` (the estimator's training features) gives its signature and input example; without a
    ``predictor`` the estimator is the run's model. ``predictor_params``/``_metrics`` are logged between
    the two, so only the predictor's LoggedModel carries them; ``example`` holds raw rows as ``predict`` reads.
    """

    estimator: object
    X: "pd.DataFrame"
    predictor: object = None
    predictor_params: Mapping[str, object] = field(default_factory=dict)
    predictor_metrics: Mapping[str, float] = field(default_factory=dict)
    example: "pd.DataFrame | None" = None


@dataclass(frozen=True)
class TrainingRecord:
    """The results of a training run; ``texts``, ``tables`` (CSV, no index), ``figures`` by artifact path.

    ``params`` are settings found by training (``final.<tuned parameter>``); ``study`` is the final
    Optuna study, logged under ``tuning/``.
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
