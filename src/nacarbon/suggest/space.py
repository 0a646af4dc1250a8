"""Where candidates live: the settings a lab controls, and the numbers a material is described by.

The pool is the screening grid (structure) crossed with the process settings a lab chooses (HTT,
electrolyte, test current), filtered by physical rules; distances between candidates and known
materials are the one distance of :mod:`nacarbon.uncertainty.space`, as the domain's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.design import DERIVED_FROM, add_derived
from nacarbon.data.schema import CATEGORIES
from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints
from nacarbon.screening.grid import grid_chunk, grid_size, grid_values

ELECTROLYTES = tuple(sorted(CATEGORIES[C.ELECTROLYTE]))
# 0/1 encodings of categorical columns, so they can enter distances and models as numbers
ENCODED = {C.ELECTROLYTE: {"ester": 0.0, "ether": 1.0}}


def check_electrolytes(values: Sequence[str]) -> list[str]:
    """Return the electrolytes as a list, or raise ConfigError naming an unknown one."""
    values = [str(v) for v in values]
    if not values:
        raise ConfigError(key="process.electrolyte", value=values, allowed=list(ELECTROLYTES))
    for v in values:
        if v not in ELECTROLYTES:
            raise ConfigError(f"process.electrolyte: unknown electrolyte {v!r}; allowed: {list(ELECTROLYTES)}")
    return values


def candidate_pool(grid: Mapping[str, Mapping[str, Any]], process: Mapping[str, Sequence[Any]] | None = None,
                   rules: Sequence[Mapping] = (), *, max_size: int = 2_000_000) -> pd.DataFrame:
    """Every combination of ``grid`` structures and ``process`` settings that passes the ``rules``.

    ``process`` maps a column to its values (``{"htt_c": [1000, 1300], "electrolyte": ["ester"]}``);
    ``rules`` are ``{name, expr}``. Returns ``candidate_id`` plus a column per grid feature and
    setting. ConfigError on a bad grid or process value, an unknown electrolyte, a pool over
    ``max_size`` (checked before building it), or rules that leave nothing (with each rule's count).
    """
    process = dict(process or {})
    axes = grid_values(grid)
    size = grid_size(grid)
    for key, vals in process.items():
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__len__") or len(vals) == 0:
            raise ConfigError(key=f"process.{key}", value=vals, allowed="a non-empty list")
        size *= len(vals)
    if size > max_size:
        raise ConfigError(f"candidate pool of {size:,} rows exceeds max_size={max_size:,}; coarsen the grid")
    if C.ELECTROLYTE in process:
        process[C.ELECTROLYTE] = check_electrolytes(process[C.ELECTROLYTE])
    pool = grid_chunk(axes, 0, grid_size(grid))
    for key, vals in process.items():
        pool = pool.merge(pd.DataFrame({key: list(vals)}), how="cross")
    pool["candidate_id"] = np.arange(len(pool), dtype=np.int64)
    if rules:
        result = apply_constraints(pool, rules)
        if not result.mask.any():
            raise ConfigError(f"the constraints leave no candidate of {len(pool):,}; "
                              f"rows removed per rule: {result.failures}")
        pool = pool.loc[result.mask].reset_index(drop=True)
    return pool


def numeric_view(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """The columns as floats, categorical ones through :data:`ENCODED`, absent ones as NaN."""
    out = np.full((len(frame), len(columns)), np.nan)
    for j, col in enumerate(columns):
        if col not in frame:
            continue
        values = frame[col]
        if col in ENCODED:
            values = values.map(ENCODED[col])
        out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return out


def material_matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """:func:`numeric_view` of ``columns``, derived model inputs (``is_ether``, ``is_soft``) computed first."""
    derivable = [c for c in columns if c not in frame and DERIVED_FROM.get(c) in frame]
    return numeric_view(add_derived(frame, derivable) if derivable else frame, columns)


def split_rules(rules: Sequence[object]) -> tuple[list[dict], list[dict]]:
    """Rules on pool columns and rules on predictions (``target: <t>``, or an ``expr`` naming ``pred_<t>``)."""
    on_pool, on_predictions = [], []
    for rule in rules:
        if not isinstance(rule, dict) or "name" not in rule or "expr" not in rule:
            raise ConfigError(f"constraints: {rule!r} must be {{name: ..., expr: ...}} (target: <t> for a rule "
                              f"on pred_<t>)")
        (on_predictions if rule.get("target") or "pred_" in str(rule["expr"]) else on_pool).append(rule)
    return on_pool, on_predictions


def passing_predictions(pool: pd.DataFrame, frame: pd.DataFrame, rules: Sequence[dict],
                        targets: Sequence[str]) -> np.ndarray:
    """Mask of the candidates that pass the rules on predictions (as in the screen).

    A rule applies where every target it names is predicted (a column ``pred_<t>`` of ``frame``,
    aligned with ``pool``); without one all pass. ConfigError if they leave no candidate.
    """
    def named(rule: dict) -> set[str]:
        return {*re.findall(r"pred_([A-Za-z0-9_]+)", rule["expr"]), *([rule["target"]] if rule.get("target") else [])}

    active = [{k: v for k, v in r.items() if k != "target"} for r in rules if all(t in targets for t in named(r))]
    if not active:
        return np.ones(len(pool), bool)
    checked = apply_constraints(pool.join(frame), active)
    if not checked.mask.any():
        raise ConfigError(f"the rules on predictions leave no candidate of {len(pool):,}; rows removed per rule: "
                          f"{dict(checked.failures)}")
    return checked.mask
