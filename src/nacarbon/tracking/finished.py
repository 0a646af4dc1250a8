"""Which training configurations already have a FINISHED run (what the pipeline need not redo)."""

from __future__ import annotations

from pathlib import Path

from nacarbon.tracking import tags as T
from nacarbon.tracking.store import connect


def finished_training(uri: str, artifact_root: str | Path, experiments: list[str]) -> dict[tuple[str, str], dict]:
    """The newest FINISHED training run of each (config fingerprint, data version), with its metrics.

    Parameters
    ----------
    uri, artifact_root
        The tracking store.
    experiments : list of str
        Experiment names to look in (missing ones are skipped).

    Returns
    -------
    dict
        ``(fingerprint, data_version) -> {"run_id": ..., **metrics}``; runs logged without a
        fingerprint (older versions) are left out, so they are redone once.
    """
    client = connect(uri, artifact_root)
    ids = [e.experiment_id for e in map(client.get_experiment_by_name, experiments) if e is not None]
    if not ids:
        return {}
    found: dict[tuple[str, str], dict] = {}
    query = T.kind_filter(T.TRAIN) + " and attributes.status = 'FINISHED'"
    token = None
    while True:
        page = client.search_runs(ids, filter_string=query, order_by=["attributes.start_time DESC"],
                                  max_results=1000, page_token=token)
        for run in page:
            key = (run.data.tags.get(T.CONFIG_FINGERPRINT), run.data.tags.get(T.DATA_VERSION))
            if key[0] and key not in found:   # newest first: the first seen is the newest
                found[key] = {"run_id": run.info.run_id, **run.data.metrics}
        token = page.token
        if not token:
            return found
