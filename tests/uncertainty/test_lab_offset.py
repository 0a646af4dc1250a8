"""Random-effect shrinkage of a lab's offset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.uncertainty.lab_offset import apply_lab_offset, group_offsets, shrunk_offset, variance_components


def test_shrinkage_formula():
    offset, var = shrunk_offset([3.0, 5.0], tau2=4.0, sigma2=4.0)
    assert offset == pytest.approx(2 * 4.0 / (2 + 1))
    assert var == pytest.approx(1 / (2 / 4 + 1 / 4))
    assert shrunk_offset([], tau2=4.0, sigma2=1.0) == (0.0, 4.0)
    assert shrunk_offset([10.0], tau2=0.0, sigma2=1.0) == (0.0, 0.0)
    # More references pull the offset towards their mean.
    assert shrunk_offset([4.0] * 50, 4.0, 4.0)[0] > shrunk_offset([4.0] * 2, 4.0, 4.0)[0]


def test_variance_components_recover_a_simulated_lab_effect():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(400), 4)
    resid = rng.normal(0, 3.0, 400)[groups] + rng.normal(0, 2.0, len(groups))
    tau2, sigma2 = variance_components(resid, groups)
    assert tau2 == pytest.approx(9.0, rel=0.2) and sigma2 == pytest.approx(4.0, rel=0.1)


def test_apply_shifts_other_rows_and_says_so():
    lab = pd.DataFrame({"pred_ice": [80.0, 70.0, 60.0], "lo_ice": [70.0, 60.0, 50.0], "hi_ice": [90.0, 80.0, 70.0],
                        "ice_measured": [86.0, np.nan, np.nan]})
    out = apply_lab_offset(lab, "ice", "ice_measured", tau2=9.0, sigma2=9.0, bounds=(0, 100))
    assert out["lab_offset_ice"].iloc[0] == pytest.approx(3.0)
    assert out["lab_offset_n"].iloc[0] == 1
    np.testing.assert_allclose(out["pred_ice"], [83.0, 73.0, 63.0])
    np.testing.assert_allclose(out["hi_ice"] - out["lo_ice"], 20.0)
    np.testing.assert_allclose(out["pred_ice_uncalibrated"], lab["pred_ice"])
    narrow = apply_lab_offset(lab, "ice", "ice_measured", tau2=9.0, sigma2=9.0, width="rescale")
    assert (narrow["hi_ice"] - narrow["lo_ice"]).max() < 20.0


def test_group_offsets_shrink_each_group_and_know_the_unseen_variance():
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(100), 3)
    resid = rng.normal(0, 3.0, 100)[groups] + rng.normal(0, 1.0, len(groups))
    resid[0] = np.nan
    per, tau2 = group_offsets(resid, groups)
    assert tau2 == pytest.approx(variance_components(resid[1:], groups[1:])[0])
    t2, s2 = variance_components(resid[1:], groups[1:])
    assert per[5] == pytest.approx(shrunk_offset(resid[15:18], t2, s2))
    assert per[0] == pytest.approx(shrunk_offset(resid[1:3], t2, s2))  # the NaN is no reference
