"""The one space and distance between materials: skewed features log-scaled, standardized, NaN-aware.

BET SSA spans 0.1-2,800 m2/g (skew ~2-4): standardized raw, a decade of low-area carbons collapses
while two outliers set the scale, so skewed non-negative features go through ``log1p`` first. The
domain, its nearest samples and a suggested batch's spacing all measure "close" with :func:`distances`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.metrics.pairwise import nan_euclidean_distances
from sklearn.utils.validation import check_is_fitted, validate_data


class LogStandardScaler(TransformerMixin, BaseEstimator):
    """Log-scale skewed non-negative features, then z-score every feature (NaN-aware).

    Parameters
    ----------
    skew_threshold : float, default=1.0
        A feature is log-scaled when its training skewness (NaN ignored) is above this, its minimum is
        >= 0 and it takes more than two values (not a flag).

    Attributes
    ----------
    log_ : numpy.ndarray of bool, shape (n_features,)
        Which features were log-scaled.
    """

    def __init__(self, *, skew_threshold: float = 1.0):
        self.skew_threshold = skew_threshold

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X, y=None) -> LogStandardScaler:
        """Decide which features to log and learn the standardization (NaN allowed)."""
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        # a constant column (every known carbon tested in ester) has no skew; scipy warns about it
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            self.skew_ = np.array([skew(c[~np.isnan(c)]) if (~np.isnan(c)).sum() > 2 else 0.0 for c in X.T])
            mins = np.nanmin(np.where(np.isnan(X), np.inf, X), axis=0)
        # A flag (0/1, e.g. is_ether) is skewed when one value is rare, but there is no scale to fix.
        many = np.array([len(np.unique(c[~np.isnan(c)])) > 2 for c in X.T])
        self.log_ = (np.nan_to_num(self.skew_) > self.skew_threshold) & (mins >= 0) & many
        Z = self._log(X)
        with np.errstate(all="ignore"):
            self.mean_ = np.nan_to_num(np.nanmean(Z, axis=0))
            sd = np.nanstd(Z, axis=0)
        self.scale_ = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        return self

    def _log(self, X: np.ndarray) -> np.ndarray:
        Z = X.copy()
        # Negative values cannot occur in a log-scaled column of valid data; clip guards log1p.
        Z[:, self.log_] = np.log1p(np.clip(Z[:, self.log_], 0, None))
        return Z

    def transform(self, X) -> np.ndarray:
        """Log-scale (where chosen) and standardize; NaN stays NaN."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return (self._log(X) - self.mean_) / self.scale_


def distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """NaN-aware Euclidean distances between the rows of ``A`` (n, d) and ``B`` (m, d), in scaled units.

    A coordinate missing in either row is skipped and the sum of squares scaled by ``d / d_shared``
    (``nan_euclidean_distances``), so a gap does not make a row close; no shared coordinate: ``inf``.
    Whether few coordinates suffice is the domain's question (``min_structure``), not the metric's.
    """
    dist = nan_euclidean_distances(np.atleast_2d(np.asarray(A, float)), np.atleast_2d(np.asarray(B, float)))
    return np.where(np.isnan(dist), np.inf, dist)
