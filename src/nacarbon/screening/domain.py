"""Applicability domain: is a candidate close enough to the training data to trust a model?

A candidate's score is its mean Euclidean distance to the ``n_neighbors`` nearest training
rows in scaled feature space. The in-domain threshold is a quantile of the same statistic
computed for the training rows themselves (each against the *other* training rows), so
``quantile=0.95`` means "no farther from the data than 95 % of the training rows are from
their own neighbours".
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import RobustScaler, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from nacarbon.errors import ConfigError

_SCALERS = {"standard": StandardScaler, "robust": RobustScaler}
_MISSING = ("drop", "median")


class ApplicabilityDomain(BaseEstimator):
    """k-nearest-neighbour applicability domain in scaled feature space.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours averaged in the distance score.
    quantile : float, default=0.95
        Quantile of the training rows' own scores used as the in-domain threshold,
        in (0, 1].
    scaler : {"standard", "robust"}, default="standard"
        Feature scaling before distances are taken: z-scores, or median/IQR (less
        pulled by a few extreme literature values).
    missing : {"drop", "median"}, default="drop"
        Rows with missing features: ``"drop"`` fits on complete training rows only and
        scores incomplete query rows as NaN (never in domain); ``"median"`` fills gaps
        with the training medians, in fit and at query time.

    Attributes
    ----------
    scaler_ : StandardScaler or RobustScaler
        Scaler fitted on the (complete or imputed) training rows.
    medians_ : numpy.ndarray of shape (n_features,)
        Training medians (NaN-ignoring), used when ``missing="median"``.
    nn_ : NearestNeighbors
        Index over the scaled training rows.
    train_scores_ : numpy.ndarray of shape (n_fit_samples,)
        Each training row's mean distance to its ``n_neighbors`` nearest other rows.
    threshold_ : float
        ``quantile`` of ``train_scores_``.
    n_samples_fit_ : int
        Training rows kept after the missing-value policy.
    n_features_in_ : int
        Number of features seen in fit.

    Notes
    -----
    The default drops incomplete rows because a median-filled neighbour is not a material
    anyone measured; with many gaps in one feature, ``"median"`` keeps more of the data at
    the cost of pulling filled rows towards the centre.
    """

    def __init__(self, n_neighbors: int = 5, quantile: float = 0.95,
                 scaler: str = "standard", missing: str = "drop"):
        self.n_neighbors = n_neighbors
        self.quantile = quantile
        self.scaler = scaler
        self.missing = missing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check_params(self) -> None:
        k = self.n_neighbors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(f"ApplicabilityDomain: n_neighbors must be a positive integer, got {k!r}")
        if not isinstance(self.quantile, (int, float)) or not 0 < self.quantile <= 1:
            raise ConfigError(f"ApplicabilityDomain: quantile must be in (0, 1], got {self.quantile!r}")
        if self.scaler not in _SCALERS:
            raise ConfigError(f"ApplicabilityDomain: scaler must be one of {sorted(_SCALERS)}, "
                              f"got {self.scaler!r}")
        if self.missing not in _MISSING:
            raise ConfigError(f"ApplicabilityDomain: missing must be one of {list(_MISSING)}, "
                              f"got {self.missing!r}")

    def fit(self, X, y=None) -> ApplicabilityDomain:
        """Fit the scaler, the neighbour index and the threshold on training features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features; NaN handled per ``missing``, infinities rejected.
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        ApplicabilityDomain
            The fitted estimator.

        Raises
        ------
        ConfigError
            On an invalid parameter.
        ValueError
            If fewer than ``n_neighbors + 1`` usable rows remain (each row needs
            ``n_neighbors`` others to be scored).
        """
        self._check_params()
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        with np.errstate(all="ignore"):
            self.medians_ = np.nanmedian(X, axis=0) if len(X) else np.full(X.shape[1], np.nan)
        X_fit = self._handle_missing(X, fitting=True)
        n = len(X_fit)
        if n < self.n_neighbors + 1:
            raise ValueError(f"ApplicabilityDomain needs at least n_neighbors + 1 = {self.n_neighbors + 1} "
                             f"usable training rows, got n_samples={n}")
        self.scaler_ = _SCALERS[self.scaler]().fit(X_fit)
        self.nn_ = NearestNeighbors(n_neighbors=self.n_neighbors).fit(self.scaler_.transform(X_fit))
        # kneighbors() without X leaves each training row out of its own neighbour list.
        distances, _ = self.nn_.kneighbors()
        self.train_scores_ = distances.mean(axis=1)
        self.threshold_ = float(np.quantile(self.train_scores_, self.quantile))
        self.n_samples_fit_ = n
        return self

    def _handle_missing(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        incomplete = np.isnan(X).any(axis=1)
        if not incomplete.any():
            return X
        if self.missing == "median":
            if np.isnan(self.medians_).any():
                raise ValueError("ApplicabilityDomain: a feature has no observed training value "
                                 "to impute from")
            return np.where(np.isnan(X), self.medians_, X)
        return X[~incomplete] if fitting else X

    def score(self, X, y=None) -> np.ndarray:
        """Mean distance of each row to its ``n_neighbors`` nearest training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Query features (same columns as in fit).
        y : None
            Ignored; present for pipeline compatibility.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            Distances in scaled space; NaN for incomplete rows when ``missing="drop"``.

        Notes
        -----
        Unlike scikit-learn's ``score``, this returns one value per row: it is a distance,
        not a goodness of fit. A training row queried here counts itself (distance 0), so
        its score is lower than its ``train_scores_`` entry.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        X = self._handle_missing(X, fitting=False)
        scores = np.full(len(X), np.nan)
        complete = ~np.isnan(X).any(axis=1)
        if complete.any():
            distances, _ = self.nn_.kneighbors(self.scaler_.transform(X[complete]))
            scores[complete] = distances.mean(axis=1)
        return scores

    def predict(self, X) -> np.ndarray:
        """Whether each row lies inside the applicability domain.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Query features.

        Returns
        -------
        numpy.ndarray of bool, shape (n_samples,)
            ``score(X) <= threshold_``; rows that cannot be scored are False.
        """
        return self.score(X) <= self.threshold_
