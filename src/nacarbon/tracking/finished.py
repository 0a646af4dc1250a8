"""Which training configurations already have a FINISHED run (what the pipeline need not redo)."""

from __future__ import annotations

from pathlib import Path

from nacarbon.tracking import tags as T
from nacarbon.tracking.folds import search_all
from nacarbon.tracking.store import connect


def finished_training(uri: str, artifact_root: str | Path, experiments: list[str]) -> dict[tuple[str, str], dict]:
    """``(fingerprint, data_version) -> {"run_id": ..., **metrics}`` of the newest FINISHED training runs.

    Missing ``experiments`` are skipped; runs logged without a fingerprint (older versions) are left
    out, so they are redone once.
    """
    client = connect(uri, artifact_root)
    ids = [e.experiment_id for e in map(client.get_experiment_by_name, experiments) if e is not None]
    if not ids:
        return {}
    found: dict[tuple[str, str], dict] = {}
    query = T.kind_filter(T.TRAIN) + " and attributes.status = 'FINISHED'"
    for run in search_all(client, ids, query):
        key = (run.data.tags.get(T.CONFIG_FINGERPRINT), run.data.tags.get(T.DATA_VERSION))
        if key[0] and key not in found:   # newest first: the first seen is the newest
            found[key] = {"run_id": run.info.run_id, **run.data.metrics}
    return found
