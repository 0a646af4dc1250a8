"""Which model each target's training runs picked, read straight from the MLflow store."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from mlflow.tracking import MlflowClient

from nacarbon.registry.promotion import current_champion
from nacarbon.registry.selection import find_candidates, rank, with_significance

COLUMNS = ["target", "model", "search", "run_id", "rmse_mean", "rmse_std", "baseline_rmse_mean", "r2_pooled",
           "baseline_paired_p", "beats_baseline", "rank", "champion"]


def model_table(client: MlflowClient, *, experiment: str, targets: list[str], data_version: str, cv: str,
                features: str, tested: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The best run of every model family per target (one row each, :data:`COLUMNS`), ranked by outer-CV RMSE.

    ``tested`` maps a target to ``significance_by_run`` verdicts (without: no run beats the baseline).
    ``champion`` is the version when that run holds the alias; ``baseline_paired_p`` the Holm-adjusted p.
    """
    rows = []
    for target in targets:
        found = find_candidates(client, experiment=experiment, target=target, data_version=data_version,
                                cv=cv, features=features)
        verdicts = (tested or {}).get(target)
        ranked = rank(with_significance(found, verdicts) if verdicts is not None and found else
                      [replace(c, beats_baseline=False) for c in found])
        champ = current_champion(client, target)
        seen: set[str] = set()
        for cand in ranked:
            if cand.model in seen:  # a family trained twice: its best run stands for it
                continue
            seen.add(cand.model)
            m = cand.metrics
            rows.append({"target": target, "model": cand.model, "search": cand.tags.get("search", ""),
                         "run_id": cand.run_id, "rmse_mean": cand.score,
                         "rmse_std": m.get("rmse_std", float("nan")), "baseline_rmse_mean": cand.baseline_score,
                         "r2_pooled": cand.r2_pooled, "baseline_paired_p": m.get("beats_baseline_p", float("nan")),
                         "beats_baseline": cand.beats_baseline, "rank": len(seen),
                         "champion": champ.version if champ is not None and champ.run_id == cand.run_id else ""})
    return pd.DataFrame(rows, columns=COLUMNS)
