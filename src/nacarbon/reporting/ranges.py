"""The paper's recommended structure (section 3) against the measured rows and a model's predictions."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from nacarbon.targets import TargetSpec

Range = tuple[float | None, float | None]


def inside(values: pd.Series, bounds: Range) -> pd.Series:
    """Whether each value lies in a closed range (missing values give False)."""
    lo, hi = bounds
    ok = values.notna()
    if lo is not None:
        ok &= values >= lo
    if hi is not None:
        ok &= values <= hi
    return ok.fillna(False).astype(bool)


def range_counts(frame: pd.DataFrame, ranges: Mapping[str, Range], groups: Mapping[str, pd.Series]) -> pd.DataFrame:
    """How many rows fall inside each range (column -> (low, high), None for open), per group's row mask.

    Columns ``feature, group, n_measured, n_inside``; the last row per group (``feature="all five"``)
    counts rows inside every range, among rows that report all of them.
    """
    rows = []
    for g, mask in groups.items():
        sub = frame[mask.to_numpy(bool)]
        for col, bounds in ranges.items():
            rows.append({"feature": col, "group": g, "n_measured": int(sub[col].notna().sum()),
                         "n_inside": int(inside(sub[col], bounds).sum())})
        complete = sub[list(ranges)].notna().all(axis=1)
        every = np.logical_and.reduce([inside(sub[c], b) for c, b in ranges.items()])
        rows.append({"feature": "all five", "group": g, "n_measured": int(complete.sum()),
                     "n_inside": int(every.sum())})
    return pd.DataFrame(rows)


def best_rows(frame: pd.DataFrame, spec: TargetSpec, ranges: Mapping[str, Range], k: int = 5) -> pd.DataFrame:
    """The structure of the k best rows (by ``spec``'s direction), each parameter against its range.

    One row per parameter: ``feature, values`` (best row first, "–" for missing), ``n_inside``, ``n_measured``.
    """
    rated = frame.dropna(subset=[spec.column])
    top = rated.sort_values(spec.column, ascending=not spec.higher_is_better, kind="stable").head(k)
    rows = []
    for col, bounds in ranges.items():
        vals = top[col]
        rows.append({"feature": col, "values": ", ".join("–" if pd.isna(v) else f"{v:g}" for v in vals),
                     "n_inside": int(inside(vals, bounds).sum()), "n_measured": int(vals.notna().sum())})
    return pd.DataFrame(rows)


def box_vs_rest(frame: pd.DataFrame, spec: TargetSpec, ranges: Mapping[str, Range]) -> dict[str, float]:
    """Measured performance of rows inside every recommended range against the other rows.

    Only rows reporting the target and every ranged parameter take part. Returns ``n_inside, n_outside,
    median_inside, median_outside`` and ``p`` (two-sided Mann-Whitney U; NaN when a side is empty).
    """
    sub = frame.dropna(subset=[spec.column, *ranges])
    mask = np.logical_and.reduce([inside(sub[c], b) for c, b in ranges.items()])
    a, b = sub.loc[mask, spec.column], sub.loc[~mask, spec.column]
    p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue) if len(a) and len(b) else float("nan")
    return {"n_inside": int(len(a)), "n_outside": int(len(b)), "median_inside": float(a.median()),
            "median_outside": float(b.median()), "p": p}


def prediction_grid(reference: pd.DataFrame, levels: int = 6) -> pd.DataFrame:
    """Full-factorial grid spanning each column's observed range (``levels`` values per column)."""
    axes = [np.linspace(reference[c].min(), reference[c].max(), int(levels)) for c in reference.columns]
    return pd.DataFrame(list(itertools.product(*axes)), columns=list(reference.columns))


def model_agreement(model: object, reference: pd.DataFrame, spec: TargetSpec, ranges: Mapping[str, Range], *,
                    levels: int = 6, top: float = 0.05) -> dict[str, float]:
    """Whether a model predicts better performance inside the recommended ranges than outside.

    Predicts on a :func:`prediction_grid` over ``reference`` (its training features), which holds
    combinations no carbon has: this says what the model extrapolates. Returns ``n_grid``,
    ``share_inside``, ``mean_inside``, ``mean_outside``, ``share_inside_top`` (of the best ``top``
    fraction) and ``agrees`` (1.0 when the mean inside is the better one, else 0.0).
    """
    grid = prediction_grid(reference, levels)
    pred = np.asarray(model.predict(grid), dtype=float)
    used = {c: b for c, b in ranges.items() if c in grid}
    mask = np.logical_and.reduce([inside(grid[c], b) for c, b in used.items()])
    if not mask.any() or mask.all():
        return {"n_grid": len(grid), "share_inside": float(mask.mean()), "mean_inside": float("nan"),
                "mean_outside": float("nan"), "share_inside_top": float("nan"), "agrees": float("nan")}
    order = np.argsort(-pred if spec.higher_is_better else pred, kind="stable")
    best = order[: max(1, int(round(top * len(grid))))]
    m_in, m_out = float(pred[mask].mean()), float(pred[~mask].mean())
    better = m_in > m_out if spec.higher_is_better else m_in < m_out
    return {"n_grid": len(grid), "share_inside": float(mask.mean()), "mean_inside": m_in, "mean_outside": m_out,
            "share_inside_top": float(mask[best].mean()), "agrees": float(better)}
