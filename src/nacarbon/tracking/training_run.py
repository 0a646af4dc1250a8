"""Write one training run to MLflow from the record its command built: opened when the work starts
(settings, selection tags, fold metrics as each outer fold ends), then results, files and the models."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path, PurePosixPath

import mlflow
import mlflow.data
from mlflow.models import infer_signature

from nacarbon.tracking import tags as T
from nacarbon.tracking.failures import store_errors
from nacarbon.tracking.record import ModelsToLog, RunOpening, TrainingRecord
from nacarbon.tracking.runs import experiment_url, log_params, open_run

# cloudpickle is chosen knowingly (XGBoost/CatBoost inside a Pipeline are "untrusted types" for
# skops, and we only load models this project logged); MLflow's warning about it on every run
# says nothing new.
logging.getLogger("mlflow.sklearn").setLevel(logging.ERROR)

# What a logged model needs to load elsewhere; pinned to what trained it.
_MODEL_REQUIREMENTS = ("scikit-learn", "xgboost", "catboost", "lightgbm", "pandas", "numpy", "scipy", "cloudpickle")


def model_requirements() -> list[str]:
    """Pinned pip requirements for a logged model."""
    return [f"{pkg}=={version(pkg)}" for pkg in _MODEL_REQUIREMENTS]


class LiveRun:
    """The open training run: its id, fold metrics logged as each outer fold ends, and its record at the end."""

    def __init__(self, run_id: str, uri: str, url: str = ""):
        self.run_id, self.uri, self.url = run_id, uri, url

    def log_fold(self, k: int, fold: dict[str, float], baseline: dict[str, float]) -> None:
        """Log outer fold ``k``'s model and baseline metrics (``fold_<m>``, ``fold_baseline_<m>``, step k)."""
        with store_errors(self.uri, f"logging fold {k} of run {self.run_id}"):
            mlflow.log_metrics({f"fold_{m}": float(v) for m, v in fold.items()} |
                               {f"fold_baseline_{m}": float(v) for m, v in baseline.items()}, step=k)

    def write(self, record: TrainingRecord, folder: Path) -> None:
        """Write the results of this run: tags, params, metrics, dataset input, files and the two models.

        ``folder`` is the run's staging folder (its ``plots/`` may already hold the drawn figures); files
        are written there before they are logged. StoreError if the store fails.
        """
        with store_errors(self.uri, "logging the training results"):
            mlflow.set_tags(dict(record.tags))
            log_params(record.params)
            mlflow.log_metrics({k: float(v) for k, v in record.metrics.items()})
            d = record.dataset
            mlflow.log_input(mlflow.data.from_pandas(d.table, name=d.name, targets=d.targets, digest=d.digest),
                             context=d.context)
            _log_files(record, folder)
            if record.study is not None:
                from nacarbon.tracking.study_artifacts import log_study

                log_study(record.study, folder / "study")
            _log_models(record.models)


@contextmanager
def training_run(opening: RunOpening) -> Iterator[LiveRun]:
    """Open the training run when the work starts: RUNNING while it trains, FAILED (with the reason) if it dies.

    :meth:`LiveRun.write` adds results and verdict at the end; promotion and comparison read FINISHED
    runs only, so a run still working or failed is never selected.
    """
    with open_run(opening.experiment, T.TRAIN, opening.description, uri=opening.uri,
                  artifact_root=opening.artifact_root, run_name=opening.run_name, tags=dict(opening.tags)) as run:
        with store_errors(opening.uri, f"logging the settings of run {run.info.run_id}"):
            log_params(opening.params)
        yield LiveRun(run.info.run_id, opening.uri,
                      experiment_url(opening.uri, run.info.experiment_id, run.info.run_id))


def _artifact_folder(path: str) -> str | None:
    """``data/x.csv`` -> ``data``; ``config.yaml`` -> None (the run's root)."""
    parent = str(PurePosixPath(path).parent)
    return None if parent == "." else parent


def _log_files(record: TrainingRecord, folder: Path) -> None:
    """Texts and tables written into ``folder`` and logged; figures logged from where they were drawn."""
    for path, text in record.texts.items():
        local = folder / PurePosixPath(path).name
        local.write_text(text)
        mlflow.log_artifact(str(local), artifact_path=_artifact_folder(path))
    for path, table in record.tables.items():
        local = folder / PurePosixPath(path).name
        table.to_csv(local, index=False)
        mlflow.log_artifact(str(local), artifact_path=_artifact_folder(path))
    for path, png in record.figures.items():
        local = Path(png)
        if local.name != PurePosixPath(path).name:   # MLflow keeps the file's own name
            local = Path(shutil.copy(local, folder / PurePosixPath(path).name))
        mlflow.log_artifact(str(local), artifact_path=_artifact_folder(path))


def _log_models(models: ModelsToLog) -> None:
    """The bare estimator (for SHAP) and the whole predictor (registered); the model URI as a tag."""
    signature = infer_signature(models.X, models.estimator.predict(models.X))
    info = mlflow.sklearn.log_model(models.estimator, name=T.RUN_ESTIMATOR, signature=signature,
                                    input_example=models.X.head(3), serialization_format="cloudpickle",
                                    pip_requirements=model_requirements())
    if models.predictor is not None:
        from nacarbon.tracking.pyfunc_model import log_sample_predictor

        # Logged between the two models: a LoggedModel carries the run's params of when it was logged.
        log_params(models.predictor_params)
        mlflow.log_metrics({k: float(v) for k, v in models.predictor_metrics.items()})
        info = log_sample_predictor(models.predictor, name=T.RUN_MODEL, example=models.example)
    # MLflow 3 stores the model as a LoggedModel (models:/m-...); registration uses this URI.
    mlflow.set_tag(T.MODEL_URI, info.model_uri)
