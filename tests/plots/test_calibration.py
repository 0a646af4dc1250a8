"""The calibration plot: empirical coverage of intervals against their nominal level."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.plots.calibration import calibration_plot, coverage_curve


def test_coverage_curve_counts_rows_and_papers():
    y = np.array([0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0])
    groups = np.repeat(["a", "b"], 4)
    wide = (y - 1, y + 1)
    narrow = (np.r_[y[:4] - 1, y[4:] + 0.5], np.r_[y[:4] + 1, y[4:] + 1])  # paper b never covered
    curve = coverage_curve(y, {0.9: wide, 0.5: narrow}, groups=groups)
    assert curve["level"].tolist() == [0.5, 0.9]
    assert curve["row_coverage"].tolist() == [0.5, 1.0]
    assert curve["paper_median"].tolist() == [0.5, 1.0]
    assert curve["paper_p10"].iloc[0] == pytest.approx(0.1)  # 10th percentile between 0 and 1


def test_calibration_plot_writes_a_png(tmp_path):
    y = np.random.default_rng(0).normal(size=200)
    levels = {lv: (np.full(200, -q), np.full(200, q)) for lv, q in ((0.5, 0.67), (0.8, 1.28), (0.95, 1.96))}
    curve = coverage_curve(y, levels, groups=np.repeat(np.arange(40), 5))
    path = calibration_plot({"merged ICE": curve.assign(weighting="paper"), "other": curve}, path=tmp_path / "c.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    # a standard normal: the empirical coverage sits near the nominal level
    assert np.allclose(curve["row_coverage"], curve["level"], atol=0.08)


def test_regressor_curve_reads_held_out_papers_off_a_fitted_model():
    from sklearn.ensemble import ExtraTreesRegressor

    from nacarbon.data.io import read_table
    from nacarbon.paths import project_root
    from nacarbon.plots.calibration import regressor_curve
    from nacarbon.uncertainty.conformal import GroupConformalRegressor

    lit = read_table(project_root() / "data" / "literature_583.csv").dropna(subset=["ice_pct"])
    X = lit[["d002_nm", "ssa_m2_g", "htt_c"]].to_numpy(float)
    model = GroupConformalRegressor(ExtraTreesRegressor(n_estimators=20, random_state=0), bounds=(0, 100))
    model.fit(X, lit["ice_pct"].to_numpy(float), lit["source"].to_numpy())
    curve = regressor_curve(model, levels=(0.5, 0.8, 0.9))
    # coverage rises with the level and stays near it on unseen papers
    assert curve["row_coverage"].is_monotonic_increasing
    assert np.allclose(curve["row_coverage"], curve["level"], atol=0.08)
    assert curve["paper_p10"].iloc[-1] <= curve["paper_median"].iloc[-1]
