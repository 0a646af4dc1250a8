"""SHAP values, their summaries, and permutation importance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import BaggingRegressor, GradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor
from xgboost import XGBRegressor

from nacarbon.analysis.explain import is_tree_model, permutation_importance_table, shap_summary, shap_values
from nacarbon.errors import ConfigError, NacarbonError
from tests.analysis.conftest import FEATURES


def _models():
    return {
        "forest": RandomForestRegressor(n_estimators=20, max_depth=4, random_state=0),
        "xgboost": XGBRegressor(n_estimators=20, max_depth=3),
        "ridge": Ridge(alpha=0.1),
        "svr": SVR(C=10.0),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_informative_feature_has_largest_mean_abs_shap_and_values_add_up(data, name):
    X, y = data
    model = _models()[name].fit(X, y)
    expl = shap_values(model, X, max_background=15)
    summary = shap_summary(expl)
    assert summary.feature.tolist()[0] == "d002_nm"
    assert summary.mean_abs_shap.is_monotonic_decreasing
    total = expl.values.sum(axis=1) + np.asarray(expl.base_values).ravel()
    np.testing.assert_allclose(total, model.predict(X), atol=1e-4)


def test_linear_model_shap_is_coefficient_times_centred_feature(data):
    # with independent features, SHAP_i = w_i (x_i - E_background[x_i]) exactly
    X, y = data
    model = LinearRegression().fit(X, y)
    background = X.iloc[:12]
    expl = shap_values(model, X.iloc[:10], background=background)
    expected = model.coef_ * (X.iloc[:10].to_numpy() - background.to_numpy().mean(axis=0))
    np.testing.assert_allclose(expl.values, expected, atol=1e-8)
    assert expl.feature_names == FEATURES


def test_tree_background_gives_interventional_expected_value(data):
    X, y = data
    model = GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, y)
    background = X.iloc[:20]
    expl = shap_values(model, X.iloc[20:30], background=background)
    assert np.asarray(expl.base_values).ravel()[0] == pytest.approx(model.predict(background).mean())


@pytest.mark.parametrize("final", [GradientBoostingRegressor(n_estimators=20, random_state=0), SVR(C=10.0)])
def test_pipeline_with_imputer_explains_the_imputed_matrix(data, final):
    X, y = data
    Xn = X.copy()
    Xn.iloc[::4, 1] = np.nan
    Xn.iloc[::7, 2] = np.nan
    model = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), final).fit(Xn, y)
    expl = shap_values(model, Xn, max_background=10)
    assert expl.feature_names == FEATURES
    assert not np.isnan(expl.data).any()
    np.testing.assert_allclose(expl.data, model[:-1].transform(Xn))
    total = expl.values.sum(axis=1) + np.asarray(expl.base_values).ravel()
    np.testing.assert_allclose(total, model.predict(Xn), atol=1e-4)
    assert shap_summary(expl).feature.iloc[0] == "d002_nm"


@pytest.mark.parametrize(("model", "expected"), [
    (DecisionTreeRegressor(), True), (RandomForestRegressor(), True), (GradientBoostingRegressor(), True),
    (XGBRegressor(), True), (XGBRegressor(booster="gblinear"), False),
    (BaggingRegressor(), False), (SVR(), False), (Ridge(), False),
])
def test_is_tree_model(model, expected):
    assert is_tree_model(model) is expected


def test_unfitted_model_is_refused(data):
    X, _ = data
    with pytest.raises(NacarbonError, match="unfitted"):
        shap_values(Ridge(), X)


def test_permutation_importance_ranks_informative_feature_first(data):
    X, y = data
    Xn = X.copy()
    Xn.iloc[::5, 0] = np.nan
    model = make_pipeline(SimpleImputer(), Ridge(alpha=0.1)).fit(Xn, y)
    table = permutation_importance_table(model, Xn, y, n_repeats=3)
    assert table.columns.tolist() == ["feature", "mean", "std"]
    assert table.feature.iloc[0] == "d002_nm"
    assert table["mean"].iloc[0] > 10 * max(table["mean"].iloc[1:].max(), 1e-3)
    with pytest.raises(ConfigError):
        permutation_importance_table(model, Xn, y, scoring="not_a_scorer")
