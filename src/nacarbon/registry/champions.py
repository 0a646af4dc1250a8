"""The one champion loader: resolve ``nacarbon-<target>@champion`` to a version, then load that
version's model (its SamplePredictor) and its run's evidence, so they cannot diverge."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.errors import RegistryError
from nacarbon.tracking import tags as T

OOF_ARTIFACT = "data/oof_predictions.csv"
TRAINING_ARTIFACT = "data/training_data.csv"


@dataclass
class ChampionModel:
    """A champion loaded for prediction, with the run artifacts that calibrate it."""

    target: str
    version: str
    run_id: str
    predictor: object             # the SamplePredictor: point, interval, domain, schema check
    oof: pd.DataFrame             # out-of-fold predictions of its run (repeat 0)
    training: pd.DataFrame        # the rows it was trained on
    target_column: str
    beats_baseline: bool
    higher_is_better: bool
    tags: dict

    @property
    def verdict(self) -> str:
        """The version's verdict (``nacarbon.evaluation.significance``); a version promoted before
        verdicts were tagged counts as ``beats-baseline`` when it beat the baseline."""
        from nacarbon.evaluation.significance import BEATS, NO_GAIN, verdict_of

        if T.VERDICT in self.tags:
            return verdict_of(self.tags[T.VERDICT])
        return BEATS if self.beats_baseline else NO_GAIN

    @property
    def ranked(self) -> bool:
        """Whether screening ranks on this champion: significant and relevant (``beats-baseline``)."""
        from nacarbon.evaluation.significance import BEATS

        return self.verdict == BEATS


def champion_version(client: MlflowClient, target: str) -> ModelVersion | None:
    """The model version holding ``champion`` for a target, or None if there is none."""
    try:
        return client.get_model_version_by_alias(T.model_name(target), T.CHAMPION_ALIAS)
    except MlflowException as err:
        # "No such model / alias" means no champion; anything else (a server that stopped answering,
        # a broken store) must not pass for one: the caller would silently drop the target.
        if err.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise RegistryError(f"{target}: cannot read {T.model_name(target)}@{T.CHAMPION_ALIAS} "
                            f"from the registry: {err}") from err


def why_no_champion(client: MlflowClient, target: str) -> str:
    """One sentence on why a target has no champion and what to do about it."""
    try:
        client.get_registered_model(T.model_name(target))
    except MlflowException:
        return "train and promote first (`make run`, or `python -m train` + `python -m promote`)"
    return "versions are registered but none was promoted (promotion needs a model that beats the mean baseline)"


def load_model(target: str, version: str | None = None, run_id: str | None = None) -> object:
    """The bare fitted scikit-learn estimator of training run ``run_id`` (or of version ``version``'s run).

    Older runs logged it as ``model`` (now the whole predictor), loaded when ``estimator`` is missing;
    RegistryError if neither loads.
    """
    if run_id is None:
        try:
            run_id = MlflowClient().get_model_version(T.model_name(target), str(version)).run_id
        except MlflowException as err:
            raise RegistryError(f"{target}: no registry version {version}: {err}") from err
    errors = []
    for name in (T.RUN_ESTIMATOR, T.RUN_MODEL):
        uri = f"runs:/{run_id}/{name}"
        try:
            return mlflow.sklearn.load_model(uri)
        except (MlflowException, OSError) as err:
            errors.append(f"{uri}: {err}")
    raise RegistryError(f"{target}: cannot load the estimator of run {run_id}: {'; '.join(errors)}")


def load_predictor(target: str, version: str) -> object:
    """The SamplePredictor registered as ``nacarbon-<target>`` version ``version``.

    RegistryError if it cannot be loaded or is a bare estimator (from before runs logged the predictor).
    """
    uri = T.model_version_uri(target, version)
    try:
        model = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as err:
        raise RegistryError(f"{target}: cannot load the model {uri}: {err}") from err
    try:
        return model.unwrap_python_model().predictor
    except (MlflowException, AttributeError) as err:
        raise RegistryError(f"{target}: {uri} is a bare estimator, not the whole predictor (no intervals or "
                            f"domain); retrain and promote it (`python -m train`, `python -m promote`)") from err


def load_run_table(client: MlflowClient, run_id: str, artifact: str) -> pd.DataFrame:
    """A CSV artifact of a run (``data/oof_predictions.csv`` ...); RegistryError if the run lacks it."""
    with tempfile.TemporaryDirectory() as tmp:
        try:
            return pd.read_csv(client.download_artifacts(run_id, artifact, tmp))
        except (MlflowException, OSError) as err:
            raise RegistryError(f"run {run_id}: cannot read {artifact}: {err}") from err


def load_champion(client: MlflowClient, target: str) -> ChampionModel | None:
    """The champion of ``nacarbon-<target>``, or None; the alias is resolved once, then all read by version."""
    mv = champion_version(client, target)
    if mv is None:
        return None
    predictor = load_predictor(target, str(mv.version))
    oof = load_run_table(client, mv.run_id, OOF_ARTIFACT)
    training = load_run_table(client, mv.run_id, TRAINING_ARTIFACT)
    tags = dict(mv.tags)
    return ChampionModel(target=target, version=str(mv.version), run_id=mv.run_id, predictor=predictor,
                         oof=oof[oof["repeat"] == 0], training=training,
                         target_column=tags.get(T.TARGET_COLUMN, ""),
                         beats_baseline=tags.get(T.BEATS_BASELINE) == "true",
                         higher_is_better=tags.get(T.HIGHER_IS_BETTER, "true") == "true", tags=tags)
