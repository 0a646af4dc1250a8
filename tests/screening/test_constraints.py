"""Feasibility rules: evaluation on hand-made rows and rejection of anything but column logic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints, check_rule_columns, parse_rules

RULES = [
    {"name": "d002_above_graphite", "expr": "d002_nm >= 0.3354"},
    {"name": "lc_two_layers", "expr": "lc_nm >= 2 * d002_nm"},
    {"name": "ice_le_100", "expr": "pred_ice <= 100"},
]


@pytest.fixture
def rows() -> pd.DataFrame:
    return pd.DataFrame({
        "d002_nm": [0.37, 0.33, 0.38, 0.40, np.nan],
        "lc_nm": [1.0, 1.0, 0.70, 2.0, 1.0],
        "pred_ice": [90.0, 95.0, 101.0, 100.0, 80.0],
    })


def test_mask_and_failure_counts(rows):
    result = apply_constraints(rows, RULES)
    # row 0 ok; row 1 below graphite; row 2 Lc < 2*d002 (0.70 < 0.76) and ICE > 100;
    # row 3 ok (ICE == 100 allowed); row 4 NaN d002 fails both rules reading d002.
    np.testing.assert_array_equal(result.mask, [True, False, False, True, False])
    assert result.failures == {"d002_above_graphite": 2, "lc_two_layers": 2, "ice_le_100": 1}
    np.testing.assert_array_equal(result.passed["lc_two_layers"], [True, True, False, True, False])


@pytest.mark.parametrize(("expr", "expected"), [
    ("0.35 < d002_nm < 0.39", [True, False, True, False, False]),
    ("not (pred_ice > 95)", [True, True, False, False, True]),
    ("(pred_ice < 91) | (lc_nm > 1.5)", [True, False, False, True, True]),
    ("d002_nm > 0.36 and lc_nm ** 2 >= 1", [True, False, False, True, False]),
    ("-lc_nm <= -1", [True, True, False, True, True]),
])
def test_expression_forms(rows, expr, expected):
    result = apply_constraints(rows, [{"name": "r", "expr": expr}])
    np.testing.assert_array_equal(result.mask, expected)


def test_no_rules_pass_everything(rows):
    result = apply_constraints(rows, [])
    assert result.mask.all() and result.failures == {}


@pytest.mark.parametrize("expr", [
    "d002_nm.max() > 0",                 # attribute + call
    "__import__('os').getcwd() == 0",    # call
    "abs(lc_nm) > 1",                    # call of a builtin
    "lc_nm[0] > 1",                      # subscript
    "d002_nm > @limit",                  # pandas local-variable reference
    "d002_nm > 'a'",                     # string literal
    "lc_nm > True",                      # boolean literal
    "lambda: lc_nm",                     # lambda
    "lc_nm >",                           # syntax error
    "1 < 2",                             # reads no column
])
def test_disallowed_expressions_raise_naming_the_rule(rows, expr):
    with pytest.raises(ConfigError, match="rule 'bad'"):
        apply_constraints(rows, [{"name": "bad", "expr": expr}])


def test_unknown_column_is_named(rows):
    with pytest.raises(ConfigError, match=r"rule 'cap'.*unknown column 'pred_capacity'"):
        apply_constraints(rows, [{"name": "cap", "expr": "pred_capacity > 0"}])


def test_non_boolean_result_is_rejected(rows):
    with pytest.raises(ConfigError, match="rule 'sum'.*boolean"):
        apply_constraints(rows, [{"name": "sum", "expr": "lc_nm + d002_nm"}])


@pytest.mark.parametrize(("rules", "message"), [
    ([{"name": "a", "expr": "lc_nm > 0"}, {"name": "a", "expr": "lc_nm > 1"}], "rule 'a': duplicate"),
    ([{"expr": "lc_nm > 0"}], "rule #0: 'name'"),
    ([{"name": "a"}], "rule 'a': 'expr'"),
    ([{"name": "a", "expr": "lc_nm > 0", "when": "always"}], "rule 'a': unknown key 'when'"),
    (["lc_nm > 0"], "rule #0"),
])
def test_malformed_declarations(rules, message):
    with pytest.raises(ConfigError, match=message):
        parse_rules(rules)


def test_columns_are_recorded_and_checked_up_front():
    rules = parse_rules(RULES)
    assert rules[1].columns == ("lc_nm", "d002_nm")
    check_rule_columns(rules, ["d002_nm", "lc_nm", "pred_ice"])
    with pytest.raises(ConfigError, match="rule 'ice_le_100': unknown column 'pred_ice'"):
        check_rule_columns(rules, ["d002_nm", "lc_nm"])
