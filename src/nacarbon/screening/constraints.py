"""Feasibility rules declared as data (``{"name": ..., "expr": "lc_nm >= 2 * d002_nm"}``), checked on tables.

An ``expr`` may hold only column names, numbers, arithmetic, comparisons and logic (checked with
:mod:`ast`; evaluated by ``DataFrame.eval`` with empty namespaces), so a config cannot reach anything
but the table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name, ast.Load,
    ast.Constant, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.BitAnd, ast.BitOr, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
)


@dataclass(frozen=True)
class Rule:
    """One parsed feasibility rule; ``columns`` are those ``expr`` reads, in first-use order."""

    name: str
    expr: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ConstraintResult:
    """Outcome of applying rules to a table.

    ``mask``: rows passing every rule; ``passed``: rule -> pass mask (NaN inputs fail); ``failures``:
    rule -> rows failing it (a row can fail several).
    """

    mask: np.ndarray
    passed: dict[str, np.ndarray]
    failures: dict[str, int]


def _parse_one(index: int, raw: Mapping) -> Rule:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"rule #{index}: expected a mapping with 'name' and 'expr', got {raw!r}")
    unknown = sorted(set(raw) - {"name", "expr"})
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"rule #{index}: 'name' must be a non-empty string, got {name!r}")
    if unknown:
        raise ConfigError(f"rule '{name}': unknown key '{unknown[0]}' (known: expr, name)")
    expr = raw.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        raise ConfigError(f"rule '{name}': 'expr' must be a non-empty string, got {expr!r}")
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"rule '{name}': cannot parse {expr!r}: {exc.msg}") from None
    columns: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ConfigError(f"rule '{name}': {type(node).__name__} is not allowed in {expr!r} "
                              "(only column names, numbers, arithmetic, comparisons and logic)")
        if isinstance(node, ast.Constant) and (
                isinstance(node.value, bool) or not isinstance(node.value, (int, float))):
            raise ConfigError(f"rule '{name}': literal {node.value!r} is not allowed in {expr!r} "
                              "(only numbers)")
        if isinstance(node, ast.Name) and node.id not in columns:
            columns.append(node.id)
    if not columns:
        raise ConfigError(f"rule '{name}': {expr!r} references no column")
    return Rule(name=name, expr=expr.strip(), columns=tuple(columns))


def parse_rules(rules: Iterable[Mapping | Rule]) -> list[Rule]:
    """Parse ``{name, expr}`` mappings in order (parsed :class:`Rule` objects pass through).

    ConfigError naming the rule on a missing/unknown key, a duplicate name, a syntax error, a
    disallowed construct (call, attribute, string, ``@`` reference ...) or no column read.
    """
    parsed: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(rules):
        rule = raw if isinstance(raw, Rule) else _parse_one(index, raw)
        if rule.name in seen:
            raise ConfigError(f"rule '{rule.name}': duplicate rule name")
        seen.add(rule.name)
        parsed.append(rule)
    return parsed


def check_rule_columns(rules: Sequence[Rule], columns: Iterable[str]) -> None:
    """Raise ConfigError naming the first rule that reads a column not in ``columns``, and that column."""
    available = set(columns)
    for rule in rules:
        for column in rule.columns:
            if column not in available:
                raise ConfigError(f"rule '{rule.name}': unknown column '{column}' "
                                  f"(available: {', '.join(sorted(available))})")


def apply_constraints(frame: pd.DataFrame, rules: Iterable[Mapping | Rule]) -> ConstraintResult:
    """Evaluate rules (see :func:`parse_rules`) on ``frame``'s rows.

    A comparison with NaN is False, so a row with a missing value fails every rule that reads it.
    ConfigError if a rule is malformed, reads an unknown column or gives no boolean per row.
    """
    parsed = parse_rules(rules)
    check_rule_columns(parsed, frame.columns)
    mask = np.ones(len(frame), dtype=bool)
    passed: dict[str, np.ndarray] = {}
    failures: dict[str, int] = {}
    for rule in parsed:
        try:
            result = frame.eval(rule.expr, local_dict={}, global_dict={})
        except Exception as exc:  # pandas raises many types; the rule is what the user must fix
            raise ConfigError(f"rule '{rule.name}': cannot evaluate {rule.expr!r}: {exc}") from exc
        if not isinstance(result, pd.Series) or not pd.api.types.is_bool_dtype(result.dtype):
            raise ConfigError(f"rule '{rule.name}': {rule.expr!r} must give one boolean per row")
        ok = result.to_numpy(dtype=bool, na_value=False)
        passed[rule.name] = ok
        failures[rule.name] = int(len(ok) - np.count_nonzero(ok))
        mask &= ok
    return ConstraintResult(mask=mask, passed=passed, failures=failures)
