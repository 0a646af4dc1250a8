"""The LPO domain: log-scaled skewed features, NaN-aware distance, threshold on papers, flag semantics."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.uncertainty.domain import PaperDomain

FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]


@pytest.fixture(scope="module")
def fitted(literature):
    X = literature[FEATS].to_numpy(float)
    return PaperDomain().fit(X, groups=literature["source"].to_numpy()), X


def test_ssa_is_log_scaled_and_d002_is_not(fitted):
    dom, _ = fitted
    logged = dict(zip(FEATS, dom.space_.log_))
    assert logged["ssa_m2_g"] and not logged["d002_nm"]


def test_threshold_is_the_quantile_of_new_papers_distances(fitted):
    dom, _ = fitted
    share = np.mean(dom.lpo_distances_ <= dom.threshold_)
    assert 0.94 <= share <= 0.96
    # Training rows queried against all rows are closer than against the other papers only.
    assert np.median(dom.distance(fitted[1])) < np.median(dom.lpo_distances_)


def test_flag_score_and_percentile_agree(fitted):
    dom, X = fitted
    near = np.nanmedian(X, axis=0)[None]
    far = near.copy()
    far[0, 4] = 3400.0                       # SSA far above the data but physically possible
    far[0, 0] = 0.49
    q = np.vstack([near, far])
    score, flag, pct = dom.score(q), dom.predict(q), dom.percentile(q)
    assert flag.tolist() == [True, False]
    assert score[0] <= 1 < score[1] and pct[0] < pct[1] and pct[1] == 1.0
    assert "95%" in dom.describe(FEATS) and "ssa_m2_g" in dom.describe(FEATS)


def test_missing_features_are_scored_not_dropped(fitted):
    dom, X = fitted
    row = np.nanmedian(X, axis=0)[None].copy()
    row[0, 1:3] = np.nan                     # La and Lc unknown (half the literature lacks them)
    d = dom.distance(row)
    assert np.isfinite(d).all()
    nothing = np.full((1, len(FEATS)), np.nan)
    assert not dom.predict(nothing)[0]


def test_needs_groups():
    with pytest.raises(ValueError, match="groups"):
        PaperDomain().fit(np.random.default_rng(0).random((20, 3)))


def test_flags_are_not_log_scaled():
    from nacarbon.uncertainty.space import LogStandardScaler

    flag = np.r_[np.zeros(90), np.ones(10)]          # skew ~2.7, but a 0/1 flag
    ssa = np.random.default_rng(0).lognormal(3, 1.5, 100)
    assert LogStandardScaler().fit(np.c_[flag, ssa]).log_.tolist() == [False, True]
