"""A lab's offset plus its within-lab trend on HTT and SSA, shrunk towards the training papers' pooled trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.uncertainty.lab_offset import apply_lab_offset, shrunk_offset
from nacarbon.uncertainty.lab_trend import LabPrior, apply_lab_trend, fit_lab_prior, lab_posterior, trend_design


def _papers(n_papers=150, rows=5, seed=0, slope=-2.0, slope_sd=0.7, tau=3.0, sigma=1.0):
    """Residuals of a simulated literature: per-paper offset and HTT slope (per 100 degC) plus noise."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_papers), rows)
    htt = rng.choice([800, 1000, 1200, 1400, 1600], size=len(g)).astype(float)
    ssa = rng.uniform(2, 200, len(g))
    x = htt / 100 - pd.Series(htt / 100).groupby(g).transform("mean").to_numpy()
    s = rng.normal(slope, slope_sd, n_papers)[g]
    e = rng.normal(0, tau, n_papers)[g] + s * x + rng.normal(0, sigma, len(g))
    return pd.DataFrame({"htt_c": htt, "ssa_m2_g": ssa}), e, g


def test_fit_recovers_the_pooled_slope_and_the_variances():
    frame, e, g = _papers()
    prior = fit_lab_prior(e, g, frame)
    assert prior.slope[0] == pytest.approx(-2.0, abs=0.15)
    assert abs(prior.slope[1]) < 0.2  # SSA carries no trend here
    assert prior.slope_var[0] == pytest.approx(0.49, rel=0.5)
    assert prior.tau2 == pytest.approx(9.0, rel=0.3) and prior.sigma2 == pytest.approx(1.0, rel=0.3)


def test_missing_features_sit_at_the_lab_mean():
    frame = pd.DataFrame({"htt_c": [1000.0, np.nan, 1400.0], "ssa_m2_g": [10.0, 10.0, np.nan]})
    X = trend_design(frame, np.zeros(3))
    np.testing.assert_allclose(X, [[-2.0, 0.0], [0.0, 0.0], [2.0, 0.0]])


def _lab(k, y, htt, pred=70.0):
    return pd.DataFrame({"pred_t": pred, "lo_t": pred - 10, "hi_t": pred + 10, "htt_c": htt, "ssa_m2_g": 20.0,
                         "y": np.where(np.arange(len(y)) < k, y, np.nan)})


def test_without_slope_prior_it_is_the_constant_offset():
    prior = LabPrior(tau2=9.0, sigma2=4.0, slope=(0.0, 0.0), slope_var=(1e-12, 1e-12))
    lab = _lab(3, np.array([75.0, 78, 71, 70, 70]), [900, 1100, 1300, 1500, 1700])
    trend = apply_lab_trend(lab, "t", "y", prior)
    offset = apply_lab_offset(lab, "t", "y", tau2=9.0, sigma2=4.0)
    np.testing.assert_allclose(trend["pred_t"], offset["pred_t"], atol=1e-6)
    assert trend["lab_offset_t"].iloc[0] == pytest.approx(shrunk_offset([5.0, 8.0, 1.0], 9.0, 4.0)[0], abs=1e-6)


def test_three_references_along_htt_predict_the_rest_of_the_series():
    htt = np.array([800, 1600, 1200, 1000, 1400], dtype=float)
    truth = 70.0 + 5.0 * (htt - 1200) / 100  # the lab's ICE rises 5 points per 100 degC; the model says 70
    prior = LabPrior(tau2=25.0, sigma2=2.0, slope=(3.0, 0.0), slope_var=(4.0, 1.0))
    trend = apply_lab_trend(_lab(3, truth, htt), "t", "y", prior, bounds=(0, 100))
    offset = apply_lab_offset(_lab(3, truth, htt), "t", "y", tau2=25.0, sigma2=2.0, bounds=(0, 100))
    err_trend = np.abs(trend["pred_t"] - truth)[3:]
    err_offset = np.abs(offset["pred_t"] - truth)[3:]
    assert err_trend.max() < 2.5 and err_offset.min() > 9
    assert (trend["hi_t"] - trend["lo_t"]).tolist() == [20.0] * 5  # widths kept
    assert trend["pred_t_uncalibrated"].tolist() == [70.0] * 5 and trend["lab_offset_n"].iloc[0] == 3


def test_no_reference_applies_the_pooled_trend_only():
    htt = np.array([1000.0, 1400.0])
    prior = LabPrior(tau2=25.0, sigma2=2.0, slope=(1.5, 0.0), slope_var=(1.0, 1.0))
    mean, cov = lab_posterior(prior, np.zeros((0, 2)), np.zeros(0))
    assert mean.tolist() == [0.0, 1.5, 0.0] and cov[0, 0] == 25.0
    out = apply_lab_trend(_lab(0, np.zeros(2), htt), "t", "y", prior)
    np.testing.assert_allclose(out["lab_trend_t"], [-3.0, 3.0])
    assert out["lab_offset_t"].iloc[0] == 0.0 and out["lab_offset_n"].iloc[0] == 0


def test_the_trend_is_used_only_where_it_beats_the_offset_on_other_papers():
    from nacarbon.uncertainty.lab_trend import trend_beats_offset

    frame, e, g = _papers(n_papers=120, slope=-2.0, slope_sd=0.7)
    assert trend_beats_offset(e, g, frame)
    # no within-paper trend at all: two extra slopes only add noise to three references
    flat_frame, flat, flat_g = _papers(n_papers=120, slope=0.0, slope_sd=0.0, seed=3)
    assert not trend_beats_offset(flat, flat_g, flat_frame)
