"""Choosing a batch: the best candidates that are not near-copies of each other.

A lab measuring eight samples learns little from eight neighbours of one optimum. Picks go
greedily in acquisition order, skipping one closer than ``min_distance`` (on the coordinates the
caller passes, for ``suggest`` the settings a lab controls) to a pick, or over ``max_per_group``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.space import distances


def greedy_diverse(values: np.ndarray, points: np.ndarray, n: int, *, min_distance: float = 0.0,
                   groups: Sequence | None = None, max_per_group: int | None = None) -> np.ndarray:
    """Indices of up to ``n`` candidates, best ``values`` first (NaN never), pairwise ``min_distance`` apart.

    ``points`` (m, d) are in the scaled space (:class:`~nacarbon.uncertainty.space.LogStandardScaler`);
    ``groups`` names who would make each candidate, for ``max_per_group``. Fewer than ``n`` only when
    the rules leave fewer candidates.
    """
    check_n(n)
    if min_distance < 0:
        raise ConfigError(key="min_distance", value=min_distance, allowed="a number >= 0")
    values = np.asarray(values, float)
    order = np.argsort(np.where(np.isfinite(values), -values, np.inf), kind="stable")
    order = order[np.isfinite(values[order])]
    chosen: list[int] = []
    counts: dict = {}
    for i in order:
        if len(chosen) == n:
            break
        if groups is not None and max_per_group is not None and counts.get(groups[i], 0) >= max_per_group:
            continue
        if chosen and min_distance > 0 and distances(points[i], points[chosen]).min() < min_distance:
            continue
        chosen.append(int(i))
        if groups is not None:
            counts[groups[i]] = counts.get(groups[i], 0) + 1
    return np.asarray(chosen, dtype=int)


def check_n(n: object) -> int:
    """Return ``n`` if it is a positive integer, else raise ConfigError."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ConfigError(key="n", value=n, allowed="a batch size, an integer >= 1")
    return int(n)


def closest_other(points: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest other point (``inf`` for a single point): a batch's spacing."""
    if len(points) < 2:
        return np.full(len(points), np.inf)
    d = distances(points, points)
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1)
