"""The comparison table: fold mean ± std per model, the baseline row, and a paired test."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.evaluation.baseline import paired_rmse_test
from nacarbon.evaluation.metrics import METRICS, summarize_folds

BASELINE = "baseline"
CORRECTIONS = ("holm", "none")
COLUMNS = ["target", "model", "family", "complexity", "search", "n_folds",
           *[f"{m}_{s}" for m in METRICS for s in ("mean", "std")],
           "delta_rmse", "p_value", "p_adjusted", "beats_baseline_significantly", "run_id"]


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control, no independence needed).

    Parameters
    ----------
    pvalues : array
        Raw p-values; NaN (an undefined test) counts as 1 so it never becomes significant.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order, each in [0, 1].
    """
    p = np.where(np.isnan(pvalues), 1.0, np.asarray(pvalues, float))
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def check_common_folds(folds: pd.DataFrame) -> None:
    """Every run of a target must have been scored on the same outer folds.

    Parameters
    ----------
    folds : DataFrame
        Long per-fold metrics from :func:`nacarbon.tracking.folds.collect_folds`.

    Raises
    ------
    NacarbonError
        If two runs of one target disagree on the number of folds or on the baseline's
        per-fold RMSE (so they did not share their test rows, and one baseline row cannot
        stand for both).
    """
    for target, part in folds.groupby("target", sort=False):
        ref = None
        for run_id, run in part.groupby("run_id", sort=False):
            base = run.sort_values("fold")["baseline_rmse"].to_numpy(float)
            if ref is None:
                ref = (run_id, base)
            elif len(base) != len(ref[1]) or not np.allclose(base, ref[1], rtol=1e-9, atol=1e-12, equal_nan=True):
                raise NacarbonError(f"target '{target}': runs {ref[0]} and {run_id} were scored on different folds "
                                    f"(baseline fold RMSE {np.round(ref[1], 4).tolist()} vs "
                                    f"{np.round(base, 4).tolist()}); select runs with one seed and cv protocol")


def _summary(part: pd.DataFrame, prefix: str) -> dict[str, float]:
    per_fold = [{m: row[f"{prefix}_{m}"] for m in METRICS} for _, row in part.iterrows()]
    return summarize_folds(per_fold)


def comparison_table(folds: pd.DataFrame, *, alpha: float = 0.05, correction: str = "holm") -> pd.DataFrame:
    """One row per (target, model) plus each target's baseline row.

    Parameters
    ----------
    folds : DataFrame
        Long per-fold metrics (``model_*`` and ``baseline_*`` columns, one row per run and fold).
    alpha : float
        Significance level.
    correction : {"holm", "none"}
        Multiple-comparison correction across the models of one target.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; per target the baseline first, then models by mean RMSE.

    Notes
    -----
    ``p_value`` is the one-sided paired t-test that the model's fold RMSE is below the
    baseline's on the same folds (:func:`nacarbon.evaluation.baseline.paired_rmse_test`).
    With ~15 models per target, some raw p-values fall below 0.05 by chance alone; Holm's
    correction keeps the chance of any false "beats the baseline" at ``alpha``. A model beats
    the baseline significantly when its adjusted p-value is below ``alpha`` and its mean RMSE
    is lower.
    """
    if correction not in CORRECTIONS:
        raise ConfigError(f"correction must be one of {list(CORRECTIONS)}; got {correction!r}")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha must lie in (0, 1); got {alpha}")
    check_common_folds(folds)
    rows = []
    for target, part in folds.groupby("target", sort=False):
        first = part[part["run_id"] == part["run_id"].iloc[0]].sort_values("fold")
        base = _summary(first, "baseline")
        rows.append({"target": target, "model": BASELINE, "family": "baseline", "complexity": -1, "search": "",
                     "n_folds": len(first), **base, "delta_rmse": 0.0, "p_value": np.nan, "p_adjusted": np.nan,
                     "beats_baseline_significantly": False, "run_id": ""})
        models = []
        for run_id, run in part.groupby("run_id", sort=False):
            run = run.sort_values("fold")
            stats = _summary(run, "model")
            p = paired_rmse_test(run["model_rmse"].tolist(), run["baseline_rmse"].tolist())
            info = run.iloc[0]
            models.append({"target": target, "model": info["model"], "family": info["family"],
                           "complexity": int(info["complexity"]), "search": info["search"], "n_folds": len(run),
                           **stats, "delta_rmse": stats["rmse_mean"] - base["rmse_mean"], "p_value": p,
                           "run_id": run_id})
        p_raw = np.array([m["p_value"] for m in models], float)
        p_adj = holm(p_raw) if correction == "holm" else np.where(np.isnan(p_raw), 1.0, p_raw)
        for m, pa in zip(models, p_adj):
            m["p_adjusted"] = float(pa)
            m["beats_baseline_significantly"] = bool(pa < alpha and m["delta_rmse"] < 0)
        models.sort(key=lambda m: (m["rmse_mean"], m["complexity"], m["model"]))
        rows.extend(models)
    return pd.DataFrame(rows, columns=COLUMNS)


def winners(table: pd.DataFrame) -> dict[str, list[str]]:
    """Per target, the models that beat the baseline significantly, best (lowest RMSE) first.

    Parameters
    ----------
    table : DataFrame
        From :func:`comparison_table`.

    Returns
    -------
    dict
        Target -> model names; an empty list when no model beats the baseline.
    """
    out: dict[str, list[str]] = {}
    for target, part in table.groupby("target", sort=False):
        hits = part[part["beats_baseline_significantly"]]
        out[str(target)] = hits["model"].tolist()
    return out
