"""The one space and distance between materials: log where skewed, standardized, NaN-aware."""

from __future__ import annotations

import numpy as np

from nacarbon.uncertainty.space import LogStandardScaler, distances

FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]


def test_ssa_decades_are_steps_of_equal_length(literature):
    """On the literature, SSA is log-scaled: 10 -> 100 m2/g is as far as 100 -> 1000 (almost: log1p)."""
    space = LogStandardScaler().fit(literature[FEATS].to_numpy(float))
    assert dict(zip(FEATS, space.log_))["ssa_m2_g"] and not dict(zip(FEATS, space.log_))["d002_nm"]
    rows = np.tile(np.nanmedian(literature[FEATS].to_numpy(float), axis=0), (3, 1))
    rows[:, 4] = [10.0, 100.0, 1000.0]
    d = distances(space.transform(rows), space.transform(rows))
    assert abs(d[0, 1] / d[1, 2] - 1) < 0.05 and d[0, 1] > 1.0


def test_missing_coordinates_are_skipped_and_scaled_up_and_nothing_shared_is_infinitely_far():
    a = np.array([[0.0, 0.0, 0.0], [1.0, np.nan, 1.0], [np.nan, np.nan, np.nan]])
    b = np.array([[1.0, 1.0, 1.0]])
    d = distances(a, b)
    np.testing.assert_allclose(d[:2, 0], [np.sqrt(3.0), 0.0])
    assert d[2, 0] == np.inf
    assert distances(a[0], a[0]).shape == (1, 1)                  # one row may be 1-D


def test_constant_and_flag_columns_are_not_logged_and_do_not_warn():
    import warnings

    X = np.c_[np.full(50, 0.38), np.r_[np.zeros(45), np.ones(5)], np.random.default_rng(0).lognormal(3, 1.5, 50)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        space = LogStandardScaler().fit(X)
    assert space.log_.tolist() == [False, False, True]
    assert np.isfinite(space.transform(X)).all()
