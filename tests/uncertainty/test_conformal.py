"""Normalized CV+ over paper folds: coverage on held-out papers, adaptivity, clipping, guards."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.model_selection import GroupKFold

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.predictor import build_features

FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c", "is_ether", "current_ma_g"]
SEED_FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c"]


def _xy(frame, feats, column):
    rows = build_features(frame[frame[column].notna()], feats).reset_index(drop=True)
    return rows[feats].to_numpy(float), rows[column].to_numpy(float), rows["source"].to_numpy()


def _model(**kw):
    return GroupConformalRegressor(ExtraTreesRegressor(n_estimators=30, min_samples_leaf=2, random_state=0), **kw)


@pytest.mark.parametrize("difficulty", ["knn", "none"])
def test_covers_held_out_papers(literature, difficulty):
    X, y, g = _xy(literature, FEATS, "ice_pct")
    covered = np.zeros(len(y), bool)
    for train, test in GroupKFold(4, shuffle=True, random_state=3).split(X, y, g):
        lo, hi = _model(difficulty=difficulty, bounds=(0, 100)).fit(X[train], y[train], g[train]).predict_interval(X[test])
        covered[test] = (y[test] >= lo) & (y[test] <= hi)
    # 90 % nominal on ~580 rows from ~250 papers; the band allows sampling noise, not a broken rule.
    assert 0.85 <= covered.mean() <= 0.97


def test_width_grows_with_distance_from_the_data(seed):
    X, y, g = _xy(seed, SEED_FEATS, "ice_pct")
    model = _model(difficulty="knn").fit(X, y, g)
    base = np.median(X, axis=0)
    queries = np.repeat(base[None], 4, axis=0)
    queries[:, 1] = [2.5, 8.0, 20.0, 60.0]          # La moves away from the seed's 1.6-5.5 nm
    lo, hi = model.predict_interval(queries)
    width = hi - lo
    assert np.all(np.diff(width) >= -1e-9) and width[-1] > 1.5 * width[0]
    plain = _model(difficulty="none").fit(X, y, g)
    plo, phi = plain.predict_interval(queries)
    plain_width = phi - plo                          # a global quantile: widens only by fold disagreement
    assert plain_width[-1] / plain_width[0] < width[-1] / width[0]


def test_intervals_clipped_to_physical_range(literature):
    X, y, g = _xy(literature, FEATS, "ice_pct")
    top = np.argsort(y)[-20:]                        # ICE near 90-95 %: 98 % intervals would pass 100
    free = _model(method="split").fit(X, y, g)
    clipped = _model(method="split", bounds=(0, 100)).fit(X, y, g)
    assert free.predict_interval(X[top], alpha=0.02)[1].max() > 100
    lo, hi = clipped.predict_interval(X[top], alpha=0.02)
    assert hi.max() == 100 and lo.min() >= 0
    lo, hi = _model(bounds=(0, 100)).fit(X, y, g).predict_interval(X[top], alpha=0.02)
    assert hi.max() == 100


def test_rejects_overlapping_folds_and_missing_groups(seed):
    from nacarbon.evaluation.splits import RepeatedGroupKFold

    X, y, g = _xy(seed, SEED_FEATS, "ice_pct")
    with pytest.raises(ValueError, match="overlap"):
        _model(cv=RepeatedGroupKFold(n_splits=3, n_repeats=2)).fit(X, y, g)
    with pytest.raises(ValueError, match="groups"):
        _model().fit(X, y, None)
    with pytest.raises(ConfigError, match="difficulty"):
        _model(difficulty="gp").fit(X, y, g)


def test_scores_come_from_models_that_never_saw_the_paper(seed):
    X, y, g = _xy(seed, SEED_FEATS, "ice_pct")
    model = _model().fit(X, y, g)
    for k, fold_model in enumerate(model.fold_models_):
        held = model.fold_of_ == k
        np.testing.assert_allclose(fold_model.predict(X[held]), model.oof_[held])
        assert not set(g[held]) & set(g[~held])


def test_paper_weighting_gives_every_paper_one_vote():
    """One paper with many large-score rows dominates a row-weighted quantile, not a paper-weighted one."""
    rng = np.random.default_rng(0)
    # 40 small papers of 2 rows with small errors, one big paper of 60 rows with large errors
    groups = np.r_[np.repeat(np.arange(40), 2), np.full(60, 99)]
    X = rng.uniform(0, 1, (len(groups), 2))
    y = X[:, 0] * 10 + np.where(groups == 99, rng.normal(0, 5, len(groups)), rng.normal(0, 0.5, len(groups)))
    model = _model(difficulty="none", cv=GroupKFold(5)).fit(X, y, groups)
    weights = model.calibration_weights("paper")
    assert weights[groups == 99] == pytest.approx(1 / 60) and weights[groups == 0] == pytest.approx(0.5)
    lo_r, hi_r = model.predict_interval(X[:5], weighting="row")
    lo_p, hi_p = model.predict_interval(X[:5], weighting="paper")
    # the big noisy paper is 43 % of rows but 1 of 41 papers: the paper-weighted interval is narrower
    assert np.all(hi_p - lo_p < hi_r - lo_r)
    assert model.weighting == "paper"
    np.testing.assert_allclose(model.predict_interval(X[:5]), (lo_p, hi_p))


def test_row_weighting_by_weights_equals_the_order_statistics():
    from nacarbon.uncertainty.conformal import _order_stat, _weighted_upper

    v = np.random.default_rng(1).normal(size=(57, 9))
    for alpha in (0.05, 0.1, 0.3):
        level = (1 - alpha) * 58
        np.testing.assert_allclose(_weighted_upper(v, np.ones(57), level),
                                   _order_stat(v, int(np.ceil(level - 1e-9)), axis=0))
    # beyond the total weight the bound is infinite (too few papers for this level)
    assert np.isinf(_weighted_upper(v, np.full(57, 1 / 57), 1.5)).all()


def test_paper_weighted_split_and_bad_weighting(literature):
    X, y, g = _xy(literature, FEATS, "ice_pct")
    model = _model(method="split", bounds=(0, 100)).fit(X[:300], y[:300], g[:300])
    lo, hi = model.predict_interval(X[300:])
    assert np.all(lo <= hi) and np.all((lo >= 0) & (hi <= 100))
    with pytest.raises(ConfigError, match="weighting"):
        model.predict_interval(X[:2], weighting="lab")
    with pytest.raises(ConfigError, match="weighting"):
        _model(weighting="lab").fit(X[:50], y[:50], g[:50])
