"""One validation path for plain scalar settings, on real composed configs."""

from __future__ import annotations

import pytest

from nacarbon.errors import ConfigError
from nacarbon.settings import validate_settings
from tests.conftest import compose_config


@pytest.mark.parametrize("name, overrides", [
    ("train", []), ("train", ["search=optuna"]), ("train", ["search=thorough", "cv=kfold"]),
    ("train", ["cv=holdout"]), ("promote", []), ("screening", []), ("screening", ["screen=optimize"]),
    ("analyze", []), ("compare", []), ("pipeline", []), ("suggest", [])])
def test_shipped_configs_pass(name, overrides):
    validate_settings(compose_config(name, overrides))


@pytest.mark.parametrize("name, override, key", [
    ("train", "cv.n_splits=abc", "cv.n_splits='abc'"),
    ("train", "cv.n_splits=1", "cv.n_splits=1"),
    ("train", "cv.n_splits=2.5", "cv.n_splits=2.5"),
    ("train", "seed=foo", "seed='foo'"),
    ("train", "seed=-1", "seed=-1"),
    ("train", "seed=true", "seed=True"),
    ("train", "progress=maybe", "progress='maybe'"),
    ("train", "search.n_trials=-3", "search.n_trials=-3"),
    ("train", "search.n_trials=0", "search.n_trials=0"),
    ("train", "search.inner_splits=1", "search.inner_splits=1"),
    ("train", "search.timeout=-5", "search.timeout=-5"),
    ("train", "cv.test_size=1.5", "cv.test_size=1.5"),
    ("screening", "screen.rank_by=best", "screen.rank_by='best'"),
    ("train", "predictor.alpha=1.2", "predictor.alpha=1.2"),
    ("train", "predictor.domain_neighbors=0", "predictor.domain_neighbors=0"),
    ("predict", "lab_calibration=maybe", "lab_calibration='maybe'"),
    ("screening", "screen.top_k=many", "screen.top_k='many'"),
    ("analyze", "alpha=0", "alpha=0"),
    ("analyze", "shap.top_k=0", "shap.top_k=0"),
    ("compare", "alpha=nan", "alpha=nan"),
    ("pipeline", "n_jobs=0", "n_jobs=0"),
    ("suggest", "n=0", "n=0"),
    ("suggest", "n=eight", "n='eight'"),
    ("suggest", "min_distance=-1", "min_distance=-1"),
    ("suggest", "kappa=-0.5", "kappa=-0.5"),
    ("suggest", "series.prior=-0.25", "series.prior=-0.25"),
])
def test_nonsense_is_refused_naming_key_value_and_allowed(name, override, key):
    overrides = ["search=optuna", override] if override.startswith("search.") else [override]
    with pytest.raises(ConfigError, match="expected") as caught:
        validate_settings(compose_config(name, overrides))
    assert str(caught.value).startswith(f"{key} is not allowed")


def test_holdout_allows_one_split_and_values_are_typed():
    checked = validate_settings(compose_config("train", ["cv=holdout", "search=optuna", "search.timeout=10"]))
    assert checked["cv.n_splits"] == 1 and checked["search.timeout"] == 10.0 and checked["seed"] == 42
