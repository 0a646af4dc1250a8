"""Calibrate predictions to one lab: a shrunk per-paper offset from a few measured reference rows.

A per-paper offset ``b ~ N(0, tau2)`` holds ~45 % of the grouped out-of-fold error variance (0.45
literature ICE, 0.46 merged; experiments/figures.md; the naive share of per-paper mean residuals,
0.68, is inflated by single-row papers); each sample adds its own ``eps ~ N(0, sigma2)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def variance_components(residuals, groups) -> tuple[float, float]:
    """Between-paper (tau2, floored at 0) and within-paper (sigma2) variance of grouped residuals.

    ANOVA moment estimates (unbalanced design) on out-of-fold residuals, each from a model that did not
    see its paper. ValueError with fewer than two papers or no paper holding two rows.
    """
    r = pd.Series(np.asarray(residuals, dtype=float)).groupby(np.asarray(groups))
    n_i = r.size().to_numpy(dtype=float)
    if len(n_i) < 2 or (n_i < 2).all():
        raise ValueError("variance_components needs at least two papers and one paper with two rows")
    means = r.mean().to_numpy()
    ss_within = float(r.apply(lambda s: ((s - s.mean()) ** 2).sum()).sum())
    N, a = n_i.sum(), len(n_i)
    sigma2 = ss_within / (N - a)
    grand = float(np.sum(n_i * means) / N)
    ms_between = float(np.sum(n_i * (means - grand) ** 2) / (a - 1))
    n0 = (N - np.sum(n_i ** 2) / N) / (a - 1)
    tau2 = max((ms_between - sigma2) / n0, 0.0)
    return tau2, sigma2


def shrunk_offset(ref_residuals, tau2: float, sigma2: float) -> tuple[float, float]:
    """The lab's offset from its reference residuals (measured - predicted), and its posterior variance.

    With n residuals of mean m: ``n m / (n + sigma2 / tau2)`` and ``1 / (n / sigma2 + 1 / tau2)`` (the
    best linear predictor of ``b``); (0, tau2) for n = 0; (0, 0) when tau2 = 0 (no lab effect).
    """
    r = np.asarray(ref_residuals, dtype=float)
    r = r[np.isfinite(r)]
    n = len(r)
    if tau2 <= 0:
        return 0.0, 0.0
    if n == 0:
        return 0.0, float(tau2)
    offset = n * r.mean() / (n + sigma2 / tau2)
    return float(offset), float(1.0 / (n / sigma2 + 1.0 / tau2))


def group_offsets(residuals, groups) -> tuple[dict, float]:
    """Every group's ``(offset, variance)`` (:func:`shrunk_offset`) from one set of residuals, and tau2.

    NaN residuals are ignored; tau2 is the offset variance of a group with no residual.
    """
    r = np.asarray(residuals, dtype=float)
    g = np.asarray(groups)
    ok = np.isfinite(r)
    tau2, sigma2 = variance_components(r[ok], g[ok])
    per = pd.Series(r[ok]).groupby(g[ok])
    return {k: shrunk_offset(v.to_numpy(), tau2, sigma2) for k, v in per}, tau2


def apply_lab_offset(frame: pd.DataFrame, target: str, measured: str, *, tau2: float, sigma2: float,
                     bounds: tuple[float, float] = (-np.inf, np.inf), width: str = "keep") -> pd.DataFrame:
    """Shift one lab's predictions by its shrunk offset; ``width="rescale"`` also narrows its intervals.

    ``frame`` holds ``pred/lo/hi_<target>`` (shifted, clipped to ``bounds``) and ``measured`` (measured rows
    are the references). Adds ``*_uncalibrated`` originals, ``lab_offset_<t>``, ``lab_offset_sd_<t>``,
    ``lab_offset_n``.
    ``keep`` is the default: the conformal width, calibrated for an unknown lab (tau2 + sigma2), already
    holds the offset's variance v <= tau2, and ``rescale`` (sides times ``sqrt((sigma2 + v) / (sigma2 +
    tau2))``) undercovers, 0.84-0.89 for ICE at k = 1-3 (bench_intervals.py): offsets are heavy-tailed.
    """
    out = frame.copy()
    p, lo, hi = f"pred_{target}", f"lo_{target}", f"hi_{target}"
    resid = (out[measured] - out[p]).to_numpy(dtype=float)
    offset, var = shrunk_offset(resid, tau2, sigma2)
    total = sigma2 + tau2
    if width not in ("keep", "rescale"):
        raise ValueError(f"apply_lab_offset: width must be 'keep' or 'rescale', got {width!r}")
    factor = float(np.sqrt((sigma2 + var) / total)) if total > 0 and width == "rescale" else 1.0
    for col in (p, lo, hi):
        out[f"{col}_uncalibrated"] = out[col]
    new_p = out[p] + offset
    out[lo] = np.clip(new_p - (out[p] - out[lo]) * factor, *bounds)
    out[hi] = np.clip(new_p + (out[hi] - out[p]) * factor, *bounds)
    out[p] = np.clip(new_p, *bounds)
    out[f"lab_offset_{target}"] = offset
    out[f"lab_offset_sd_{target}"] = float(np.sqrt(var))
    out["lab_offset_n"] = int(np.isfinite(resid).sum())
    return out
