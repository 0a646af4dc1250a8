import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.suggest.space import (
    candidate_pool, check_electrolytes, material_matrix, passing_predictions, split_rules,
)

GRID = {"d002_nm": {"values": [0.335, 0.37]}, "la_nm": {"values": [2.0, 4.0]}, "lc_nm": {"values": [1.0]},
        "id_ig": {"values": [1.0]}, "ssa_m2_g": {"values": [5.0, 500.0]}}
RULES = [{"name": "d002_above_graphite", "expr": "d002_nm >= 0.3354"}, {"name": "lc_two_layers", "expr": "lc_nm >= 2 * d002_nm"}]


def test_pool_crosses_grid_and_process_and_applies_the_rules():
    pool = candidate_pool(GRID, {"htt_c": [1000, 1400], "electrolyte": ["ester", "ether"]}, RULES)
    assert len(pool) == 1 * 2 * 2 * 2 * 2  # d002 = 0.335 removed by the graphite rule
    assert (pool["d002_nm"] >= 0.3354).all() and set(pool["electrolyte"]) == {"ester", "ether"}
    assert pool["candidate_id"].is_unique


def test_rules_leaving_nothing_are_a_config_error_naming_the_rules():
    with pytest.raises(ConfigError, match="leave no candidate.*lc_two_layers"):
        candidate_pool(GRID, {}, [*RULES, {"name": "lc_two_layers_x", "expr": "lc_nm >= 5"}])


@pytest.mark.parametrize("bad", [["carbonate"], []])
def test_unknown_electrolyte_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="electrolyte"):
        candidate_pool(GRID, {"electrolyte": bad}, RULES)
    with pytest.raises(ConfigError, match="allowed"):
        check_electrolytes(bad)


def test_material_matrix_encodes_electrolyte_derives_model_inputs_and_leaves_gaps():
    frame = pd.DataFrame({"electrolyte": ["ether", "ester", None], "material_class": ["soft", "hard", "hard"],
                          "ssa_m2_g": ["12.5", "", "3"]})
    X = material_matrix(frame, ["electrolyte", "is_ether", "is_soft", "ssa_m2_g", "htt_c"])
    np.testing.assert_array_equal(X[:, 0], X[:, 1])               # one encoding: ether 1, ester 0
    assert X[0, :3].tolist() == [1.0, 1.0, 1.0] and X[1, :3].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(X[2, 0]) and np.isnan(X[1, 3]) and X[2, 3] == 3.0
    assert np.isnan(X[:, 4]).all()                                 # a column the frame lacks


def test_rules_split_into_pool_rules_and_prediction_rules():
    on_pred = [{"name": "good_ice", "expr": "pred_ice >= 80"}, {"name": "cap", "expr": "x > 1", "target": "capacity"}]
    assert split_rules([*RULES, *on_pred]) == (RULES, on_pred)
    with pytest.raises(ConfigError, match="must be \\{name: ..., expr: ...\\}"):
        split_rules([{"expr": "la_nm > 1"}])


def test_prediction_rules_apply_where_their_targets_are_predicted():
    pool = pd.DataFrame({"la_nm": [1.0, 2.0, 3.0]})
    frame = pd.DataFrame({"pred_ice": [70.0, 85.0, 90.0]})
    rules = [{"name": "good_ice", "expr": "pred_ice >= 80"},
             {"name": "capacity", "expr": "pred_capacity >= 300"}]   # capacity is not predicted: skipped
    assert passing_predictions(pool, frame, rules, ["ice"]).tolist() == [False, True, True]
    assert passing_predictions(pool, frame, rules[1:], ["ice"]).tolist() == [True, True, True]
    with pytest.raises(ConfigError, match="leave no candidate of 3"):
        passing_predictions(pool, frame, [{"name": "x", "expr": "pred_ice > 95", "target": "ice"}], ["ice"])
