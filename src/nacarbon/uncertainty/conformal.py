"""Locally adaptive conformal regression with papers as the exchangeable unit (normalized CV+).

Not a library call: crepes 0.9.1 has normalized split conformal (used for ``method="split"``) but no
CV+ over fold models, and its kNN difficulty clips queries onto the training box and refuses NaN;
MAPIE 1.6's grouped CV+ takes only unnormalized residuals. So the CV+ part is written here.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted, validate_data

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.difficulty import DIFFICULTIES, Difficulty  # noqa: F401  (pickles name conformal.Difficulty)
from nacarbon.uncertainty.quantiles import order_stat, paper_scores, weighted_upper

METHODS = ("cv+", "split")
WEIGHTINGS = ("paper", "row")


class GroupConformalRegressor(RegressorMixin, BaseEstimator):
    """Regressor with normalized conformal intervals calibrated over paper-grouped folds.

    Parameters
    ----------
    estimator : regressor, default=None
        Point model, cloned per fold and once on all rows; None: ExtraTrees (300 trees).
    difficulty : {"knn", "residual", "spread", "none"}, default="knn"
        Per-sample difficulty dividing the scores (:class:`Difficulty`); "none" is plain CV+.
    alpha : float, default=0.1
        Miscoverage: intervals aim at 1 - alpha coverage of a new paper's samples.
    cv : splitter, default=None
        Grouped splitter whose test folds partition the rows; None: ``GroupKFold(5, shuffle=True)``.
    bounds : tuple of float, default=(-inf, inf)
        Physical range of the target; intervals and points are clipped to it.
    method : {"cv+", "split"}, default="cv+"
        ``cv+``: Barber et al. 2021 CV+ with each fold's model and difficulty; ``split``: refit model
        +/- the quantile of out-of-fold scores times its difficulty (crepes; no finite-sample guarantee).
    n_neighbors : int, default=10
        k of the kNN difficulty.
    beta : float, default=0.1
        Difficulty floor as a fraction of the median out-of-fold difficulty (no zero-width intervals).
    random_state : int, default=0
        Seed of the default splitter.
    weighting : {"paper", "row"}, default="paper"
        ``row``: each row counts once (coverage of a random row); ``paper``: rows weigh 1 / rows of their
        paper, so a new lab's paper is one more exchangeable paper (pooled CDF, Dunn et al. 2022).
    paper_share : float, default=None
        In (0, 1]: one score per paper, the ``ceil(paper_share * n)``-th smallest of its n, so with
        probability 1 - alpha at least ``paper_share`` of a new lab's rows are covered; this lifts the
        worst-covered labs (experiments/intervals.md). None: every row is a score.

    Attributes
    ----------
    estimator_ : regressor
        Fitted on all rows (gives ``predict``).
    oof_, sigma_oof_, scores_, fold_of_ : numpy.ndarray
        Out-of-fold predictions, difficulties, normalized scores |y - oof| / sigma, fold index.
    groups_, y_ : numpy.ndarray
        Paper and target of each training row.
    """

    def __init__(self, estimator=None, *, difficulty: str = "knn", alpha: float = 0.1, cv=None,
                 bounds: tuple[float, float] = (-math.inf, math.inf), method: str = "cv+",
                 n_neighbors: int = 10, beta: float = 0.1, random_state: int = 0, weighting: str = "paper",
                 paper_share: float | None = None):
        self.estimator = estimator
        self.difficulty = difficulty
        self.alpha = alpha
        self.cv = cv
        self.bounds = bounds
        self.method = method
        self.n_neighbors = n_neighbors
        self.beta = beta
        self.random_state = random_state
        self.weighting = weighting
        self.paper_share = paper_share

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _check(self) -> None:
        name = "GroupConformalRegressor"
        for key, value, allowed in (("difficulty", self.difficulty, DIFFICULTIES), ("method", self.method, METHODS),
                                    ("weighting", self.weighting, WEIGHTINGS)):
            if value not in allowed:
                raise ConfigError(key=f"{name}.{key}", value=value, allowed=list(allowed))
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or not 0 < self.alpha < 1:
            raise ConfigError(key=f"{name}.alpha", value=self.alpha, allowed="a number in (0, 1)")
        share = self.paper_share
        if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1):
            raise ConfigError(key=f"{name}.paper_share", value=share, allowed="None or a number in (0, 1]")
        lo, hi = self.bounds
        if not lo < hi:
            raise ConfigError(key=f"{name}.bounds", value=self.bounds, allowed="(low, high) with low < high")

    def fit(self, X, y, groups) -> GroupConformalRegressor:
        """Fit fold models and difficulties, calibrate the scores, refit on all rows.

        ``groups`` is the paper of each row (no paper on both sides of a fold). Raises ConfigError on a bad
        parameter, ValueError without groups or when the test folds do not cover each row exactly once.
        """
        self._check()
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64, y_numeric=True)
        if groups is None:
            raise ValueError("GroupConformalRegressor.fit needs groups (the paper of each row); got None")
        groups = np.asarray(groups)
        cv = self.cv if self.cv is not None else GroupKFold(n_splits=5, shuffle=True, random_state=self.random_state)
        base = self.estimator if self.estimator is not None else ExtraTreesRegressor(n_estimators=300, random_state=0)
        n = len(y)
        self.fold_of_ = np.full(n, -1)
        self.oof_ = np.full(n, np.nan)
        raw = np.full(n, np.nan)
        self.fold_models_, self.fold_difficulties_ = [], []
        for k, (train, test) in enumerate(cv.split(X, y, groups)):
            if (self.fold_of_[test] >= 0).any():
                raise ValueError("GroupConformalRegressor: the splitter's test folds overlap; CV+ needs a "
                                 "partition (use one repeat of GroupKFold)")
            if set(groups[train]) & set(groups[test]):
                raise ValueError(f"GroupConformalRegressor: fold {k} has a group on both sides")
            model = clone(base).fit(X[train], y[train])
            diff = Difficulty(self.difficulty, self.n_neighbors).fit(X[train], model, y[train])
            self.fold_of_[test] = k
            self.oof_[test] = model.predict(X[test])
            raw[test] = diff.apply(X[test])
            self.fold_models_.append(model)
            self.fold_difficulties_.append(diff)
        if (self.fold_of_ < 0).any():
            raise ValueError(f"GroupConformalRegressor: {int((self.fold_of_ < 0).sum())} rows are in no test fold")
        self.floor_ = float(self.beta * np.median(raw)) if self.difficulty != "none" else 0.0
        self.sigma_oof_ = raw + self.floor_
        self.scores_ = np.abs(y - self.oof_) / self.sigma_oof_
        self.groups_ = groups
        self.y_ = y
        self.estimator_ = clone(base).fit(X, y)
        self.difficulty_ = Difficulty(self.difficulty, self.n_neighbors).fit(X, self.estimator_, y)
        from crepes import ConformalRegressor

        self.calibrator_ = ConformalRegressor().fit(y - self.oof_, sigmas=self.sigma_oof_)
        return self

    def predict(self, X) -> np.ndarray:
        """Point predictions of the model refit on all rows, clipped to ``bounds``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return np.clip(self.estimator_.predict(X), *self.bounds)

    def calibration_weights(self, weighting: str | None = None) -> np.ndarray:
        """Weight of each calibration score: 1 (``row``) or 1 / rows of its paper (``paper``)."""
        weighting = weighting or getattr(self, "weighting", "row")  # predictors pickled before weighting: rows
        if weighting not in WEIGHTINGS:
            raise ConfigError(key="weighting", value=weighting, allowed=list(WEIGHTINGS))
        if weighting == "row":
            return np.ones(len(self.scores_))
        _, inverse, counts = np.unique(self.groups_, return_inverse=True, return_counts=True)
        return 1.0 / counts[inverse]

    def calibration_units(self, weighting: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The calibration scores the intervals use: (fold of each unit, its score, its weight).

        Rows weighed per ``weighting`` or, with ``paper_share`` set, one unit per paper (its
        two-level score, weight 1; all rows of a paper share a fold, so its fold is theirs).
        """
        share = getattr(self, "paper_share", None)  # predictors pickled before it: rows
        if share is None:
            return self.fold_of_, self.scores_, self.calibration_weights(weighting)
        papers, scores = paper_scores(self.scores_, self.groups_, float(share))
        first = np.unique(self.groups_, return_index=True)[1]  # aligned with the sorted papers
        return self.fold_of_[first], scores, np.ones(len(papers))

    def predict_interval(self, X, alpha: float | None = None,
                         weighting: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the 1 - alpha interval, clipped to ``bounds``.

        ``alpha`` and ``weighting`` override the fitted ones (``weighting`` is moot with ``paper_share``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        alpha = self.alpha if alpha is None else alpha
        folds, scores, weights = self.calibration_units(weighting)
        if self.method == "split" and (weights.min() < 1 or len(scores) < len(self.scores_)):
            return self._split_weighted(X, alpha, scores, weights)
        if self.method == "split":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # too few rows: crepes returns +-inf, which we clip
                iv = self.calibrator_.predict_int(self.estimator_.predict(X), sigmas=self.difficulty_.apply(X) + self.floor_,
                                                  confidence=1 - alpha, y_min=self.bounds[0], y_max=self.bounds[1])
            return iv[:, 0], iv[:, 1]
        return self._cv_plus(X, alpha, folds, scores, weights)

    def _split_weighted(self, X: np.ndarray, alpha: float, scores: np.ndarray,
                        weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Refit model +/- the weighted (or per-paper) score quantile times its difficulty."""
        q = weighted_upper(scores[:, None], weights, (1 - alpha) * (weights.sum() + 1))[0]
        mu, sd = self.estimator_.predict(X), self.difficulty_.apply(X) + self.floor_
        return np.clip(mu - q * sd, *self.bounds), np.clip(mu + q * sd, *self.bounds)

    def _cv_plus(self, X: np.ndarray, alpha: float, folds: np.ndarray, scores: np.ndarray, weights: np.ndarray,
                 chunk_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
        n = len(scores)
        k_hi = math.ceil((1 - alpha) * (n + 1) - 1e-9)
        k_lo = math.floor(alpha * (n + 1) + 1e-9)
        level = (1 - alpha) * (weights.sum() + 1)  # the new paper (or row) weighs 1 at +inf
        by_row = bool(np.all(weights == 1))
        # Each fold model predicts every row in one call (per-call overhead of a forest dominates
        # small batches); only the (n_train, rows) order statistics are taken in chunks, for memory.
        mu = np.array([m.predict(X) for m in self.fold_models_])                   # (K, m)
        sd = np.array([d.apply(X) for d in self.fold_difficulties_]) + self.floor_
        lo = np.empty(len(X))
        hi = np.empty(len(X))
        for start in range(0, len(X), chunk_size):
            part = slice(start, start + chunk_size)
            mu_i, sd_i = mu[:, part][folds], sd[:, part][folds]                       # (n, chunk)
            half = scores[:, None] * sd_i
            if by_row:  # order statistics: the same answer as the weighted path, faster
                lo[part] = order_stat(mu_i - half, k_lo, axis=0)
                hi[part] = order_stat(mu_i + half, k_hi, axis=0)
            else:
                lo[part] = -weighted_upper(-(mu_i - half), weights, level)
                hi[part] = weighted_upper(mu_i + half, weights, level)
        return np.clip(lo, *self.bounds), np.clip(hi, *self.bounds)
