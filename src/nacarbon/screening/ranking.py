"""Ranking candidates: Pareto fronts, a weighted score, and chunk-mergeable accumulators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError
from nacarbon.screening.grid import CANDIDATE_ID

DIRECTIONS = ("max", "min")


def _gains(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(maximize):
        raise ValueError(f"values must be 2-D with {len(maximize)} columns, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("Pareto ranking needs finite values")
    # Flip minimised columns so "larger is better" everywhere.
    return values * np.where(np.asarray(maximize, dtype=bool), 1.0, -1.0)


def pareto_front(values: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """Mask of the non-dominated rows of finite ``values`` (n, m); ``maximize`` gives each column's direction.

    A row dominates another when it is at least as good everywhere and better somewhere, so exact
    duplicates of a front point are all kept. Rows are visited by decreasing sum of range-scaled
    objectives (a dominating row has the larger sum), which makes the cost about O(n * front size).
    """
    gain = _gains(values, maximize)
    if len(gain) == 0:
        return np.zeros(0, dtype=bool)
    span = np.ptp(gain, axis=0)
    scaled = (gain - gain.min(axis=0)) / np.where(span > 0, span, 1.0)
    alive = np.argsort(-scaled.sum(axis=1), kind="stable")
    # One contiguous array per objective: comparisons along a length-m axis are slow in numpy.
    cols = np.ascontiguousarray(gain[alive].T)
    i = 0
    while i < len(alive):
        dominated = _dominated_mask(cols, cols[:, i])
        if dominated.any():
            keep = ~dominated
            alive, cols = alive[keep], cols[:, keep]
            # Rounding in the sums could let a visited row be removed later; count survivors.
            i = int(np.count_nonzero(keep[:i]))
        i += 1
    mask = np.zeros(len(gain), dtype=bool)
    mask[alive] = True
    return mask


def _dominated_mask(cols: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Which columns of ``cols`` (shape (m, n)) ``point`` dominates; works with broadcasting."""
    at_most = cols[0] <= point[0]
    below = cols[0] < point[0]
    for j in range(1, len(cols)):
        at_most &= cols[j] <= point[j]
        below |= cols[j] < point[j]
    return at_most & below


def dominated_by(values: np.ndarray, others: np.ndarray, maximize: Sequence[bool]) -> np.ndarray:
    """Mask of rows of ``values`` (n, m) that some row of ``others`` (k, m) dominates.

    Merging two fronts needs only these cross checks; blocks bound each n x k comparison to a few
    million elements.
    """
    gain, other = _gains(values, maximize), _gains(others, maximize)
    out = np.zeros(len(gain), dtype=bool)
    if len(other) == 0:
        return out
    step = max(1, 4_000_000 // len(other))
    for start in range(0, len(gain), step):
        # (m, block, 1) rows under test against (m, 1, k) dominators -> (block, k)
        block = gain[start:start + step].T[:, :, None]
        out[start:start + step] = _dominated_mask(block, other.T[:, None, :]).any(axis=1)
    return out


def check_ranking(targets: Sequence[str], weights: Mapping[str, float], directions: Mapping[str, str],
                  ranges: Mapping[str, tuple[float, float]] | None = None) -> None:
    """Check that every ranked target has a finite weight >= 0, a direction and (if given) a range.

    ConfigError naming the target on a bad weight, direction or ``(low, high)`` range, on no target
    or on all-zero weights. Keys beyond ``targets`` are ignored.
    """
    if not targets:
        raise ConfigError("ranking needs at least one target")
    for target in targets:
        w = weights.get(target)
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not np.isfinite(w) or w < 0:
            raise ConfigError(key=f"screen.weights.{target}", value=w, allowed="a finite number >= 0")
        if directions.get(target) not in DIRECTIONS:
            raise ConfigError(f"ranking target '{target}': direction must be 'max' or 'min', "
                              f"got {directions.get(target)!r}")
        if ranges is None:
            continue
        if target not in ranges:
            raise ConfigError(f"ranking target '{target}': no reference range")
        low, high = (float(v) for v in ranges[target])
        if not (np.isfinite(low) and np.isfinite(high)) or high < low:
            raise ConfigError(f"ranking target '{target}': bad reference range ({low}, {high})")
    if sum(float(weights[t]) for t in targets) <= 0:
        raise ConfigError("must not all be zero", key="screen.weights", value={t: weights[t] for t in targets})


def weighted_score(preds: pd.DataFrame, weights: Mapping[str, float], directions: Mapping[str, str],
                   scale_from: Mapping[str, tuple[float, float]]) -> np.ndarray:
    """Weighted mean ``sum_t w_t d_t / sum_t w_t`` of desirabilities of ``preds``' columns on fixed ranges.

    With ``(low, high) = scale_from[t]``, ``d_t = (p - low) / (high - low)`` for "max" and
    ``(high - p) / (high - low)`` for "min" (1: the best end), not clipped, so a candidate beyond the
    range ranks above one at its edge. The ranges are fixed per run, so a score does not depend on
    chunking; a target with ``high == low`` contributes 0.
    """
    targets = list(weights)
    check_ranking(targets, weights, directions, scale_from)
    total = sum(float(weights[t]) for t in targets)
    score = np.zeros(len(preds))
    for target in targets:
        low, high = (float(v) for v in scale_from[target])
        if high == low or weights[target] == 0:
            continue
        p = preds[target].to_numpy(dtype=np.float64)
        desirability = (p - low) / (high - low) if directions[target] == "max" else (high - p) / (high - low)
        score += float(weights[target]) * desirability
    return score / total


def _union(kept: pd.DataFrame | None, rows: pd.DataFrame) -> pd.DataFrame:
    # Skip empty operands: concat with an empty frame can change dtypes.
    if kept is None or len(kept) == 0:
        return rows
    if len(rows) == 0:
        return kept
    return pd.concat([kept, rows], ignore_index=True)


class TopK:
    """Running best ``k`` rows by ``score_col`` (maximised); ties go to the lower candidate id."""

    def __init__(self, k: int, score_col: str = "score"):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ConfigError(key="screen.top_k", value=k, allowed="a positive integer")
        self.k = int(k)
        self.score_col = score_col
        self.frame: pd.DataFrame | None = None

    def update(self, rows: pd.DataFrame) -> TopK:
        """Merge rows (a chunk's feasible candidates or another accumulator's frame); returns self.

        ``rows`` must hold ``candidate_id`` and the score column; rows with a NaN score are dropped.
        """
        rows = rows[np.isfinite(rows[self.score_col].to_numpy(dtype=np.float64))]
        both = _union(self.frame, rows)
        # (score desc, id asc) is a total order, so the kept set is independent of chunking.
        order = np.lexsort((both[CANDIDATE_ID].to_numpy(), -both[self.score_col].to_numpy(dtype=np.float64)))
        self.frame = both.iloc[order[: self.k]].reset_index(drop=True)
        return self

    def merge(self, other: TopK) -> TopK:
        """Absorb another accumulator's rows; returns self."""
        return self if other.frame is None else self.update(other.frame)

    def result(self) -> pd.DataFrame:
        """The kept rows, best first, with a 1-based ``rank`` column."""
        if self.frame is None:
            return pd.DataFrame({"rank": pd.Series(dtype="int64")})
        return self.frame.assign(rank=np.arange(1, len(self.frame) + 1))


class ParetoAccumulator:
    """Running non-dominated set over chunks on the ``targets`` columns (``maximize``: one direction each).

    ``front(A | B) == front(front(A) | front(B))``: a row dominated in its chunk is dominated in the
    union too, so merging chunk fronts loses nothing.
    """

    def __init__(self, targets: Sequence[str], maximize: Sequence[bool]):
        if len(targets) != len(maximize) or not targets:
            raise ConfigError("ParetoAccumulator needs one direction per target and at least one target")
        self.targets = list(targets)
        self.maximize = list(maximize)
        self.frame: pd.DataFrame | None = None

    def update(self, rows: pd.DataFrame) -> ParetoAccumulator:
        """Merge rows (feasible candidates, finite objective values); returns self."""
        rows = rows[pareto_front(rows[self.targets].to_numpy(dtype=np.float64), self.maximize)]
        if self.frame is not None and len(self.frame) and len(rows):
            old, new = (f[self.targets].to_numpy(dtype=np.float64) for f in (self.frame, rows))
            fresh = ~dominated_by(new, old, self.maximize)
            # A new row that an old one dominates cannot dominate any old row (the old front
            # would then dominate itself), so only the fresh rows are checked against the old.
            rows = _union(self.frame[~dominated_by(old, new[fresh], self.maximize)], rows[fresh])
        elif self.frame is not None and len(self.frame):
            rows = self.frame
        self.frame = rows.iloc[np.argsort(rows[CANDIDATE_ID].to_numpy(), kind="stable")].reset_index(drop=True)
        return self

    def merge(self, other: ParetoAccumulator) -> ParetoAccumulator:
        """Absorb another accumulator's front; returns self."""
        return self if other.frame is None else self.update(other.frame)

    def result(self) -> pd.DataFrame:
        """The non-dominated rows, ordered by candidate id."""
        return pd.DataFrame() if self.frame is None else self.frame.copy()
