"""Regression metrics, per fold and pooled."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

METRICS = ("r2", "rmse", "mae")


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """R², RMSE and MAE of one set of predictions.

    R² is NaN where ``y_true`` is constant or has fewer than two values (undefined).
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    r2 = float(r2_score(y_true, y_pred)) if len(y_true) >= 2 and np.ptp(y_true) > 0 else float("nan")
    return {
        "r2": r2,
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def summarize_folds(per_fold: list[dict[str, float]], *, mean: str = "mean", std: str = "std") -> dict[str, float]:
    """Mean and standard deviation over folds (or repeats): ``{"r2_<mean>": .., "r2_<std>": .., ...}``."""
    out: dict[str, float] = {}
    for m in METRICS:
        vals = np.array([f[m] for f in per_fold], dtype=float)
        out[f"{m}_{mean}"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
        out[f"{m}_{std}"] = float(np.nanstd(vals, ddof=1)) if np.isfinite(vals).sum() > 1 else float("nan")
    return out
