"""Conformal quantiles: weighted upper quantiles, order statistics, per-paper scores."""

from __future__ import annotations

import numpy as np

from nacarbon.uncertainty.quantiles import order_stat, paper_scores, weighted_upper


def test_row_weighting_by_weights_equals_the_order_statistics():
    v = np.random.default_rng(1).normal(size=(57, 9))
    for alpha in (0.05, 0.1, 0.3):
        level = (1 - alpha) * 58
        np.testing.assert_allclose(weighted_upper(v, np.ones(57), level),
                                   order_stat(v, int(np.ceil(level - 1e-9)), axis=0))
    # beyond the total weight the bound is infinite (too few papers for this level)
    assert np.isinf(weighted_upper(v, np.full(57, 1 / 57), 1.5)).all()


def test_paper_score_is_the_smallest_threshold_covering_the_share():
    scores = np.array([4.0, 1.0, 3.0, 2.0, 9.0, 5.0, 7.0])
    groups = np.array(["b", "b", "b", "b", "a", "c", "c"])
    papers, s = paper_scores(scores, groups, 0.75)
    assert papers.tolist() == ["a", "b", "c"]
    # b: 3 of 4 rows need 3.0; a single row: its own score; 2 rows at 75 %: both (the larger)
    assert s.tolist() == [9.0, 3.0, 7.0]
    for j, p in enumerate(papers):  # the promise: at that threshold >= 75 % of the paper's rows are covered
        assert np.mean(scores[groups == p] <= s[j]) >= 0.75
    assert paper_scores(scores, groups, 1.0)[1].tolist() == [9.0, 4.0, 7.0]
