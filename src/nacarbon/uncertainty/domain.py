"""Applicability domain calibrated on papers, and the nearest known samples, in the one space.

The threshold is a quantile of leave-papers-out distances (each paper's samples to all *other* papers):
a training row's own neighbours sit in its paper and would make the domain too tight for a real new
paper. Score 1 = as far from the data as the ``quantile`` most-remote new paper's samples were.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from nacarbon.data import columns as C
from nacarbon.errors import ConfigError
from nacarbon.uncertainty.space import LogStandardScaler, distances


def nearest(Z_query: np.ndarray, Z_ref: np.ndarray, k: int, chunk_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Distances (sorted) and indices of the ``k`` nearest ``Z_ref`` rows of each ``Z_query`` row.

    Both in the same scaled space, NaN = missing (:func:`~nacarbon.uncertainty.space.distances`: a pair
    with no shared coordinate is ``inf``). ``chunk_size`` query rows are done per distance block.
    """
    k = min(k, len(Z_ref))
    dist = np.empty((len(Z_query), k))
    idx = np.empty((len(Z_query), k), dtype=np.int64)
    for start in range(0, len(Z_query), chunk_size):
        block = distances(Z_query[start:start + chunk_size], Z_ref)
        part = np.argpartition(block, k - 1, axis=1)[:, :k]
        d = np.take_along_axis(block, part, axis=1)
        order = np.argsort(d, axis=1)
        dist[start:start + chunk_size] = np.take_along_axis(d, order, axis=1)
        idx[start:start + chunk_size] = np.take_along_axis(part, order, axis=1)
    return dist, idx


class PaperDomain(BaseEstimator):
    """kNN applicability domain with a leave-papers-out threshold and a minimum of structure data.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours averaged in the distance.
    quantile : float, default=0.95
        Quantile of the LPO distances used as the threshold, in (0, 1].
    skew_threshold : float, default=1.0
        Of :class:`LogStandardScaler`: features more skewed than this are log-scaled.
    min_structure : float, default=0.5
        Share of ``structure`` a sample must carry (rounded up: 3 of 5), else score ``inf``: distances
        skip missing coordinates, so without it a sample with no structure data could match a training
        row on HTT, current and electrolyte alone (distance 0). Every shipped training sample has at least 3.
    structure : sequence of str, default: d002, La, Lc, ID/IG, SSA
        Structure features, matched by column name when fitted on a DataFrame (an array: all count).

    Attributes
    ----------
    space_ : LogStandardScaler
        The distance space (which features were logged: ``space_.log_``).
    lpo_distances_ : numpy.ndarray of shape (n_samples,)
        Each training sample's mean distance to its nearest samples of *other* papers (``inf``: too
        little structure, not calibrated on).
    threshold_ : float
        ``quantile`` of the finite ``lpo_distances_``.
    """

    def __init__(self, *, n_neighbors: int = 5, quantile: float = 0.95, skew_threshold: float = 1.0,
                 min_structure: float = 0.5, structure: Sequence[str] = tuple(C.STRUCTURE)):
        self.n_neighbors = n_neighbors
        self.quantile = quantile
        self.skew_threshold = skew_threshold
        self.min_structure = min_structure
        self.structure = structure

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def fit(self, X, y=None, groups=None) -> PaperDomain:
        """Learn the space, index the training samples and calibrate the threshold on papers.

        ``groups``: the paper of each sample, at least two papers (else ValueError); ``y`` is ignored.
        """
        self._check_params()
        X = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        if groups is None:
            raise ValueError("PaperDomain.fit needs groups (the paper of each sample); got None")
        groups = np.asarray(groups)
        papers = np.unique(groups)
        if len(papers) < 2:
            raise ValueError(f"PaperDomain.fit needs at least two papers, got {len(papers)}")
        names = getattr(self, "feature_names_in_", None)
        self.structure_ = (np.arange(X.shape[1]) if names is None else
                           np.flatnonzero(np.isin(names.astype(str), [str(n) for n in self.structure])))
        self.min_known_ = math.ceil(self.min_structure * len(self.structure_) - 1e-9)
        self.space_ = LogStandardScaler(skew_threshold=self.skew_threshold).fit(X)
        self.Z_ = self.space_.transform(X)
        lpo = np.empty(len(X))
        for paper in papers:
            mine = groups == paper
            d, _ = self._nearest(X[mine], self.Z_[mine], self.Z_[~mine], self.n_neighbors)
            lpo[mine] = d.mean(axis=1)
        self.lpo_distances_ = lpo
        self.threshold_ = float(np.quantile(lpo[np.isfinite(lpo)], self.quantile))
        self.n_groups_ = len(papers)
        return self

    def _check_params(self) -> None:
        k = self.n_neighbors
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(key="PaperDomain.n_neighbors", value=k, allowed="a positive integer")
        if not isinstance(self.quantile, (int, float)) or not 0 < self.quantile <= 1:
            raise ConfigError(key="PaperDomain.quantile", value=self.quantile, allowed="a number in (0, 1]")
        m = self.min_structure
        if isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 <= m <= 1:
            raise ConfigError(key="PaperDomain.min_structure", value=m, allowed="a share in [0, 1]")

    def n_structure(self, X: np.ndarray) -> np.ndarray:
        """How many of the structure features each (validated) row carries."""
        cols = getattr(self, "structure_", np.arange(X.shape[1]))  # a domain pickled before the rule: all
        return (~np.isnan(X[:, cols])).sum(axis=1)

    def _nearest(self, X: np.ndarray, Z: np.ndarray, Z_ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """:func:`nearest`, with rows below ``min_known_`` at distance ``inf`` and index -1."""
        dist, idx = nearest(Z, Z_ref, k)
        few = self.n_structure(X) < getattr(self, "min_known_", 0)
        dist[few], idx[few] = np.inf, -1
        return dist, idx

    def kneighbors(self, X, n_neighbors: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distances to and indices of the nearest training samples (``inf`` and -1: too little structure)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return self._nearest(X, self.space_.transform(X), self.Z_, n_neighbors or self.n_neighbors)

    def distance(self, X) -> np.ndarray:
        """Mean distance to the ``n_neighbors`` nearest training samples (``inf``: no distance to the data)."""
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

    def reasons(self, X, score: np.ndarray | None = None) -> np.ndarray:
        """Why each row is out of the domain, in words (``""`` inside); ``score`` if already computed."""
        check_is_fitted(self)
        score = self.score(X) if score is None else np.asarray(score, float)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        have, need = self.n_structure(X), getattr(self, "min_known_", 0)
        names = self._structure_names()
        out = np.full(len(X), "", dtype=object)
        for i in np.flatnonzero(~(score <= 1.0)):
            out[i] = (f"only {have[i]} of the {len(names)} structure features ({', '.join(names)}) given; at least "
                      f"{need} are needed to place a sample among the known ones" if have[i] < need else
                      f"farther from the data than {self.quantile:.0%} of a new paper's samples "
                      f"(domain score {score[i]:.2f} > 1)")
        return out

    def _structure_names(self) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        cols = getattr(self, "structure_", np.arange(self.n_features_in_))
        return [str(names[j]) if names is not None else f"x{j}" for j in cols]

    def describe(self, feature_names: list[str] | None = None) -> str:
        """What the score and the flag mean, in one paragraph for reports and output files."""
        check_is_fitted(self)
        given = getattr(self, "feature_names_in_", None)
        names = feature_names or ([str(n) for n in given] if given is not None else
                                  [f"x{i}" for i in range(self.n_features_in_)])
        logged = [n for n, lg in zip(names, self.space_.log_) if lg] or ["none"]
        need = getattr(self, "min_known_", 0)
        rule = (f" A sample with fewer than {need} of the structure features "
                f"({', '.join(names[j] for j in self.structure_)}) has no distance to the data: score inf, "
                f"out of the domain, and domain_note says so." if need else "")
        return (f"domain_score = mean distance to the {self.n_neighbors} nearest training samples "
                f"(features {', '.join(names)}; log-scaled: {', '.join(logged)}; then standardized; "
                f"missing features skipped and the distance scaled up for them) divided by "
                f"{self.threshold_:.3g}, the {self.quantile:.0%} quantile of the same distance for each "
                f"of {self.n_groups_} papers' samples to the other papers. in_domain = score <= 1: the "
                f"sample is no farther from the data than {self.quantile:.0%} of a new paper's samples were."
                + rule)
