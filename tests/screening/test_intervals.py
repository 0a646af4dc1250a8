"""Conformal intervals: the quantile rule, MAPIE agreement and empirical coverage."""

from __future__ import annotations

import numpy as np
import pytest
from mapie.regression import SplitConformalRegressor
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError

from nacarbon.errors import ConfigError
from nacarbon.screening.intervals import ConformalInterval, conformal_quantile


@pytest.mark.parametrize(("alpha", "expected"), [(0.1, 9.0), (0.2, 8.0), (0.5, 5.0), (0.95, 1.0)])
def test_quantile_is_kth_smallest_score(alpha, expected):
    # n = 9: k = ceil(10 * (1 - alpha)) -> 9, 8, 5, 1
    scores = np.array([4.0, 9.0, 1.0, 7.0, 3.0, 8.0, 2.0, 6.0, 5.0])
    assert conformal_quantile(scores, alpha) == expected


def test_too_few_residuals_give_unbounded_interval():
    # n = 5, alpha = 0.1: k = ceil(5.4) = 6 > 5
    with pytest.warns(UserWarning, match="unbounded"):
        ci = ConformalInterval(alpha=0.1).fit(np.zeros(5), np.arange(5.0))
    lo, hi = ci.interval([1.0])
    assert lo[0] == -np.inf and hi[0] == np.inf


def test_interval_is_symmetric_around_prediction():
    ci = ConformalInterval(alpha=0.2).fit([1.0, 2.0, 3.0, 4.0], [1.5, 1.0, 3.0, 6.0])
    # |residuals| = 0.5, 1, 0, 2; k = ceil(5 * 0.8) = 4 -> 2.0
    assert ci.q_ == 2.0 and ci.n_calibration_ == 4
    lo, hi = ci.interval(np.array([10.0, -1.0]))
    np.testing.assert_array_equal(lo, [8.0, -3.0])
    np.testing.assert_array_equal(hi, [12.0, 1.0])


class _Identity(RegressorMixin, BaseEstimator):
    """Prefit 'model' whose prediction is its single input column: lets MAPIE see OOF predictions."""

    def fit(self, X, y):
        self.n_features_in_ = 1
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float)[:, 0]


@pytest.mark.parametrize(("n", "alpha"), [(20, 0.1), (100, 0.1), (500, 0.1), (137, 0.05), (64, 0.3)])
def test_agrees_with_mapie_split_conformal(n, alpha):
    rng = np.random.default_rng(n)
    y_pred = rng.normal(size=n)
    y_true = y_pred + rng.standard_t(3, size=n)
    ours = ConformalInterval(alpha=alpha).fit(y_true, y_pred)
    mapie = SplitConformalRegressor(_Identity().fit(None, None), confidence_level=1 - alpha, prefit=True)
    mapie.conformalize(y_pred[:, None], y_true)
    new = np.array([-1.0, 0.0, 2.5])
    _, bounds = mapie.predict_interval(new[:, None])
    lo, hi = ours.interval(new)
    np.testing.assert_allclose(lo, bounds[:, 0, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(hi, bounds[:, 1, 0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("noise", ["normal", "laplace", "student_t3"])
def test_coverage_is_near_nominal(noise):
    # True model known; the calibration residuals are pure noise, like ideal OOF residuals.
    n_seeds, n_cal, n_test, alpha = 200, 500, 1000, 0.1
    coverages = []
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        draw = {"normal": lambda m: rng.normal(0, 2.0, m), "laplace": lambda m: rng.laplace(0, 1.5, m),
                "student_t3": lambda m: rng.standard_t(3, m)}[noise]
        x_cal, x_test = rng.uniform(0, 5, n_cal), rng.uniform(0, 5, n_test)
        f = lambda x: 300 + 20 * x  # noqa: E731
        ci = ConformalInterval(alpha=alpha).fit(f(x_cal) + draw(n_cal), f(x_cal))
        lo, hi = ci.interval(f(x_test))
        y_test = f(x_test) + draw(n_test)
        coverages.append(np.mean((y_test >= lo) & (y_test <= hi)))
    coverages = np.array(coverages)
    # Expected coverage is k / (n + 1) = 451 / 501 = 0.9002; one seed's coverage has sd ~ 0.016
    # (calibration quantile plus test sampling), the mean over 200 seeds sd ~ 0.001.
    assert abs(coverages.mean() - 451 / 501) < 0.005
    assert np.mean((coverages >= 0.85) & (coverages <= 0.95)) >= 0.98


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, True, "0.1"])
def test_bad_alpha(alpha):
    with pytest.raises(ConfigError, match="alpha"):
        ConformalInterval(alpha=alpha).fit([1.0, 2.0], [1.0, 2.0])


def test_bad_arrays_and_unfitted():
    with pytest.raises(ValueError, match="lengths"):
        ConformalInterval().fit([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        ConformalInterval().fit([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(NotFittedError):
        ConformalInterval().interval([1.0])
