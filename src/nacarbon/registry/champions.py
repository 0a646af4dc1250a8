"""Load what screening needs from the registry: each target's champion and its evidence."""

from __future__ import annotations

from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.registry.promotion import ALIAS, model_name


@dataclass
class ChampionModel:
    """A champion loaded for prediction, with the run artifacts that calibrate it."""

    target: str
    version: str
    run_id: str
    model: object                 # the fitted scikit-learn estimator
    oof: pd.DataFrame             # out-of-fold predictions of its run (repeat 0)
    training: pd.DataFrame        # the rows it was trained on
    target_column: str
    beats_baseline: bool
    higher_is_better: bool
    tags: dict


def load_champion(client: MlflowClient, target: str) -> ChampionModel | None:
    """The ``champion`` of ``nacarbon-<target>`` from the registry, or None if it has none.

    The model is loaded through ``models:/nacarbon-<target>@champion``, never from a path.
    """
    name = model_name(target)
    try:
        mv = client.get_model_version_by_alias(name, ALIAS)
    except MlflowException:
        return None
    model = mlflow.sklearn.load_model(f"models:/{name}@{ALIAS}")
    oof = pd.read_csv(client.download_artifacts(mv.run_id, "data/oof_predictions.csv"))
    training = pd.read_csv(client.download_artifacts(mv.run_id, "data/training_data.csv"))
    tags = dict(mv.tags)
    return ChampionModel(target=target, version=str(mv.version), run_id=mv.run_id, model=model,
                         oof=oof[oof["repeat"] == 0], training=training,
                         target_column=tags.get("target_column", ""),
                         beats_baseline=tags.get("beats_baseline") == "true",
                         higher_is_better=tags.get("higher_is_better", "true") == "true", tags=tags)
