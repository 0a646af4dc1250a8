"""The objectives of a suggestion (nacarbon.suggest.objectives), from config to Objective."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.suggest.acquisition import Objective
from nacarbon.suggest.objectives import make_objectives, parse_objectives


def test_names_and_mappings_both_become_specs():
    raw = OmegaConf.create({"objectives": ["ice", {"target": "capacity", "weight": 2, "goal": "min"}]})
    assert parse_objectives(raw.objectives) == [{"target": "ice"},
                                                {"target": "capacity", "weight": 2, "goal": "min"}]
    assert parse_objectives("ice") == [{"target": "ice"}]


@pytest.mark.parametrize(("raw", "match"), [([], "at least one target"), (None, "at least one target"),
                                            ([3], "neither a target name"), ([{"weight": 1}], "neither a target name"),
                                            ([{"target": "ice", "wieght": 2}], "unknown keys \\['wieght'\\]")])
def test_malformed_objectives_are_config_errors(raw, match):
    with pytest.raises(ConfigError, match=match):
        parse_objectives(raw)


def test_a_missing_goal_follows_the_targets_direction():
    specs = [{"target": "ice"}, {"target": "loss"}, {"target": "rate", "goal": "min", "weight": 0.5, "low": 1}]
    assert make_objectives(specs, {"ice": True, "loss": False, "rate": True}) == [
        Objective("ice", 1.0, "max"), Objective("loss", 1.0, "min"), Objective("rate", 0.5, "min", low=1)]
