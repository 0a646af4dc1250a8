"""The names MLflow runs and models are found by, spelled once: run tags, run kinds, model names.

Plain strings only (no MLflow import), so library code and reports may quote them.
"""

from __future__ import annotations

# Run tags written by the commands and selected on by promotion, comparison and screening.
KIND = "nacarbon.kind"
DESCRIPTION = "mlflow.note.content"      # what the MLflow UI shows as a run's/experiment's description
# MLflow 3's experiment type (the UI's enum ExperimentKind: genai_development, custom_model_development,
# finetuning, regression ...): "custom_model_development" opens an experiment on its runs table.
EXPERIMENT_KIND, MODEL_DEVELOPMENT = "mlflow.experimentKind", "custom_model_development"
TARGET = "target"
TARGET_COLUMN = "target_column"
MODEL = "model"
MODEL_FAMILY = "model_family"
MODEL_COMPLEXITY = "model_complexity"
MODEL_URI = "model_uri"
DATASET = "dataset"
DATA_VERSION = "data_version"
CV = "cv"
FEATURES = "features"
SEARCH = "search"
GIT_COMMIT = "git_commit"
BEATS_BASELINE = "beats_baseline"
VERDICT = "verdict"                      # nacarbon.evaluation.significance.Verdict.name
HIGHER_IS_BETTER = "higher_is_better"
CONFIG_FINGERPRINT = "nacarbon.config"   # nacarbon.fingerprint.config_fingerprint: what the pipeline skips on

# Values of the KIND tag: which command wrote the run.
TRAIN, PROMOTE, SCREEN, ANALYZE, COMPARE = "train", "promote", "screen", "analyze", "compare"
PREDICT, SUGGEST = "predict", "suggest"
KINDS = (TRAIN, PROMOTE, SCREEN, ANALYZE, COMPARE, PREDICT, SUGGEST)

# Registry: one registered model per target, the best version aliased champion.
MODEL_PREFIX = "nacarbon-"
CHAMPION_ALIAS = "champion"
# Models a training run logs: the whole predictor (registered) and the bare estimator (explained).
RUN_MODEL, RUN_ESTIMATOR = "model", "estimator"
SCREENING_EXPERIMENT = "nacarbon-screening"
PREDICT_EXPERIMENT = "nacarbon-predict"
REGISTRY_EXPERIMENT = "nacarbon-registry"
SUGGEST_EXPERIMENT = "nacarbon-suggest"


def model_name(target: str) -> str:
    """Registered-model name of a target: ``nacarbon-<target>``."""
    return f"{MODEL_PREFIX}{target}"


def model_version_uri(target: str, version: str | int) -> str:
    """``models:/nacarbon-<target>/<version>``: one fixed version, never a moving alias."""
    return f"models:/{model_name(target)}/{version}"


def experiment_name(dataset: str) -> str:
    """One experiment per dataset for training, comparison and analysis: ``nacarbon-<dataset>``."""
    return f"{MODEL_PREFIX}{dataset}"


def quote(value: object) -> str:
    """A value quoted for an MLflow filter string."""
    return "'" + str(value).replace("'", "\\'") + "'"


def kind_filter(kind: str) -> str:
    """MLflow filter clause selecting runs of one kind."""
    return f"tags.`{KIND}` = {quote(kind)}"


def tag_filter(**tags: object) -> str:
    """``tags.k = 'v' and ...`` for each given tag (a clause per keyword, in order)."""
    return " and ".join(f"tags.{k} = {quote(v)}" for k, v in tags.items())
