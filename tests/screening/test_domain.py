"""Applicability domain: threshold definition, in/out decisions, missing values, sklearn checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from nacarbon.errors import ConfigError
from nacarbon.screening.domain import ApplicabilityDomain


@pytest.fixture
def cluster() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(60, 3))


def _brute_force_threshold(X: np.ndarray, k: int, quantile: float) -> float:
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    d = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(axis=-1))
    np.fill_diagonal(d, np.inf)  # a row is not its own neighbour
    return float(np.quantile(np.sort(d, axis=1)[:, :k].mean(axis=1), quantile))


@pytest.mark.parametrize(("k", "quantile"), [(1, 0.5), (5, 0.95), (10, 1.0)])
def test_threshold_is_quantile_of_leave_self_out_knn_distance(cluster, k, quantile):
    ad = ApplicabilityDomain(n_neighbors=k, quantile=quantile).fit(cluster)
    assert ad.threshold_ == pytest.approx(_brute_force_threshold(cluster, k, quantile), rel=1e-12)
    assert ad.n_samples_fit_ == 60


def test_cluster_points_in_far_point_out(cluster):
    ad = ApplicabilityDomain().fit(cluster)
    queries = np.vstack([np.zeros(3), [0.3, -0.2, 0.1], [8.0, 8.0, 8.0]])
    np.testing.assert_array_equal(ad.predict(queries), [True, True, False])
    scores = ad.score(queries)
    assert scores[2] > 5 * ad.threshold_
    # the training rows themselves: all but the top 5 % are inside by construction
    assert ad.predict(cluster).mean() >= 0.95


def test_scaling_makes_units_irrelevant(cluster):
    # A feature in m2/g (hundreds) must not swamp one in nm (tenths).
    stretched = cluster * np.array([1.0, 1000.0, 0.001])
    queries = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 0.0]])
    a = ApplicabilityDomain().fit(cluster)
    b = ApplicabilityDomain().fit(stretched)
    np.testing.assert_allclose(a.score(queries), b.score(queries * [1.0, 1000.0, 0.001]))
    np.testing.assert_array_equal(b.predict(queries * [1.0, 1000.0, 0.001]), [True, False])


def test_robust_scaler_and_dataframe_columns(cluster):
    frame = pd.DataFrame(cluster, columns=["d002_nm", "la_nm", "lc_nm"])
    ad = ApplicabilityDomain(scaler="robust").fit(frame)
    assert list(ad.feature_names_in_) == ["d002_nm", "la_nm", "lc_nm"]
    far = pd.DataFrame([[9.0, 9.0, 9.0]], columns=frame.columns)
    assert not ad.predict(far)[0]


def test_missing_values_drop_or_median(cluster):
    X = cluster.copy()
    X[:10, 2] = np.nan
    dropped = ApplicabilityDomain(missing="drop").fit(X)
    assert dropped.n_samples_fit_ == 50
    assert dropped.threshold_ == pytest.approx(_brute_force_threshold(X[10:], 5, 0.95))
    query = np.array([[0.0, 0.0, np.nan], [0.0, 0.0, 0.0]])
    scores = dropped.score(query)
    assert np.isnan(scores[0]) and np.isfinite(scores[1])
    np.testing.assert_array_equal(dropped.predict(query), [False, True])

    filled = ApplicabilityDomain(missing="median").fit(X)
    assert filled.n_samples_fit_ == 60
    np.testing.assert_allclose(filled.score(query)[0],
                               filled.score(np.array([[0.0, 0.0, np.nanmedian(X[:, 2])]]))[0])


@pytest.mark.parametrize("params", [
    {"n_neighbors": 0}, {"n_neighbors": 2.5}, {"quantile": 0.0}, {"quantile": 1.5},
    {"scaler": "minmax"}, {"missing": "zero"},
])
def test_bad_parameters_raise_config_error_in_fit(cluster, params):
    ad = ApplicabilityDomain(**params)  # __init__ only stores
    with pytest.raises(ConfigError, match=next(iter(params))):
        ad.fit(cluster)


def test_too_few_rows_and_not_fitted(cluster):
    with pytest.raises(ValueError, match="n_samples=5"):
        ApplicabilityDomain(n_neighbors=5).fit(cluster[:5])
    with pytest.raises(NotFittedError):
        ApplicabilityDomain().predict(cluster)


# The estimator is neither a classifier nor a regressor, so scikit-learn selects only the
# generic checks (fit/score/predict API, dtypes, NaN/inf handling, pickling, idempotence...).
# All apply and pass; the array-API check skips itself unless SCIPY_ARRAY_API is set.
@parametrize_with_checks([ApplicabilityDomain()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
