"""Conformal quantiles: weighted upper quantiles, order statistics and per-paper (two-level) scores."""

from __future__ import annotations

import math

import numpy as np


def weighted_upper(values: np.ndarray, weights: np.ndarray, level: float) -> np.ndarray:
    """Per column, the smallest value whose cumulative weight reaches ``level``; +inf if none does.

    ``values`` is (n, m), ``weights`` (n,). With unit weights and ``level = (1 - alpha)(n + 1)``
    this is the ``ceil((1 - alpha)(n + 1))``-th smallest, the CV+ upper bound.
    """
    order = np.argsort(values, axis=0)
    reached = np.cumsum(weights[order], axis=0) >= level - 1e-9
    first = reached.argmax(axis=0)
    picked = np.take_along_axis(values, order, axis=0)[first, np.arange(values.shape[1])]
    return np.where(reached.any(axis=0), picked, np.inf)


def order_stat(values: np.ndarray, k: int, axis: int = 0) -> np.ndarray:
    """k-th smallest (1-based) along ``axis``; +inf/-inf beyond the ends."""
    n = values.shape[axis]
    if k > n:
        return np.full(np.delete(values.shape, axis), np.inf)
    if k < 1:
        return np.full(np.delete(values.shape, axis), -np.inf)
    return np.partition(values, k - 1, axis=axis).take(k - 1, axis=axis)


def paper_scores(scores: np.ndarray, groups: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """The distinct papers (sorted) and one score each: the ``ceil(share * n)``-th smallest of its n row scores.

    A threshold at or above it covers at least ``share`` of the paper's rows, so a conformal 1 - alpha
    quantile over papers covers at least ``share`` of a new exchangeable paper's rows with probability
    1 - alpha (a tolerance-style guarantee per lab rather than per row).
    """
    papers, inverse = np.unique(groups, return_inverse=True)
    out = np.empty(len(papers))
    for j in range(len(papers)):
        own = np.sort(scores[inverse == j])
        out[j] = own[math.ceil(share * len(own) - 1e-9) - 1]
    return papers, out
