"""Series prior: inside one synthesis series, a known trend says which sample should be better.

Within a series (one precursor and route, varying HTT) ICE rises with HTT and falls with BET area
far more reliably than across series: in the literature set, within-paper ρ(ICE, HTT) has median
+0.76, positive in 86 % of 43 papers; ρ(ICE, SSA) median −0.50, negative in 80 % of 87. The
between-series offset, most of the models' error, is shared by a series, so a candidate a sibling
*dominates* is unlikely its series' best: 25 of the 30 top-5 % ICE rows are their paper's best, and
30 % of them are dominated (52 % of all rows are). ``benchmarks/bench_suggest.py`` measures the gain.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError

DIRECTIONS = {"increasing": 1.0, "decreasing": -1.0}


def check_trends(trends: Mapping[str, str], *, where: str = "series.trends") -> dict[str, float]:
    """``{feature: ±1}`` from ``{feature: 'increasing' | 'decreasing'}``; ConfigError if empty or other."""
    if not isinstance(trends, Mapping) or not trends:
        raise ConfigError(key=where, value=trends, allowed="at least one {feature: increasing|decreasing}")
    out = {}
    for feature, direction in trends.items():
        if direction not in DIRECTIONS:
            raise ConfigError(key=f"{where}.{feature}", value=direction, allowed="'increasing' or 'decreasing'")
        out[str(feature)] = DIRECTIONS[direction]
    return out


def dominated(frame: pd.DataFrame, series: str, trends: Mapping[str, str]) -> np.ndarray:
    """Mask of the rows of ``frame`` that another row of the same ``series`` dominates on the trend features.

    Row j dominates row i when both have every trend feature, j is at least as good on each (higher
    for increasing, lower for decreasing) and strictly better on one; no measured value is used. Rows
    without a series never are. ConfigError if ``series`` or a trend feature is not a column.
    """
    signs = check_trends(trends)
    missing = [c for c in (series, *signs) if c not in frame.columns]
    if missing:
        raise ConfigError(f"series prior: the candidates have no column {missing[0]!r} "
                          f"(columns: {', '.join(map(str, frame.columns))})")
    values = np.column_stack([s * pd.to_numeric(frame[f], errors="coerce").to_numpy(float) for f, s in signs.items()])
    out = np.zeros(len(frame), bool)
    labels = frame[series].reset_index(drop=True)
    named = labels[labels.notna()]
    for rows in named.groupby(named, sort=False).indices.values():
        rows = named.index.to_numpy()[rows]            # positions in ``frame``, not in ``named``
        if len(rows) < 2:
            continue
        v = values[rows]                               # (n, k), larger = better on every column
        ge = (v[None, :, :] >= v[:, None, :]).all(-1)  # ge[i, j]: j at least as good as i everywhere
        gt = (v[None, :, :] > v[:, None, :]).any(-1)
        complete = np.isfinite(v).all(-1)
        dom = ge & gt & complete[:, None] & complete[None, :]
        out[rows] = dom.any(axis=1)
    return out


def series_penalty(known_values: np.ndarray, is_dominated: np.ndarray, strength: float) -> np.ndarray:
    """The shift of the predicted mean: ``strength`` sd of the known values where dominated (else 0).

    In the objective's own spread, so one ``strength`` means the same for ICE (%) and a capacity
    (mAh/g); zeros with fewer than two known values.
    """
    if strength < 0 or not np.isfinite(strength):
        raise ConfigError(key="series.prior", value=strength, allowed="a number >= 0 (the prior's strength)")
    finite = np.asarray(known_values, float)
    finite = finite[np.isfinite(finite)]
    scale = float(np.std(finite)) if len(finite) > 1 else 0.0
    return strength * scale * np.asarray(is_dominated, float)


def series_fields(trends: Mapping[str, Mapping[str, str]] | None, column: str | None, prior: float, *,
                  active: bool) -> dict:
    """``SuggestConfig``'s series fields from ``conf/suggest.yaml``'s ``series`` block.

    The trends are checked even when not ``active`` (a typo fails every run, not only those that use
    it); inactive (grid candidates have no series) or without a column, the prior stays off (``{}``).
    """
    trends = trends or {}
    if not isinstance(trends, Mapping):
        raise ConfigError(key="series.trends", value=trends,
                          allowed="a mapping target -> {feature: increasing|decreasing}")
    for target, spec in trends.items():
        check_trends(spec, where=f"series.trends.{target}")
    if not active or not column:
        return {}
    return {"series_column": str(column), "series_prior": float(prior), "series_trends": dict(trends)}


def describe_trends(trends: Mapping[str, Mapping[str, str]]) -> str:
    """``"ice: htt_c increasing, ssa_m2_g decreasing"`` for a summary."""
    return "; ".join(f"{t}: " + ", ".join(f"{f} {d}" for f, d in spec.items()) for t, spec in trends.items())


def series_sentence(column: str, trends: Mapping[str, Mapping[str, str]], prior: float, n_dominated: int) -> str:
    """The summary's line on the series prior, with how many picks it marked."""
    return (f"Series prior: within a series (`{column}`), a sample a sibling dominates on {describe_trends(trends)} "
            f"ranks {prior} standard deviations lower ({n_dominated} of the picks are dominated).")
