"""A two-part (hurdle) regressor for a target with many exact zeros.

~20 % of the literature's plateau capacities are exactly 0 mAh/g (sloping-only curves); one
regressor would fit "has a plateau" and "how long" at once. Here a classifier gives
``P(y != 0 | x)``, a regressor on the non-zero rows ``E[y | y != 0, x]``, and their product is the
conditional mean ``E[y | x]`` (what a squared-error score asks for).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.utils.validation import check_is_fitted


class HurdleRegressor(RegressorMixin, BaseEstimator):
    """Zero-or-not classifier times how-much-if-not regressor.

    Parameters
    ----------
    classifier : sklearn classifier, optional
        Fitted on ``y != zero``; default ``ExtraTreesClassifier(200, min_samples_leaf=2)``.
    regressor : sklearn regressor, optional
        Fitted on the non-zero rows; default ``ExtraTreesRegressor(200, min_samples_leaf=2)``.
    zero : float, default=0.0
        The "no plateau" value; ``|y - zero| <= tol`` counts as zero.
    tol : float, default=0.0
        Tolerance of the zero test.

    Attributes
    ----------
    p_nonzero_ : float
        Share of non-zero training rows (the probability when ``classifier_`` is None: one class only).
    """

    def __init__(self, classifier=None, regressor=None, zero: float = 0.0, tol: float = 0.0):
        self.classifier = classifier
        self.regressor = regressor
        self.zero = zero
        self.tol = tol

    def _nonzero(self, y: np.ndarray) -> np.ndarray:
        return np.abs(np.asarray(y, float) - self.zero) > self.tol

    def fit(self, X, y):
        """Fit the classifier on all rows and the regressor on the non-zero ones."""
        y = np.asarray(y, float)
        nonzero = self._nonzero(y)
        self.p_nonzero_ = float(nonzero.mean())
        clf = self.classifier if self.classifier is not None else ExtraTreesClassifier(
            n_estimators=200, min_samples_leaf=2, max_features=1.0, random_state=0, n_jobs=1)
        reg = self.regressor if self.regressor is not None else ExtraTreesRegressor(
            n_estimators=200, min_samples_leaf=2, max_features=1.0, random_state=0, n_jobs=1)
        # One class only (a fold without zeros, or a target that has none): the probability is that share.
        self.classifier_ = clone(clf).fit(X, nonzero) if 0 < nonzero.sum() < len(y) else None
        # Without non-zero rows there is nothing to regress: every prediction is the zero value.
        self.regressor_ = clone(reg).fit(_rows(X, nonzero), y[nonzero]) if nonzero.any() else None
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba_nonzero(self, X) -> np.ndarray:
        """``P(y != zero | x)`` per row."""
        check_is_fitted(self, "p_nonzero_")
        if self.classifier_ is None:
            return np.full(len(X), self.p_nonzero_)
        proba = self.classifier_.predict_proba(X)
        return proba[:, list(self.classifier_.classes_).index(True)]

    def predict_amount(self, X) -> np.ndarray:
        """``E[y | y != zero, x]`` per row (the regressor's part)."""
        check_is_fitted(self, "p_nonzero_")
        if self.regressor_ is None:
            return np.full(len(X), float(self.zero))
        return np.asarray(self.regressor_.predict(X), float)

    def predict(self, X) -> np.ndarray:
        """The conditional mean ``zero + P(y != zero | x) * (E[y | y != zero, x] - zero)``."""
        p = self.predict_proba_nonzero(X)
        return self.zero + p * (self.predict_amount(X) - self.zero)


def _rows(X, mask: np.ndarray):
    """Rows of an array or a DataFrame by boolean mask."""
    return X[mask] if not hasattr(X, "iloc") else X.iloc[np.flatnonzero(mask)]
