"""Paper-aware corrections: a per-paper (per-lab) offset, learned from out-of-fold residuals.

About 45 % of the out-of-fold error variance of the project's models is a per-paper offset
(one-way random-effects tau2 / (tau2 + sigma2) of ExtraTrees' grouped out-of-fold residuals: 0.45
literature ICE, 0.46 merged ICE; experiments/figures.md). Once some samples of a paper are measured, their residuals tell how
far that lab's values sit from the model; a shrunk mean of them shifts the paper's other
predictions (a random-intercept model with variance ``tau2`` between papers and ``sigma2``
within). A candidate from a paper with nothing measured keeps the full ``tau2`` as extra
uncertainty: that is what makes a first sample of a new paper worth exploring.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


class GroupOffsets:
    """Random-intercept estimate of per-group offsets from residuals.

    Parameters
    ----------
    min_tau2_share : float, default=0.0
        Floor on the between-group share of the residual variance (method-of-moments
        estimates can be negative on few groups).

    Attributes
    ----------
    tau2_ : float
        Between-group variance of the offsets.
    sigma2_ : float
        Within-group residual variance.
    offsets_ : dict
        Group -> shrunk mean residual ``n tau2 / (n tau2 + sigma2) * mean``.
    post_var_ : dict
        Group -> posterior variance of its offset, ``tau2 sigma2 / (n tau2 + sigma2)``.
    """

    def __init__(self, min_tau2_share: float = 0.0):
        self.min_tau2_share = min_tau2_share

    def fit(self, residuals: np.ndarray, groups: Sequence) -> GroupOffsets:
        """Estimate ``tau2``, ``sigma2`` and each group's offset from ``residuals``."""
        r = pd.Series(np.asarray(residuals, float)).reset_index(drop=True)
        g = pd.Series(list(groups)).reset_index(drop=True)
        ok = r.notna().to_numpy()
        r, g = r[ok], g[ok]
        total = float(r.var(ddof=1)) if len(r) > 1 else 0.0
        stats = r.groupby(g.to_numpy()).agg(["mean", "count", "var"])
        multi = stats[stats["count"] > 1]
        # within: pooled variance of groups with 2+ rows; between: variance of means minus its noise
        sigma2 = float((multi["var"] * (multi["count"] - 1)).sum() / max((multi["count"] - 1).sum(), 1)) \
            if len(multi) else total
        tau2 = float(stats["mean"].var(ddof=1) - np.mean(sigma2 / stats["count"])) if len(stats) > 1 else 0.0
        self.sigma2_ = max(sigma2, 1e-12)
        self.tau2_ = max(tau2, self.min_tau2_share * total, 0.0)
        n = stats["count"].to_numpy(float)
        shrink = n * self.tau2_ / (n * self.tau2_ + self.sigma2_)
        self.offsets_ = dict(zip(stats.index, shrink * stats["mean"].to_numpy()))
        self.post_var_ = dict(zip(stats.index, self.tau2_ * self.sigma2_ / (n * self.tau2_ + self.sigma2_)))
        return self

    def offset(self, groups: Sequence) -> np.ndarray:
        """Offset of each row's group (0 for a group with no residual)."""
        return np.array([self.offsets_.get(x, 0.0) for x in groups], dtype=float)

    def variance(self, groups: Sequence) -> np.ndarray:
        """Uncertainty of each row's offset: ``tau2`` for an unseen group, the posterior otherwise."""
        return np.array([self.post_var_.get(x, self.tau2_) for x in groups], dtype=float)
