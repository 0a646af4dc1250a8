"""Conformal prediction intervals calibrated on out-of-fold residuals."""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from nacarbon.errors import ConfigError


def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """Finite-sample-corrected conformal quantile of non-negative conformity scores.

    Parameters
    ----------
    scores : numpy.ndarray of shape (n,)
        Conformity scores, here absolute residuals ``|y - y_pred|``.
    alpha : float
        Miscoverage level in (0, 1).

    Returns
    -------
    float
        The ``k``-th smallest score with ``k = ceil((n + 1)(1 - alpha))``, i.e. the
        empirical quantile at level ``k / n`` (lower interpolation); ``inf`` when
        ``k > n`` (too few scores for the requested level).

    Notes
    -----
    If a new residual is exchangeable with the ``n`` calibration residuals, it falls at
    or below the ``k``-th smallest of them with probability ``k / (n + 1) >= 1 - alpha``
    (Lei et al., JASA 2018). The product is formed before the ceiling is taken with a
    small guard so that, e.g., ``(n + 1) * 0.9`` evaluating to ``450.00000000000006``
    does not push ``k`` up by one.
    """
    n = len(scores)
    k = math.ceil((n + 1) * (1.0 - alpha) - 1e-9)
    if k > n:
        return math.inf
    return float(np.partition(scores, k - 1)[k - 1])


class ConformalInterval(BaseEstimator):
    """Symmetric split-conformal interval ``y_pred +/- q_`` from out-of-fold residuals.

    Parameters
    ----------
    alpha : float, default=0.1
        Miscoverage level: intervals aim at ``1 - alpha`` marginal coverage.

    Attributes
    ----------
    q_ : float
        Conformal quantile of the absolute out-of-fold residuals (half-width).
    n_calibration_ : int
        Number of residuals used.

    Notes
    -----
    MAPIE 1.6 was considered and not used at run time: its public regressors
    (``SplitConformalRegressor(prefit=True).conformalize``, ``CrossConformalRegressor``)
    need an estimator to predict on a calibration set, while training stores only
    out-of-fold predictions and measured values. Its quantile helper
    (``mapie.utils._compute_regression_quantile``) is private. The rule used here is the
    same ``ceil((n + 1)(1 - alpha)) / n`` lower quantile; the test suite checks it against
    ``SplitConformalRegressor`` driven by an identity model. With out-of-fold residuals the
    coverage guarantee is the approximate CV+/jackknife one, not the exact split one,
    because each fold's model differs slightly from the final model.
    """

    def __init__(self, alpha: float = 0.1):
        self.alpha = alpha

    def fit(self, y_true_oof, y_pred_oof) -> ConformalInterval:
        """Calibrate the half-width on out-of-fold predictions.

        Parameters
        ----------
        y_true_oof : array-like of shape (n,)
            Measured values.
        y_pred_oof : array-like of shape (n,)
            Out-of-fold predictions of the same rows.

        Returns
        -------
        ConformalInterval
            The fitted object.

        Raises
        ------
        ConfigError
            If ``alpha`` is not in (0, 1).
        ValueError
            If the arrays are empty, differ in length or hold non-finite values.
        """
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) \
                or not 0 < self.alpha < 1:
            raise ConfigError(f"ConformalInterval: alpha must be in (0, 1), got {self.alpha!r}")
        y_true = np.asarray(y_true_oof, dtype=np.float64).reshape(-1)
        y_pred = np.asarray(y_pred_oof, dtype=np.float64).reshape(-1)
        if y_true.shape != y_pred.shape or len(y_true) == 0:
            raise ValueError(f"ConformalInterval: need equal, non-zero lengths, got {len(y_true)} "
                             f"measured and {len(y_pred)} predicted values")
        if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
            raise ValueError("ConformalInterval: out-of-fold values must be finite")
        self.q_ = conformal_quantile(np.abs(y_true - y_pred), float(self.alpha))
        self.n_calibration_ = len(y_true)
        if math.isinf(self.q_):
            warnings.warn(f"ConformalInterval: {self.n_calibration_} residuals are too few for "
                          f"alpha={self.alpha}; intervals are unbounded", UserWarning, stacklevel=2)
        return self

    def interval(self, y_pred) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds around point predictions.

        Parameters
        ----------
        y_pred : array-like of shape (n,)
            Point predictions of the final model.

        Returns
        -------
        tuple of numpy.ndarray
            ``(y_pred - q_, y_pred + q_)``.
        """
        check_is_fitted(self)
        y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
        return y_pred - self.q_, y_pred + self.q_
