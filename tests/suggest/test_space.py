import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.suggest.space import DistanceSpace, candidate_pool, check_electrolytes, pairwise_distance

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


def test_distances_log_scale_ssa_and_skip_missing_dimensions():
    known = pd.DataFrame({"ssa_m2_g": [1.0, 10.0, 100.0, 1000.0], "d002_nm": [0.36, 0.37, 0.38, 0.39]})
    space = DistanceSpace(["ssa_m2_g", "d002_nm"]).fit(known)
    Z = space.transform(pd.DataFrame({"ssa_m2_g": [10.0, 100.0, np.nan], "d002_nm": [0.37, 0.37, 0.37]}))
    d = pairwise_distance(Z, Z)
    # 10 -> 100 m2/g is one decade, the same step as 1 -> 10: one scale unit of log10 SSA
    np.testing.assert_allclose(d[0, 1], 1 / np.std(np.log10([1, 10, 100, 1000])))
    assert d[0, 2] == 0.0 and np.isfinite(d).all()
