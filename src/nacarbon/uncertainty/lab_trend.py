"""Calibrate predictions to one lab: a shrunk offset plus a shrunk within-lab trend on HTT and SSA.

Inside a paper's series ICE follows HTT and SSA (median Spearman +0.76, -0.50) more closely than the
cross-paper model carries, so a lab's residuals get a random intercept and a random slope:
``e_i = b + x_i . s + eps_i``, ``b ~ N(0, tau2)``, ``s ~ N(beta, diag(omega))``, ``eps ~ N(0, sigma2)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from nacarbon.data import columns as C
from nacarbon.uncertainty.lab_offset import shrunk_offset, variance_components

SSA_FLOOR = 0.1  # m2/g: the smallest BET area in the data; ln of a reported 0 would be -inf
# Trend features and the scale they enter on: HTT per 100 degC, SSA on a log scale (it spans
# 0.1-1,300 m2/g, and within a series ICE falls with its logarithm).
TRANSFORMS = {
    C.HTT_C: lambda v: v / 100.0,
    C.SSA_M2_G: lambda v: np.log(np.clip(v, SSA_FLOOR, None)),
    C.D002_NM: lambda v: v * 100.0,
    "model_prediction": lambda v: v,  # the model's own answer: a lab-specific gain on its ranking
}
MODEL_PREDICTION = "model_prediction"
TREND_FEATURES: tuple[str, ...] = (C.HTT_C, C.SSA_M2_G)


@dataclass(frozen=True)
class LabPrior:
    """Hyperparameters of the lab model (:func:`fit_lab_prior`); ``slope`` is beta, ``slope_var`` omega."""

    tau2: float
    sigma2: float
    slope: tuple[float, ...]
    slope_var: tuple[float, ...]
    features: tuple[str, ...] = TREND_FEATURES


def trend_design(frame: pd.DataFrame, groups, features: tuple[str, ...] = TREND_FEATURES) -> np.ndarray:
    """Transformed trend features of each row minus its group's mean; 0 where missing (the lab's mean)."""
    raw = pd.DataFrame(index=range(len(frame)))
    for f in features:
        values = pd.to_numeric(frame[f], errors="coerce").to_numpy(float) if f in frame else np.full(len(frame), np.nan)
        raw[f] = TRANSFORMS[f](values)
    centred = raw - raw.groupby(np.asarray(groups)).transform("mean")
    return centred.fillna(0.0).to_numpy(float)


def _neg_loglik(log_params: np.ndarray, blocks: list[tuple[np.ndarray, np.ndarray]]) -> float:
    params = np.exp(log_params)
    tau2, omega, sigma2 = params[0], np.diag(params[1:-1]), params[-1]
    total = 0.0
    for X, r in blocks:
        V = tau2 + X @ omega @ X.T + sigma2 * np.eye(len(r))
        sign, logdet = np.linalg.slogdet(V)
        total += logdet + r @ np.linalg.solve(V, r)
    return 0.5 * total


def fit_lab_prior(residuals, groups, frame: pd.DataFrame, features: tuple[str, ...] = TREND_FEATURES) -> LabPrior:
    """Estimate :class:`LabPrior` from grouped out-of-fold residuals and their rows of ``frame``.

    ``x`` is the trend features (missing allowed) minus the lab's mean (:func:`trend_design`); ``beta``
    the pooled within-paper slope; tau2, omega, sigma2 maximize the marginal likelihood paper by paper
    (omega -> 0, beta = 0 is :mod:`~nacarbon.uncertainty.lab_offset`). ValueError as :func:`variance_components`.
    """
    e = np.asarray(residuals, dtype=float)
    g = np.asarray(groups)
    tau2_0, sigma2_0 = variance_components(e, g)
    X = trend_design(frame.reset_index(drop=True), g, features)
    within = e - pd.Series(e).groupby(g).transform("mean").to_numpy()
    beta = np.linalg.lstsq(X, within, rcond=None)[0] if np.abs(X).sum() > 0 else np.zeros(len(features))
    blocks = [(X[idx], e[idx] - X[idx] @ beta) for idx in pd.Series(np.arange(len(e))).groupby(g).indices.values()]
    start = np.log([max(tau2_0, 1e-3 * sigma2_0), *[1e-2 * sigma2_0] * len(features), sigma2_0])
    # bounds keep every variance within 1e-6..1e3 of the total residual variance
    scale = float(np.var(e)) or 1.0
    box = [(np.log(scale * 1e-6), np.log(scale * 1e3))] * len(start)
    fit = minimize(_neg_loglik, start, args=(blocks,), method="L-BFGS-B", bounds=box)
    params = np.exp(fit.x)
    return LabPrior(float(params[0]), float(params[-1]), tuple(float(b) for b in beta),
                    tuple(float(w) for w in params[1:-1]), tuple(features))


def lab_posterior(prior: LabPrior, X_ref: np.ndarray, e_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and covariance of ``(b, s1, s2)`` given reference rows (may be none)."""
    m0 = np.array([0.0, *prior.slope])
    S0 = np.diag([prior.tau2, *prior.slope_var])
    if len(e_ref) == 0:
        return m0, S0
    D = np.column_stack([np.ones(len(e_ref)), X_ref])
    K = S0 @ D.T @ np.linalg.inv(D @ S0 @ D.T + prior.sigma2 * np.eye(len(e_ref)))
    return m0 + K @ (e_ref - D @ m0), S0 - K @ D @ S0


def trend_beats_offset(residuals, groups, frame: pd.DataFrame, features: tuple[str, ...] = TREND_FEATURES, *,
                       k: int = 3, n_perm: int = 5, seed: int = 0) -> bool:
    """Whether the trend predicts a lab's other rows from k references better than the offset alone.

    Cross-fitted over two halves of the papers (hyperparameters from one half, scored on the other's
    papers with more than k rows, ``n_perm`` reference draws each), so the slopes cannot win by fitting
    what they are scored on. Leave-papers-out with 3 references (experiments/kshot.md): R2 trend vs
    offset ICE 0.663 vs 0.605, plateau capacity 0.652 vs 0.612, capacity 0.381 vs 0.439; on capacity
    this says no in 4 of 5 outer folds (``benchmarks/bench_kshot.py``; ICE, plateau capacity: 5 of 5 yes).
    """
    e, g = np.asarray(residuals, dtype=float), np.asarray(groups)
    frame = frame.reset_index(drop=True)
    X = trend_design(frame, g, features)
    papers = np.unique(g)
    rng = np.random.default_rng(seed)
    half = np.isin(g, rng.permutation(papers)[: len(papers) // 2])
    se = np.zeros(2)  # squared error: offset, trend
    for fit_rows in (half, ~half):
        prior = fit_lab_prior(e[fit_rows], g[fit_rows], frame[fit_rows], features)
        tau2, sigma2 = variance_components(e[fit_rows], g[fit_rows])
        for idx in pd.Series(np.flatnonzero(~fit_rows)).groupby(g[~fit_rows]).agg(list):
            if len(idx) <= k:
                continue
            for _ in range(n_perm):
                ref, rest = np.split(rng.permutation(idx), [k])
                offset = shrunk_offset(e[ref], tau2, sigma2)[0]
                mean, _ = lab_posterior(prior, X[ref], e[ref])
                se += [((e[rest] - offset) ** 2).sum(), ((e[rest] - mean[0] - X[rest] @ mean[1:]) ** 2).sum()]
    return bool(se[1] < se[0])


def apply_lab_trend(frame: pd.DataFrame, target: str, measured: str, prior: LabPrior, *,
                    bounds: tuple[float, float] = (-np.inf, np.inf)) -> pd.DataFrame:
    """Shift one lab's predictions by its posterior offset and trend; intervals move, widths kept.

    Columns as :func:`~nacarbon.uncertainty.lab_offset.apply_lab_offset` (``lab_offset_<t>`` is the
    posterior offset at the lab's mean features) plus ``lab_trend_<t>``, each row's trend shift.
    Without references (``measured`` all NaN) the shift is the pooled trend alone.
    """
    out = frame.copy()
    p, lo, hi = f"pred_{target}", f"lo_{target}", f"hi_{target}"
    X = trend_design(out.reset_index(drop=True), np.zeros(len(out)), prior.features)
    resid = (out[measured] - out[p]).to_numpy(dtype=float)
    ref = np.isfinite(resid)
    mean, cov = lab_posterior(prior, X[ref], resid[ref])
    trend = X @ mean[1:]
    shift = mean[0] + trend
    for col in (p, lo, hi):
        out[f"{col}_uncalibrated"] = out[col]
    out[lo] = np.clip(out[lo] + shift, *bounds)
    out[hi] = np.clip(out[hi] + shift, *bounds)
    out[p] = np.clip(out[p] + shift, *bounds)
    out[f"lab_offset_{target}"] = float(mean[0])
    out[f"lab_offset_sd_{target}"] = float(np.sqrt(max(cov[0, 0], 0.0)))
    out["lab_offset_n"] = int(ref.sum())
    out[f"lab_trend_{target}"] = trend
    return out
