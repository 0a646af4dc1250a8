"""Error by paper: per-paper bias, the share of error that is the lab, and ranking inside a paper.

All three read out-of-fold predictions of a paper-grouped CV (``CVResult.oof``: ``repeat``,
``group``, ``y_true``, ``y_pred``), so every prediction of a paper comes from a model that did
not see that paper.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from nacarbon.uncertainty.lab_offset import variance_components


def per_paper_bias(oof: pd.DataFrame, *, min_rows: int = 2) -> pd.DataFrame:
    """Mean residual (measured − predicted) of each paper per repeat: ``repeat, group, n, bias, abs_bias``.

    Papers under ``min_rows`` rows are left out: one row's residual is its own error, not a bias.
    """
    res = oof.assign(resid=oof["y_true"] - oof["y_pred"])
    out = res.groupby(["repeat", "group"], sort=True)["resid"].agg(n="size", bias="mean").reset_index()
    out = out[out["n"] >= min_rows].reset_index(drop=True)
    return out.assign(abs_bias=out["bias"].abs())


def bias_summary(bias: pd.DataFrame, *, threshold: float) -> dict[str, float]:
    """Median, 90th and 95th percentile of |per-paper bias| and the share beyond ``threshold``.

    Percentiles are taken per repeat and averaged over repeats.
    """
    rows = [{"median": float(np.median(p["abs_bias"])), "p90": float(np.quantile(p["abs_bias"], 0.9)),
             "p95": float(np.quantile(p["abs_bias"], 0.95)), "share_over": float((p["abs_bias"] > threshold).mean()),
             "papers": float(len(p))} for _, p in bias.groupby("repeat")]
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} | {"threshold": float(threshold)}


def lab_share(oof: pd.DataFrame) -> dict[str, float]:
    """How much of the out-of-fold error variance is a per-paper offset, two ways (means over repeats).

    ``anova`` = τ² / (τ² + σ²), the one-way random-effects moment estimates of
    :func:`~nacarbon.uncertainty.lab_offset.variance_components` that the lab offset uses. ``naive`` =
    variance of per-paper mean residuals (row-weighted) over that of all residuals, which counts each
    single-row paper's whole error and small papers' noisy means as "lab". Also ``tau2``, ``sigma2``,
    ``single_row_papers``.
    """
    out = []
    for _, part in oof.groupby("repeat"):
        resid = (part["y_true"] - part["y_pred"]).to_numpy(float)
        groups = part["group"].to_numpy()
        tau2, sigma2 = variance_components(resid, groups)
        means = pd.Series(resid).groupby(groups).transform("mean").to_numpy()
        out.append({"anova": tau2 / (tau2 + sigma2) if tau2 + sigma2 > 0 else float("nan"),
                    "naive": float(np.var(means) / np.var(resid)), "tau2": tau2, "sigma2": sigma2,
                    "single_row_papers": float((pd.Series(groups).value_counts() == 1).sum())})
    return {k: float(np.mean([r[k] for r in out])) for k in out[0]}


def within_paper_spearman(oof: pd.DataFrame, *, min_rows: int = 3) -> pd.DataFrame:
    """Spearman ρ of predicted vs measured inside each paper, per repeat: ``repeat, group, n, rho``.

    Papers need ``min_rows`` rows and two distinct measured and predicted values. ρ says how well the
    model orders one lab's own samples, which a lab choosing its next sample needs, whatever its offset.
    """
    rows = []
    for (rep, group), part in oof.groupby(["repeat", "group"], sort=True):
        if len(part) < min_rows or part["y_true"].nunique() < 2 or part["y_pred"].nunique() < 2:
            continue
        rho = stats.spearmanr(part["y_true"], part["y_pred"]).statistic
        rows.append({"repeat": rep, "group": group, "n": len(part), "rho": float(rho)})
    return pd.DataFrame(rows, columns=["repeat", "group", "n", "rho"])


def ranking_summary(rhos: pd.DataFrame) -> dict[str, float]:
    """Median ρ, share of papers with ρ > 0, and papers counted (means over repeats)."""
    rows = [{"median_rho": float(p["rho"].median()), "share_positive": float((p["rho"] > 0).mean()),
             "papers": float(len(p))} for _, p in rhos.groupby("repeat")]
    if not rows:
        return {"median_rho": float("nan"), "share_positive": float("nan"), "papers": 0.0}
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
