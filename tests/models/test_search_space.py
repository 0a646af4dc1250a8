"""Bad search spaces fail before any trial, naming the model file and the key."""

from __future__ import annotations

import optuna
import pytest

from nacarbon.errors import ConfigError
from nacarbon.models.pipeline import make_regressor
from nacarbon.models.search_space import default_params, model_space, suggest, validate_space
from nacarbon.commands.train import run
from tests.conftest import CONF, compose_config

WHERE = "conf/model/xgboost.yaml"
PARAMS = {"max_depth", "learning_rate", "n_estimators", "booster"}

BAD = [
    ("low_above_high", {"max_depth": {"type": "int", "low": 8, "high": 2}}, "search_space.max_depth", "low (8) > high (2)"),
    ("unknown_type", {"learning_rate": {"type": "gaussian", "low": 0.1, "high": 0.2}},
     "search_space.learning_rate.type", "unknown distribution 'gaussian'"),
    ("unknown_param", {"max_leaves_typo": {"type": "int", "low": 2, "high": 8}}, "search_space.max_leaves_typo",
     "unknown hyperparameter 'max_leaves_typo'"),
    ("missing_high", {"max_depth": {"type": "int", "low": 2}}, "search_space.max_depth", "missing ['high']"),
    ("extra_key", {"max_depth": {"type": "int", "low": 2, "high": 8, "choices": [1]}}, "search_space.max_depth",
     "unexpected ['choices']"),
    ("no_type", {"max_depth": [2, 8]}, "search_space.max_depth", "expected a mapping with a 'type'"),
    ("fractional_int", {"max_depth": {"type": "int", "low": 1.5, "high": 8}}, "search_space.max_depth",
     "whole-number bounds"),
    ("text_bound", {"learning_rate": {"type": "float", "low": "0.01", "high": 0.3}}, "search_space.learning_rate",
     "must be numbers"),
    ("log_from_zero", {"learning_rate": {"type": "float", "low": 0.0, "high": 0.3, "log": True}},
     "search_space.learning_rate", "needs low > 0"),
    ("log_not_bool", {"learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": "yes"}},
     "search_space.learning_rate.log", "true or false"),
    ("step_and_log", {"n_estimators": {"type": "int", "low": 50, "high": 500, "step": 50, "log": True}},
     "search_space.n_estimators", "step and log cannot be combined"),
    ("negative_step", {"n_estimators": {"type": "int", "low": 50, "high": 500, "step": -50}},
     "search_space.n_estimators.step", "positive whole number"),
    ("empty_choices", {"booster": {"type": "categorical", "choices": []}}, "search_space.booster.choices",
     "must not be empty"),
    ("string_choices", {"booster": {"type": "categorical", "choices": "gbtree"}}, "search_space.booster.choices",
     "must be a list"),
    ("nested_choice", {"booster": {"type": "categorical", "choices": [["gbtree"]]}}, "search_space.booster.choices",
     "only null, booleans, numbers and strings"),
]


@pytest.mark.parametrize("space, key, message", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_space_names_file_and_key(space, key, message):
    with pytest.raises(ConfigError) as err:
        validate_space(space, estimator_params=PARAMS, where=WHERE)
    text = str(err.value)
    assert text.startswith(f"{WHERE}: {key}"), text
    assert message in text


def test_space_that_is_not_a_mapping():
    with pytest.raises(ConfigError, match=r"^conf/model/xgboost.yaml: search_space must map"):
        validate_space(["max_depth"], estimator_params=PARAMS, where=WHERE)


def test_good_space_is_returned_as_plain_dicts():
    space = {"max_depth": {"type": "int", "low": 2, "high": 8}, "booster": {"type": "categorical",
                                                                           "choices": ("gbtree", "dart")}}
    assert validate_space(space, estimator_params=PARAMS, where=WHERE) == {
        "max_depth": {"type": "int", "low": 2, "high": 8},
        "booster": {"type": "categorical", "choices": ["gbtree", "dart"]}}
    assert validate_space(None, estimator_params=PARAMS, where=WHERE) == {}


def test_suggest_stays_on_the_declared_grid():
    space = validate_space({"n_estimators": {"type": "int", "low": 50, "high": 500, "step": 50},
                            "learning_rate": {"type": "float", "low": 0.01, "high": 0.3, "log": True},
                            "max_depth": {"type": "float", "low": 0.5, "high": 2.0, "step": 0.5},
                            "booster": {"type": "categorical", "choices": ["gbtree", "dart"]}},
                           estimator_params=PARAMS, where=WHERE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    draws = []
    study.optimize(lambda t: draws.append(suggest(t, space)) or 0.0, n_trials=30)
    for d in draws:
        assert d["n_estimators"] in range(50, 501, 50)
        assert 0.01 <= d["learning_rate"] <= 0.3
        assert d["max_depth"] in {0.5, 1.0, 1.5, 2.0}
        assert d["booster"] in {"gbtree", "dart"}
    assert len({d["n_estimators"] for d in draws}) > 3


def test_bad_space_in_a_model_file_stops_training_before_any_fit(make_cfg):
    cfg = make_cfg("target=ice", "model=ridge", "search=optuna", "model.search_space.alpha.low=1e4")
    with pytest.raises(ConfigError, match=r"conf/model/ridge.yaml: search_space.alpha: low \(10000.0\) > high"):
        run(cfg)


MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))


@pytest.mark.parametrize("name", MODELS)
def test_every_family_has_its_defaults_inside_its_own_space(name):
    cfg = compose_config("train", ["target=ice", f"model={name}"]).model
    where = f"conf/model/{name}.yaml"
    space = model_space(cfg, where=where)
    defaults = default_params(cfg, space, where=where)
    assert set(defaults) == set(space)
    built = make_regressor(cfg).get_params()
    for key, value in defaults.items():
        assert value == built[key], key


def test_default_outside_the_space_names_file_key_and_range(make_cfg):
    cfg = make_cfg("target=ice", "model=extra_trees", "model.estimator.min_samples_leaf=20").model
    space = model_space(cfg, where="conf/model/extra_trees.yaml")
    with pytest.raises(ConfigError, match=r"^conf/model/extra_trees.yaml: the default min_samples_leaf=20 is "
                                          r"outside search_space.min_samples_leaf \(1..8\)"):
        default_params(cfg, space, where="conf/model/extra_trees.yaml")
    off_grid = {"n_estimators": {"type": "int", "low": 50, "high": 300, "step": 50}}
    cfg = make_cfg("target=ice", "model=extra_trees", "model.estimator.n_estimators=120").model
    with pytest.raises(ConfigError, match=r"n_estimators=120 is outside .*50..300 step 50"):
        default_params(cfg, off_grid, where="conf/model/extra_trees.yaml")
