"""Calibrate predictions to one lab: a shrunk per-paper offset from a few measured reference rows.

A per-paper offset holds about 45 % of the grouped out-of-fold error variance: tau2 / (tau2 +
sigma2) from :func:`variance_components` on ExtraTrees' out-of-fold residuals (5 x 5 paper-grouped
splits) is 0.45 on literature ICE and 0.46 on merged ICE (experiments/figures.md; the naive share,
the variance of per-paper mean residuals, is 0.68, inflated by single-row papers). Model a
paper's residual as ``e = b + eps`` with ``b ~ N(0, tau2)`` (the lab) and ``eps ~ N(0, sigma2)``
(the sample). Given ``n`` reference residuals with mean ``m``, the best linear predictor of ``b``
is ``n m / (n + sigma2 / tau2)`` with posterior variance ``1 / (n / sigma2 + 1 / tau2)``.
``tau2`` and ``sigma2`` are the one-way random-effects moment estimates from the training set's
grouped out-of-fold residuals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def variance_components(residuals, groups) -> tuple[float, float]:
    """Between-paper (tau2) and within-paper (sigma2) variance of grouped residuals.

    Parameters
    ----------
    residuals : array-like of shape (n,)
        Out-of-fold residuals (measured - predicted), each from a model that did not see its paper.
    groups : array-like of shape (n,)
        Paper of each residual.

    Returns
    -------
    tau2, sigma2 : float
        ANOVA moment estimates (unbalanced design); tau2 floored at 0.

    Raises
    ------
    ValueError
        With fewer than two papers or no paper holding two rows.
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
    """The lab's offset from its reference residuals, and the offset's posterior variance.

    Parameters
    ----------
    ref_residuals : array-like of shape (n,)
        Measured - predicted on the lab's reference rows (n may be 0).
    tau2, sigma2 : float
        Between- and within-paper variances.

    Returns
    -------
    offset, variance : float
        ``n mean / (n + sigma2 / tau2)`` and ``1 / (n / sigma2 + 1 / tau2)``; (0, tau2) for
        n = 0; (0, 0) when tau2 = 0 (no lab effect to learn).
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
    """Every group's shrunk offset and its posterior variance, from one set of grouped residuals.

    Parameters
    ----------
    residuals : array-like of shape (n,)
        Out-of-fold residuals (NaN ignored).
    groups : array-like of shape (n,)
        Paper of each residual.

    Returns
    -------
    offsets : dict
        Group -> ``(offset, variance)`` as :func:`shrunk_offset` gives them.
    tau2 : float
        Between-group variance: the offset variance of a group with no residual.
    """
    r = np.asarray(residuals, dtype=float)
    g = np.asarray(groups)
    ok = np.isfinite(r)
    tau2, sigma2 = variance_components(r[ok], g[ok])
    per = pd.Series(r[ok]).groupby(g[ok])
    return {k: shrunk_offset(v.to_numpy(), tau2, sigma2) for k, v in per}, tau2


def apply_lab_offset(frame: pd.DataFrame, target: str, measured: str, *, tau2: float, sigma2: float,
                     bounds: tuple[float, float] = (-np.inf, np.inf), width: str = "keep") -> pd.DataFrame:
    """Shift one lab's predictions by its shrunk offset and rescale its intervals.

    Parameters
    ----------
    frame : DataFrame
        One lab's rows with ``pred_<target>``, ``lo_<target>``, ``hi_<target>`` and the column
        ``measured`` (NaN where not measured). Measured rows are the references.
    target : str
        Target name used in the column names.
    measured : str
        Column of measured values.
    tau2, sigma2 : float
        From :func:`variance_components` on the training set's grouped residuals.
    bounds : tuple of float
        Physical range the shifted values are clipped to.
    width : {"keep", "rescale"}, default="keep"
        ``keep``: the interval moves with the point and keeps its width; ``rescale``: its
        sides are also scaled by ``sqrt((sigma2 + v) / (sigma2 + tau2))`` (see Notes).

    Returns
    -------
    DataFrame
        A copy with the shifted ``pred/lo/hi`` (the originals kept as ``*_uncalibrated``), and
        ``lab_offset_<target>`` (the offset added), ``lab_offset_sd_<target>`` (its posterior
        standard deviation) and ``lab_offset_n`` (reference rows used).

    Notes
    -----
    The conformal half-width was calibrated on residuals of variance ``tau2 + sigma2`` (an
    unknown lab), which bounds the offset's posterior variance ``v <= tau2``: so the kept
    width already holds the offset's uncertainty. Under a Gaussian model the remaining error
    has variance ``sigma2 + v`` and ``rescale`` narrows accordingly; on the literature set
    (benchmarks/bench_intervals.py) that undercovers (0.84-0.89 for ICE at k = 1-3), because
    offsets and residuals are heavy-tailed, so ``keep`` is the default. Reference rows are shifted like the others (their
    ``*_uncalibrated`` columns keep the model's own answer).
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
