"""Spearman rank correlation of structure against performance (paper Fig. 2a).

Pairs are taken on complete rows only, so each (feature, target) cell has its own n; p values
are two-tailed and Benjamini-Hochberg adjusted within each group of tests.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import false_discovery_control, spearmanr

from nacarbon.analysis.maps import axis_label, numeric_columns, save_png
from nacarbon.errors import ConfigError, DataValidationError

ALL = "all"
COLUMNS = ["group", "feature", "target", "n", "rho", "p", "p_bh", "significant"]


def _pair(x: pd.Series, y: pd.Series) -> tuple[int, float, float]:
    ok = x.notna() & y.notna()
    xs, ys = x[ok].to_numpy(float), y[ok].to_numpy(float)
    n = int(ok.sum())
    # Ranks of a constant are all tied: rho is undefined, not zero.
    if n < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return n, np.nan, np.nan
    res = spearmanr(xs, ys)
    return n, float(res.statistic), float(res.pvalue)


def bh_adjust(p: pd.Series | np.ndarray | list[float]) -> pd.Series:
    """Benjamini-Hochberg adjusted p values on ``p``'s index; NaN entries (tests not run) stay NaN.

    p_bh(i) = min over j ≥ i of m p(j) / j for m tests sorted ascending, capped at 1. NaN tests are
    not counted in m: they cannot produce a false discovery.
    """
    p = pd.Series(p, dtype=float) if not isinstance(p, pd.Series) else p.astype(float)
    out = pd.Series(np.nan, index=p.index)
    ok = p.notna()
    if ok.any():
        out[ok] = false_discovery_control(p[ok].to_numpy(float), method="bh")
    return out


def spearman_table(
    df: pd.DataFrame,
    features: list[str],
    targets: list[str],
    *,
    group_col: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Spearman ρ and two-tailed p for every (group, feature, target) on pairwise-complete rows.

    Columns ``group, feature, target, n, rho, p, p_bh, significant``: ``rho`` and ``p`` are NaN when
    ``n < 3`` or a column is constant on the ``n`` complete rows; ``p_bh`` is BH-adjusted within the
    group; ``significant`` is ``p_bh < alpha``. ``group_col`` (e.g. ``material_class``) splits the rows;
    the pooled group ``"all"`` always comes first, and rows with no group count only there.

    ρ is Pearson's r of the mid-ranks; p is scipy's t approximation, t = ρ √((n − 2)/(1 − ρ²)) with
    n − 2 degrees of freedom, as for the paper's Fig. 2a. Among 5 × 4 tests some raw p < 0.05 are
    expected by chance; BH controls the false discovery rate across the group's tests.
    """
    if not 0 < alpha < 1:
        raise ConfigError(key="alpha", value=alpha, allowed="a number in (0, 1)")
    if not features or not targets:
        raise ConfigError("spearman_table needs at least one feature and one target")
    data = numeric_columns(df, list(dict.fromkeys([*features, *targets])))
    groups: list[tuple[str, pd.DataFrame]] = [(ALL, data)]
    if group_col is not None:
        if group_col not in df.columns:
            raise DataValidationError("<DataFrame>", [
                {"row": None, "field": group_col, "value": None, "rule": "column must be present"}])
        labels = df[group_col].astype("string")
        if (labels == ALL).any():
            raise ConfigError(f"group value {ALL!r} in {group_col!r} clashes with the pooled group")
        for g in sorted(labels.dropna().unique()):
            groups.append((str(g), data.loc[(labels == g).fillna(False).to_numpy(dtype=bool)]))

    rows = []
    with warnings.catch_warnings():
        # scipy warns about near-constant input; the constant case is handled in _pair.
        warnings.simplefilter("ignore", RuntimeWarning)
        for g, sub in groups:
            for f in features:
                for t in targets:
                    n, rho, p = _pair(sub[f], sub[t])
                    rows.append({"group": g, "feature": f, "target": t, "n": n, "rho": rho, "p": p})
    table = pd.DataFrame(rows, columns=COLUMNS[:6])
    table["p_bh"] = table.groupby("group", sort=False)["p"].transform(bh_adjust)
    table["significant"] = (table["p_bh"] < alpha).to_numpy(bool)
    return table[COLUMNS]


def significance_marks(p: float, p_bh: float, alpha: float = 0.05) -> str:
    """Marks after ρ: ``**`` if p < 0.01, ``*`` if p < 0.05, then ``†`` if ``p_bh < alpha`` (NaN: none)."""
    stars = "**" if p < 0.01 else "*" if p < 0.05 else ""
    return stars + ("†" if p_bh < alpha else "")


def correlation_heatmap(
    table: pd.DataFrame, *, group: str, path: str | Path, alpha: float = 0.05
) -> Path:
    """Draw one ``group`` of a :func:`spearman_table` as a features × targets heatmap PNG at ``path``.

    Each cell shows ρ with * (raw p < 0.05) or ** (raw p < 0.01), † when the BH-adjusted p is below
    ``alpha``, and the raw p and n underneath (the caption repeats this key); undefined ρ is grey, "n/a".
    """
    missing = sorted(set(COLUMNS) - set(table.columns))
    if missing:
        raise ConfigError(f"table lacks columns {missing}: pass the output of spearman_table")
    sub = table[table["group"] == group]
    if sub.empty:
        known = list(dict.fromkeys(table["group"]))
        raise ConfigError(f"group {group!r} not in the table; groups are {known}")
    features = list(dict.fromkeys(sub["feature"]))
    targets = list(dict.fromkeys(sub["target"]))
    cell = sub.set_index(["feature", "target"])
    rho = cell["rho"].unstack("target").reindex(index=features, columns=targets)

    fig = Figure(figsize=(1.6 * len(targets) + 2.6, 0.75 * len(features) + 2.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_facecolor("0.85")  # undefined rho shows through the masked cells
    im = ax.imshow(np.ma.masked_invalid(rho.to_numpy(float)), cmap="RdBu_r", vmin=-1, vmax=1,
                   aspect="auto")
    for i, f in enumerate(features):
        for j, t in enumerate(targets):
            r = cell.loc[(f, t)]
            if np.isnan(r["rho"]):
                text, color = f"n/a\nn={r['n']}", "k"
            else:
                p = "p<0.001" if r["p"] < 0.001 else f"p={r['p']:.3f}"
                text = f"{r['rho']:+.2f}{significance_marks(r['p'], r['p_bh'], alpha)}\n{p}, n={r['n']}"
                color = "w" if abs(r["rho"]) > 0.6 else "k"
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color=color)
    ax.set_xticks(range(len(targets)), [axis_label(t) for t in targets], rotation=20, ha="right")
    ax.set_yticks(range(len(features)), [axis_label(f) for f in features])
    fig.colorbar(im, ax=ax, label="Spearman ρ")
    title = f"Spearman rank correlation, group: {group}"
    ax.set_title(title, fontsize=10)
    fig.text(0.01, 0.005, f"* p<0.05, ** p<0.01 (raw two-tailed p);  † Benjamini-Hochberg "
             f"adjusted p<{alpha:g} within group", fontsize=7, ha="left", va="bottom")
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # keep the caption clear of the axes
    return save_png(fig, path, title)
