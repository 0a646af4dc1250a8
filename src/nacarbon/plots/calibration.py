"""Calibration plot of prediction intervals: empirical coverage against the nominal level."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

LEVELS = tuple(np.round(np.arange(0.50, 0.951, 0.05), 2))


def coverage_curve(y, lo_hi_at: Mapping[float, tuple], groups=None, min_rows: int = 4) -> pd.DataFrame:
    """Empirical coverage of measured ``y`` by the intervals ``lo_hi_at[level] = (lo, hi)`` at each level.

    Columns ``level``, ``row_coverage`` and, given each row's paper in ``groups``, ``paper_median`` and
    ``paper_p10`` of the per-paper coverage over papers with at least ``min_rows`` rows.
    """
    y = np.asarray(y, dtype=float)
    rows = []
    for level, (lo, hi) in sorted(lo_hi_at.items()):
        covered = (np.asarray(lo) <= y) & (y <= np.asarray(hi))
        row = {"level": float(level), "row_coverage": float(covered.mean())}
        if groups is not None:
            per = pd.Series(covered).groupby(np.asarray(groups)).agg(["mean", "size"])
            per = per.loc[per["size"] >= min_rows, "mean"]
            row |= {"paper_median": float(per.median()), "paper_p10": float(per.quantile(0.1))}
        rows.append(row)
    return pd.DataFrame(rows)


def regressor_curve(regressor, levels=LEVELS, weighting: str | None = None) -> pd.DataFrame:
    """Held-out-paper :func:`coverage_curve` of a fitted GroupConformalRegressor, without refitting.

    Each paper-grouped fold's rows get their fold model's interval (``oof_`` +/- q sigma) with q the
    conformal quantile of the *other* folds' scores, weighed as the regressor does: a split-conformal
    interval per fold, so the curve shows how the calibration carries to unseen papers.
    """
    from nacarbon.uncertainty.quantiles import weighted_upper

    folds, scores, weights = regressor.calibration_units(weighting)
    lo_hi = {}
    for level in levels:
        lo, hi = np.empty(len(regressor.scores_)), np.empty(len(regressor.scores_))
        for k in np.unique(regressor.fold_of_):
            here = regressor.fold_of_ == k
            w = weights[folds != k]
            q = weighted_upper(scores[folds != k, None], w, level * (w.sum() + 1))[0]
            lo[here] = regressor.oof_[here] - q * regressor.sigma_oof_[here]
            hi[here] = regressor.oof_[here] + q * regressor.sigma_oof_[here]
        lo_hi[level] = (lo, hi)
    return coverage_curve(regressor.y_, lo_hi, groups=regressor.groups_)


def calibration_plot(curves: Mapping[str, pd.DataFrame], *, path: str | Path, title: str | None = None) -> Path:
    """Write a PNG of empirical vs nominal coverage with the diagonal, one panel per entry of ``curves``.

    Each table holds ``level``, ``row_coverage``, optionally ``paper_p10`` and ``weighting`` (one line
    per weighting), as :func:`coverage_curve` or ``benchmarks/bench_intervals.py`` make them.
    """
    path = Path(path)
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 4.0), squeeze=False)
    for ax, (name, table) in zip(axes[0], curves.items()):
        parts = table.groupby("weighting") if "weighting" in table else [("", table)]
        for weighting, t in parts:
            t = t.sort_values("level")
            tag = f" ({weighting}-weighted)" if weighting else ""
            line, = ax.plot(t["level"], t["row_coverage"], marker="o", label=f"rows{tag}")
            if "paper_p10" in t:
                ax.plot(t["level"], t["paper_p10"], ls="--", marker="x", color=line.get_color(),
                        label=f"papers, 10th pct{tag}")
        ax.plot([0.45, 1.0], [0.45, 1.0], color="grey", lw=1, label="nominal")
        ax.set(xlim=(0.45, 1.0), ylim=(0.0, 1.02), xlabel="nominal coverage", ylabel="empirical coverage",
               title=name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
