"""Applicability domain calibrated on papers: how far is a sample from the data, compared with a new paper?

The screening domain (:mod:`nacarbon.screening.domain`) compares a candidate's distance with the
training rows' distances to their *own* neighbours, which usually sit in the same paper; its
95 % threshold is therefore tight for real new papers and, on raw (unlogged) SSA, loose along
the SSA axis. Here the threshold is a quantile of leave-papers-out (LPO) distances: for each
paper, the distance of its samples to the samples of all *other* papers. A score of 1 means
"as far from the data as the ``quantile`` most-remote new paper's samples were"; that is what
a lab's new carbon looks like to the model.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics.pairwise import nan_euclidean_distances
from sklearn.utils.validation import check_is_fitted, validate_data

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.space import LogStandardScaler


def nearest(Z_query: np.ndarray, Z_ref: np.ndarray, k: int, chunk_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest reference rows of each query row under a NaN-aware Euclidean distance.

    Parameters
    ----------
    Z_query, Z_ref : numpy.ndarray
        Rows in the same (scaled) space; NaN marks a missing feature.
    k : int
        Neighbours returned (at most ``len(Z_ref)``).
    chunk_size : int, default=2048
        Query rows per distance block (memory: chunk_size x len(Z_ref) floats).

    Returns
    -------
    distances, indices : numpy.ndarray of shape (n_query, k)
        Sorted by distance. Distances use only the coordinates both rows have, scaled up by
        ``sqrt(n_features / n_shared)`` (scikit-learn's ``nan_euclidean_distances``), so a row
        with gaps is not artificially close; a pair with no shared coordinate is ``inf``.
    """
    k = min(k, len(Z_ref))
    dist = np.empty((len(Z_query), k))
    idx = np.empty((len(Z_query), k), dtype=np.int64)
    for start in range(0, len(Z_query), chunk_size):
        block = nan_euclidean_distances(Z_query[start:start + chunk_size], Z_ref)
        block = np.where(np.isnan(block), np.inf, block)
        part = np.argpartition(block, k - 1, axis=1)[:, :k]
        d = np.take_along_axis(block, part, axis=1)
        order = np.argsort(d, axis=1)
        dist[start:start + chunk_size] = np.take_along_axis(d, order, axis=1)
        idx[start:start + chunk_size] = np.take_along_axis(part, order, axis=1)
    return dist, idx


class PaperDomain(BaseEstimator):
    """kNN applicability domain with a leave-papers-out threshold.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours averaged in the distance.
    quantile : float, default=0.95
        Quantile of the LPO distances used as the threshold, in (0, 1].
    skew_threshold : float, default=1.0
        Passed to :class:`LogStandardScaler`: features more skewed than this are log-scaled.

    Attributes
    ----------
    space_ : LogStandardScaler
        The distance space (which features were logged: ``space_.log_``).
    lpo_distances_ : numpy.ndarray of shape (n_samples,)
        Each training sample's mean distance to its ``n_neighbors`` nearest samples of the
        *other* papers.
    threshold_ : float
        ``quantile`` of ``lpo_distances_``.
    n_groups_ : int
        Papers seen in fit.
    """

    def __init__(self, *, n_neighbors: int = 5, quantile: float = 0.95, skew_threshold: float = 1.0):
        self.n_neighbors = n_neighbors
        self.quantile = quantile
        self.skew_threshold = skew_threshold

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X, y=None, groups=None) -> PaperDomain:
        """Learn the space, index the training samples and calibrate the threshold on papers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training features (NaN allowed).
        y : None
            Ignored.
        groups : array-like of shape (n_samples,)
            The paper of each sample; at least two papers.

        Returns
        -------
        PaperDomain

        Raises
        ------
        ConfigError
            On a bad parameter.
        ValueError
            Without groups or with fewer than two papers.
        """
        k = self.n_neighbors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(f"PaperDomain: n_neighbors must be a positive integer, got {k!r}")
        if not isinstance(self.quantile, (int, float)) or not 0 < self.quantile <= 1:
            raise ConfigError(f"PaperDomain: quantile must be in (0, 1], got {self.quantile!r}")
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        if groups is None:
            raise ValueError("PaperDomain.fit needs groups (the paper of each sample); got None")
        groups = np.asarray(groups)
        papers = np.unique(groups)
        if len(papers) < 2:
            raise ValueError(f"PaperDomain.fit needs at least two papers, got {len(papers)}")
        self.space_ = LogStandardScaler(skew_threshold=self.skew_threshold).fit(X)
        self.Z_ = self.space_.transform(X)
        lpo = np.empty(len(X))
        for paper in papers:
            mine = groups == paper
            d, _ = nearest(self.Z_[mine], self.Z_[~mine], k)
            lpo[mine] = d.mean(axis=1)
        self.lpo_distances_ = lpo
        finite = lpo[np.isfinite(lpo)]
        self.threshold_ = float(np.quantile(finite, self.quantile))
        self.n_groups_ = len(papers)
        return self

    def kneighbors(self, X, n_neighbors: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distances to and indices of the nearest training samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        n_neighbors : int, optional
            Default: ``self.n_neighbors``.

        Returns
        -------
        distances, indices : numpy.ndarray of shape (n_samples, n_neighbors)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return nearest(self.space_.transform(X), self.Z_, n_neighbors or self.n_neighbors)

    def distance(self, X) -> np.ndarray:
        """Mean distance to the ``n_neighbors`` nearest training samples (``inf``: no shared feature)."""
        return self.kneighbors(X)[0].mean(axis=1)

    def score(self, X, y=None) -> np.ndarray:
        """Domain score: distance / threshold (<= 1 in domain). One value per row, not a fit score."""
        return self.distance(X) / self.threshold_

    def percentile(self, X) -> np.ndarray:
        """Share of the LPO distances (new papers' samples) that are at most as far as each row."""
        d = self.distance(X)
        ref = np.sort(self.lpo_distances_)
        return np.searchsorted(ref, d, side="right") / len(ref)

    def predict(self, X) -> np.ndarray:
        """True where ``score(X) <= 1``: no farther from the data than ``quantile`` of new papers' samples."""
        return self.score(X) <= 1.0

    def describe(self, feature_names: list[str] | None = None) -> str:
        """What the score and the flag mean, in one paragraph for reports and output files."""
        check_is_fitted(self)
        names = feature_names or [f"x{i}" for i in range(self.n_features_in_)]
        logged = [n for n, lg in zip(names, self.space_.log_) if lg] or ["none"]
        return (f"domain_score = mean distance to the {self.n_neighbors} nearest training samples "
                f"(features {', '.join(names)}; log-scaled: {', '.join(logged)}; then standardized; "
                f"missing features skipped and the distance scaled up for them) divided by "
                f"{self.threshold_:.3g}, the {self.quantile:.0%} quantile of the same distance for each "
                f"of {self.n_groups_} papers' samples to the other papers. in_domain = score <= 1: the "
                f"sample is no farther from the data than {self.quantile:.0%} of a new paper's samples were.")
