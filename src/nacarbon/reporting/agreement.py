"""Set the paper's Spearman coefficients beside this project's: implied n, intervals, verdict inputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from nacarbon.targets import TargetSpec
from nacarbon.reporting.paper import CorrelationClaim

COMPARISON_COLUMNS = ["target", "feature", "group", "paper_rho", "paper_p", "implied_n", "n", "rho", "p", "p_bh",
                      "ci_low", "ci_high", "same_sign", "significant", "paper_in_ci"]


def implied_n(rho: float, p: float) -> float:
    """The real n at which a Spearman ρ has two-tailed p: p = 2 P(T_{n-2} > |ρ| √((n − 2)/(1 − ρ²))).

    That t approximation is scipy's (and SPSS's); p falls monotonically with n, so a printed ρ and p tell
    how many rows the test ran on. NaN for ρ = 0 or when even n = 3 gives a smaller p.
    """
    if not 0 < abs(float(rho)) < 1 or not 0 < p < 1:
        return float("nan")

    def gap(n: float) -> float:
        return p_value(rho, n) - p

    lo, hi = 3.0, 1e7
    if gap(lo) < 0 or gap(hi) > 0:
        return float("nan")
    return float(optimize.brentq(gap, lo, hi, xtol=1e-6))


def p_value(rho: float, n: float) -> float:
    """Two-tailed p of a Spearman ρ on n rows by the t approximation (scipy's); NaN for n ≤ 2 or |ρ| ≥ 1."""
    r = abs(float(rho))
    if n <= 2 or not r < 1:
        return float("nan")
    return float(2 * stats.t.sf(r * np.sqrt((n - 2) / (1 - r * r)), n - 2))


def rho_interval(rho: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Confidence interval of a Spearman ρ on n rows by Fisher's z with the Bonett-Wright variance.

    z = atanh(ρ) ± q √((1 + ρ²/2)/(n − 3)), back with tanh (Bonett & Wright, Psychometrika 2000): it holds
    Spearman's ρ better than Pearson's 1/(n − 3). NaN bounds for n ≤ 3 or undefined ρ.
    """
    if n <= 3 or not np.isfinite(rho) or abs(rho) >= 1:
        return float("nan"), float("nan")
    q = stats.norm.ppf(0.5 + level / 2)
    half = q * np.sqrt((1 + rho * rho / 2) / (n - 3))
    z = np.arctanh(rho)
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def compare_correlations(table: pd.DataFrame, claims: Sequence[CorrelationClaim], targets: Sequence[TargetSpec],
                         groups: Sequence[str], *, alpha: float = 0.05) -> pd.DataFrame:
    """Each quoted coefficient beside the one computed here (a ``spearman_table``), per group.

    One row per claim and group, columns :data:`COMPARISON_COLUMNS`; claims on targets not in
    ``targets`` are dropped.
    """
    columns = {t.name: t.column for t in targets}
    rows: list[dict] = []
    for claim in claims:
        if claim.target not in columns:
            continue
        for g in groups:
            hit = table[(table["group"] == g) & (table["feature"] == claim.feature)
                        & (table["target"] == columns[claim.target])]
            if hit.empty:
                continue
            r = hit.iloc[0]
            lo, hi = rho_interval(r["rho"], int(r["n"]))
            rows.append({"target": claim.target, "feature": claim.feature, "group": g, "paper_rho": claim.rho,
                         "paper_p": claim.p, "implied_n": implied_n(claim.rho, claim.p), "n": int(r["n"]),
                         "rho": r["rho"], "p": r["p"], "p_bh": r["p_bh"], "ci_low": lo, "ci_high": hi,
                         "same_sign": bool(np.sign(r["rho"]) == np.sign(claim.rho)),
                         "significant": bool(r["p"] < alpha), "paper_in_ci": bool(lo <= claim.rho <= hi)})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def main_factor(table: pd.DataFrame, target_column: str, group: str) -> pd.Series | None:
    """The ``spearman_table`` row with the largest |ρ| for one target and group ("main impact factor"), or None."""
    sub = table[(table["group"] == group) & (table["target"] == target_column)].dropna(subset=["rho"])
    if sub.empty:
        return None
    return sub.loc[sub["rho"].abs().idxmax()]
