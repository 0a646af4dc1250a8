"""The two-part (hurdle) regressor: zero-or-not times how-much-if-not, on synthetic and real rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression

from nacarbon.models.hurdle import HurdleRegressor
from nacarbon.models.pipeline import build_pipeline
from nacarbon.models.search_space import model_space
from tests.conftest import compose_config


def synthetic(n=400, seed=0):
    """x0 decides whether y is zero (x0 < 0); where it is not, y = 50 + 10 x1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.where(X[:, 0] < 0, 0.0, 50 + 10 * X[:, 1])
    return X, y


def test_prediction_is_probability_times_amount_and_the_amount_ignores_zeros():
    X, y = synthetic()
    model = HurdleRegressor(LogisticRegression(C=100.0), LinearRegression()).fit(X, y)
    p, amount = model.predict_proba_nonzero(X), model.predict_amount(X)
    np.testing.assert_allclose(model.predict(X), p * amount)
    # The regressor saw only the non-zero rows: it recovers 50 + 10 x1 exactly.
    np.testing.assert_allclose(model.regressor_.coef_, [0.0, 10.0], atol=1e-9)
    assert model.regressor_.intercept_ == pytest.approx(50.0)
    assert model.p_nonzero_ == pytest.approx(np.mean(y != 0))
    # Far on either side of the hurdle the classifier is sure.
    far = np.array([[-3.0, 0.0], [3.0, 0.0]])
    np.testing.assert_allclose(model.predict(far), [0.0, 50.0], atol=0.5)


def test_beats_one_regressor_of_the_same_kind_on_held_out_rows():
    X, y = synthetic(600)
    Xt, yt = synthetic(300, seed=1)
    hurdle = HurdleRegressor(LogisticRegression(C=100.0), LinearRegression()).fit(X, y)
    single = LinearRegression().fit(X, y)
    rmse = lambda m: float(np.sqrt(np.mean((m.predict(Xt) - yt) ** 2)))  # noqa: E731
    assert rmse(hurdle) < 0.5 * rmse(single)


def test_one_class_only_falls_back_to_its_share():
    X, y = synthetic()
    ones = HurdleRegressor(regressor=LinearRegression()).fit(X, np.abs(y) + 1.0)   # no zeros at all
    assert ones.classifier_ is None and ones.p_nonzero_ == 1.0
    np.testing.assert_allclose(ones.predict(X), ones.regressor_.predict(X))
    zeros = HurdleRegressor().fit(X, np.zeros(len(y)))
    assert zeros.regressor_ is None and np.all(zeros.predict(X) == 0.0)


def test_nested_parameters_are_settable_and_cloned():
    model = HurdleRegressor(ExtraTreesClassifier(n_estimators=5), ExtraTreesRegressor(n_estimators=5))
    model.set_params(classifier__min_samples_leaf=4, regressor__min_samples_leaf=3)
    copy = clone(model)
    assert copy.classifier.min_samples_leaf == 4 and copy.regressor.min_samples_leaf == 3


def test_config_fits_the_real_plateau_capacity_rows():
    from nacarbon.commands.train import load_for_target

    cfg = compose_config("train", ["target=plateau_capacity", "dataset=literature_contributed", "features=rich",
                                   "model=hurdle_extra_trees", "model.estimator.classifier.n_estimators=20",
                                   "model.estimator.regressor.n_estimators=20"])
    _, design = load_for_target(cfg)
    assert model_space(cfg.model, where="conf/model/hurdle_extra_trees.yaml")
    model = build_pipeline(cfg.model).fit(design.X, design.y)
    pred = model.predict(design.X)
    zero = design.y == 0
    assert 0.1 < zero.mean() < 0.3                      # about a fifth of the rows are exact zeros
    assert pred.min() >= 0 and pred.max() <= design.y.max()
    assert pred[zero].mean() < 0.5 * pred[~zero].mean()
    inner = model.regressor_ if isinstance(model, TransformedTargetRegressor) else model
    assert isinstance(inner.named_steps["model"], HurdleRegressor)
