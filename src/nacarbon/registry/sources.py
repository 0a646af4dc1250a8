"""Find the trained models ``analyze`` explains and load them with the rows they were fitted on
(their run's ``data/training_data.csv``)."""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.analysis.sources import ModelSource, SourceRef
from nacarbon.errors import ConfigError, RegistryError
from nacarbon.registry.champions import (TRAINING_ARTIFACT, champion_version, load_model, load_run_table,
                                         why_no_champion)
from nacarbon.tracking import tags as T

CHAMPION = T.CHAMPION_ALIAS
BEST = "best"
_ALLOWED = f"{CHAMPION}, {BEST} or the run id of a training run"   # what shap.source may be


def find_sources(client: MlflowClient, source: str, targets: list[str], *,
                 runs_of: dict | None = None) -> tuple[list[SourceRef], list[str]]:
    """Resolve ``shap.source`` into the runs to explain (one ref per target) and notes on targets without.

    ``source`` is ``"best"`` (each target's lowest-RMSE finished training run matching ``runs_of``),
    ``"champion"`` or a training run id (ConfigError if it is not one).
    """
    refs, notes = [], []
    if source == BEST:
        from nacarbon.registry.selection import find_candidates, rank

        if not runs_of:
            raise ConfigError("needs the experiment, data version, cv and features to search", key="shap.source",
                              value=source)
        for target in targets:
            ranked = rank(find_candidates(client, target=target, **runs_of))
            if not ranked:
                notes.append(f"{target}: no finished training run on {runs_of['experiment']} "
                             f"(data {runs_of['data_version']}, cv={runs_of['cv']}, features={runs_of['features']}); "
                             "train first")
                continue
            refs.append(SourceRef(target, ranked[0].run_id, None))
        return refs, notes
    if source == CHAMPION:
        for target in targets:
            mv = champion_version(client, target)
            if mv is None:
                notes.append(f"{target}: no champion ({T.model_name(target)}@{T.CHAMPION_ALIAS}); "
                             + why_no_champion(client, target))
                continue
            refs.append(SourceRef(target, mv.run_id, str(mv.version)))
        return refs, notes
    try:
        run = client.get_run(source)
    except MlflowException as err:
        raise ConfigError(f"no such run in the store: {str(err).splitlines()[0]}", key="shap.source", value=source,
                          allowed=_ALLOWED) from err
    if run.data.tags.get(T.KIND) != T.TRAIN:
        raise ConfigError(f"not a training run ({T.KIND}={run.data.tags.get(T.KIND)!r})", key="shap.source",
                          value=source, allowed=_ALLOWED)
    target = run.data.tags.get(T.TARGET, "")
    if target not in targets:
        notes.append(f"run {source} is for target {target!r}, which is not among targets={targets}; "
                     f"explained anyway")
    return [SourceRef(target, source, None)], notes


def load_source(client: MlflowClient, ref: SourceRef) -> ModelSource:
    """Load a run's fitted model and its training rows; RegistryError if either is missing or incomplete."""
    run = client.get_run(ref.run_id)
    tags, params = run.data.tags, run.data.params
    features = [f for f in params.get("features", "").split(",") if f]
    target_column = tags.get(T.TARGET_COLUMN, "")
    table = load_run_table(client, ref.run_id, TRAINING_ARTIFACT)
    estimator = load_model(ref.target, ref.version, ref.run_id)
    missing = [c for c in [*features, target_column] if c not in table.columns]
    if not features or missing:
        raise RegistryError(f"run {ref.run_id}: training_data.csv lacks columns {missing or 'features'}")
    return ModelSource(ref=ref, model_family=tags.get(T.MODEL, "?"), dataset=tags.get(T.DATASET, "?"),
                       data_version=tags.get(T.DATA_VERSION, "?"), target_column=target_column,
                       features=features, estimator=estimator, X=table[features].astype(float),
                       y=table[target_column].to_numpy(float),
                       meta=table.drop(columns=[*features, target_column]), tags=dict(tags))
