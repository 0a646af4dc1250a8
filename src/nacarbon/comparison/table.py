"""The comparison table: fold mean ± std per model, the baseline row, and the one significance rule.

Significance is :func:`nacarbon.evaluation.significance.compare_with_baseline` (Nadeau–Bengio corrected
resampled t-test on the per-split RMSE differences, Holm across a target's models), the same function and
table promotion reads (:func:`significance_by_run`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.evaluation.metrics import METRICS, summarize_folds
from nacarbon.evaluation.significance import (DEFAULT_MIN_EFFECT, MIN_SPLITS, NOT_TESTED, SIGNIFICANT,
                                               compare_with_baseline, per_split_from_folds)

BASELINE = "baseline"
COLUMNS = ["target", "model", "family", "complexity", "search", "n_folds",
           *[f"{m}_{s}" for m in METRICS for s in ("mean", "std")],
           "delta_rmse", "ci_low", "ci_high", "p_value", "p_adjusted", "test", "relative_gain", "verdict",
           "run_id"]


def not_tested(n_folds: int, min_splits: int = MIN_SPLITS) -> str:
    """The ``test`` cell of a model the rule cannot judge (too few splits)."""
    return f"not tested: {n_folds} splits < {min_splits} (use cv=repeated)"


def check_common_folds(folds: pd.DataFrame) -> None:
    """Check that every run of a target was scored on the same outer folds.

    ``folds`` is the long per-fold table of :func:`nacarbon.tracking.folds.collect_folds`. Raises
    NacarbonError if two runs of one target differ in fold count or in the baseline's per-fold RMSE: they
    did not share test rows, so one baseline row cannot stand for both.
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


def _significance(part: pd.DataFrame, alpha: float, min_splits: int, min_effect: float) -> pd.DataFrame:
    """The rule's verdict per run of one target (index run_id); NaN p when too few splits."""
    n = part.groupby("run_id")["fold"].nunique()
    if len(n) == 0 or int(n.min()) < min_splits:
        return pd.DataFrame({"delta_rmse": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_raw": np.nan,
                             "p_adjusted": np.nan, "test": [not_tested(int(k), min_splits) for k in n],
                             "relative_gain": np.nan, "verdict": NOT_TESTED}, index=n.index)
    try:
        sig = compare_with_baseline(per_split_from_folds(part, family_column="run_id"), alpha=alpha,
                                    min_splits=min_splits, min_effect=min_effect)
    except ValueError as err:
        raise NacarbonError(f"target '{part['target'].iloc[0]}': {err}") from err
    return sig.set_index("family")


def comparison_table(folds: pd.DataFrame, *, alpha: float = 0.05, min_splits: int = MIN_SPLITS,
                     min_effect: float = DEFAULT_MIN_EFFECT) -> pd.DataFrame:
    """One row per (target, model) plus each target's baseline row: columns :data:`COLUMNS`.

    Per target the baseline comes first, then models by mean RMSE. A model beats the baseline when its
    Holm-adjusted p < ``alpha`` and ΔRMSE < 0; with fewer than ``min_splits`` splits nothing is tested (the
    rule asks for >= 5 x 5 repeated folds); ``min_effect`` is the relevance threshold (fraction of the
    baseline's RMSE). ``delta_rmse`` (mean over splits of RMSE(model) − RMSE(baseline)), its 95 %
    ``ci_low``/``ci_high``, raw one-sided ``p_value``, ``p_adjusted``, ``relative_gain`` and ``verdict`` (a
    :class:`~nacarbon.evaluation.significance.Verdict` name) all come from ``compare_with_baseline``.
    """
    if not 0 < alpha < 1:
        raise ConfigError(key="alpha", value=alpha, allowed="a number strictly between 0 and 1")
    check_common_folds(folds)
    rows = []
    for target, part in folds.groupby("target", sort=False):
        first = part[part["run_id"] == part["run_id"].iloc[0]].sort_values("fold")
        base = _summary(first, "baseline")
        rows.append({"target": target, "model": BASELINE, "family": "baseline", "complexity": -1, "search": "",
                     "n_folds": len(first), **base, "delta_rmse": 0.0, "ci_low": np.nan, "ci_high": np.nan,
                     "p_value": np.nan, "p_adjusted": np.nan, "test": "", "relative_gain": 0.0, "verdict": "",
                     "run_id": ""})
        sig = _significance(part, alpha, min_splits, min_effect)
        models = []
        for run_id, run in part.groupby("run_id", sort=False):
            run = run.sort_values("fold")
            stats = _summary(run, "model")
            s, info = sig.loc[run_id], run.iloc[0]
            models.append({"target": target, "model": info["model"], "family": info["family"],
                           "complexity": int(info["complexity"]), "search": info["search"], "n_folds": len(run),
                           **stats, "delta_rmse": stats["rmse_mean"] - base["rmse_mean"],
                           "ci_low": float(s["ci_low"]), "ci_high": float(s["ci_high"]), "p_value": float(s["p_raw"]),
                           "p_adjusted": float(s["p_adjusted"]), "test": str(s["test"]),
                           "relative_gain": float(s["relative_gain"]), "verdict": str(s["verdict"]), "run_id": run_id})
        models.sort(key=lambda m: (m["rmse_mean"], m["complexity"], m["model"]))
        rows.extend(models)
    return pd.DataFrame(rows, columns=COLUMNS)


def significance_by_run(table: pd.DataFrame) -> pd.DataFrame:
    """The rule's verdicts of a :func:`comparison_table`, as promotion reads them.

    One row per model run: ``family`` (= run id), ``p_adjusted``, ``verdict``, ``test`` (the input of
    :func:`nacarbon.registry.selection.with_significance`).
    """
    models = table[table["model"] != BASELINE]
    return pd.DataFrame({"family": models["run_id"].to_numpy(), "p_adjusted": models["p_adjusted"].to_numpy(),
                         "verdict": models["verdict"].to_numpy(), "test": models["test"].to_numpy()})


def winners(table: pd.DataFrame) -> dict[str, list[str]]:
    """Per target, the models whose verdict is significant (either name), lowest RMSE first; [] if none."""
    out: dict[str, list[str]] = {}
    for target, part in table.groupby("target", sort=False):
        hits = part[part["verdict"].isin(SIGNIFICANT)]
        out[str(target)] = hits["model"].tolist()
    return out
