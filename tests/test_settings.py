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
    ("screening", "screen.mode=foo", "screen.mode='foo'"),
    ("train", "search.min_gain=-0.1", "search.min_gain=-0.1"),
    ("train", "search.min_gain=1", "search.min_gain=1"),
    ("train", "search.progress=maybe", "search.progress='maybe'"),
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
    # ... and carries them, for a caller that wants more than the line
    assert caught.value.key == override.split("=", 1)[0] and caught.value.allowed


def test_holdout_allows_one_split_and_values_are_typed():
    checked = validate_settings(compose_config("train", ["cv=holdout", "search=optuna", "search.timeout=10"]))
    assert checked["cv.n_splits"] == 1 and checked["search.timeout"] == 10.0 and checked["seed"] == 42


# --- list and mapping settings, and the estimator's own rules (nacarbon.settings_lists) ------------
@pytest.mark.parametrize("name, override, key, value", [
    ("predict", "targets=ice", "targets", ["ice"]),
    ("screening", "targets=ice", "targets", ["ice"]),
    ("analyze", "targets=ice", "targets", ["ice"]),
    ("compare", "targets=[ice,rate]", "targets", ["ice", "rate"]),
    ("promote", "exclude_models=extra_trees", "exclude_models", ["extra_trees"]),
    ("pipeline", "models=ridge", "models", ["ridge"]),
    ("suggest", "process.electrolyte=ether", "process.electrolyte", ["ether"]),
])
def test_a_bare_name_becomes_a_one_item_list_in_the_config(name, override, key, value):
    from omegaconf import OmegaConf

    cfg = compose_config(name, [override])
    checked = validate_settings(cfg)
    assert checked[key] == value
    assert OmegaConf.to_container(OmegaConf.select(cfg, key)) == value   # what the command reads


@pytest.mark.parametrize("name, override, start, allowed", [
    ("predict", "targets=5", "targets=5 is not allowed", "a list of names"),
    ("screening", "targets=7", "targets=7 is not allowed", "a list of names"),
    ("compare", "targets=3", "targets=3 is not allowed", "a list of names"),
    ("compare", "targets=[ice,3]", "targets=['ice', 3] is not allowed", "a list of names"),
    ("promote", "exclude_models=[extra_tree]", "exclude_models=['extra_tree']: unknown 'extra_tree'", "'extra_trees'"),
    ("suggest", "process.htt_c=[hot]", "process.htt_c=['hot'] is not allowed", "a list of numbers"),
    ("suggest", "process.htt_c=[1300,inf]", "process.htt_c=[1300, inf] is not allowed", "a list of numbers"),
    ("suggest", "process.electrolyte=[[ester]]", "process.electrolyte=[['ester']] is not allowed", "list of names"),
    ("screening", "screen.weights.ice=heavy", "screen.weights.ice='heavy' is not allowed", "number >= 0"),
    ("screening", "screen.weights.ice=-1", "screen.weights.ice=-1 is not allowed", "number >= 0"),
    ("promote", "force=maybe", "force='maybe' is not allowed", "true or false"),
    ("pipeline", "retrain=maybe", "retrain='maybe' is not allowed", "true or false"),
    ("pipeline", "train_overrides=5", "train_overrides=5 is not allowed", "list of names"),
    ("pipeline", "search_overrides=5", "search_overrides=5 is not allowed", "list of names"),
    ("promote", "dry_run=perhaps", "dry_run='perhaps' is not allowed", "true or false"),
    ("promote", "metric=accuracy", "metric='accuracy' is not allowed", "rmse_mean"),
    ("promote", "metric=r2_mean", "metric='r2_mean' is not allowed", "rmse_mean"),
])
def test_wrong_shapes_and_unknown_names_are_refused(name, override, start, allowed):
    with pytest.raises(ConfigError) as caught:
        validate_settings(compose_config(name, [override]))
    assert str(caught.value).startswith(start) and allowed in str(caught.value)


@pytest.mark.parametrize("model, override, start, allowed", [
    ("extra_trees", "model.estimator.n_estimators=-5", "model.estimator.n_estimators=-5 is not allowed",
     "an int in the range [1, inf)"),
    ("ridge", "model.estimator.alpha=-1", "model.estimator.alpha=-1", "range [0.0, inf)"),
    ("knn", "model.estimator.weights=heavy", "model.estimator.weights='heavy'", "'uniform'"),
    ("ridge", "+model.estimator.depth=3", "model.estimator: cannot be built", "depth"),
])
def test_estimator_parameters_are_checked_by_the_estimators_own_rules(model, override, start, allowed):
    with pytest.raises(ConfigError) as caught:
        validate_settings(compose_config("train", [f"model={model}", override]))
    assert str(caught.value).startswith(start) and allowed in str(caught.value), caught.value
