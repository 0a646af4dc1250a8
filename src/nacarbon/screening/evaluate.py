"""The step grid screening and inverse design share: ask each target's whole predictor, check the rules.

A whole predictor (``SamplePredictor``, or anything with ``target``, ``features``, ``predict_features``)
brings its own interval and domain, as ``python -m predict`` answers; screening builds none of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import ConstraintResult, Rule, apply_constraints, check_rule_columns

DOMAIN_SCORE, IN_DOMAIN = "domain_score", "in_domain"
FINITE_RULE, DOMAIN_RULE = "finite_predictions", "applicability_domain"
RANK_BY = ("mean", "lcb")
# Each whole predictor scales its domain score so that 1 is its own threshold.
DOMAIN_THRESHOLD = 1.0


def pred_col(target: str) -> str:
    """Column holding a target's point prediction."""
    return f"pred_{target}"


def answer_columns(predictors: Mapping[str, Any]) -> list[str]:
    """Columns :func:`evaluate_rows` adds: ``pred_/lo_/hi_<t>`` per target, then the domain's two."""
    return [f"{side}_{t}" for t in predictors for side in ("pred", "lo", "hi")] + [DOMAIN_SCORE, IN_DOMAIN]


def check_predictors(predictors: Mapping[str, Any], available: Sequence[str], rules: Sequence[Rule]) -> None:
    """Refuse anything but whole predictors, a missing input column and a rule on an unknown column.

    ``available`` are the columns every candidate has (grid axes or search bounds). The ConfigError
    names the target, feature or rule.
    """
    if not predictors:
        raise ConfigError("screening needs at least one predictor")
    for target, predictor in predictors.items():
        if not callable(getattr(predictor, "predict_features", None)):
            raise ConfigError(f"predictor for '{target}' is a {type(predictor).__name__}, not a whole predictor "
                              f"(SamplePredictor: point, interval and domain)")
    missing = sorted({str(c) for p in predictors.values() for c in p.features} - set(available))
    if missing:
        raise ConfigError(f"grid spec lacks feature '{missing[0]}' that a model needs")
    check_rule_columns(rules, [*available, *answer_columns(predictors)])


def rank_column(target: str, direction: str, rank_by: str) -> str:
    """Column a target is ranked on: its prediction, or its conservative bound (``lcb``).

    ``lcb`` takes the lower bound of a target to maximise and the upper bound of one to
    minimise: the value the interval says the candidate reaches with 1 - alpha confidence.
    """
    if rank_by not in RANK_BY:
        raise ConfigError("unknown ranking", key="screen.rank_by", value=rank_by, allowed=list(RANK_BY))
    if rank_by == "mean":
        return pred_col(target)
    return f"lo_{target}" if direction == "max" else f"hi_{target}"


def evaluate_rows(rows: pd.DataFrame, predictors: Mapping[str, Any],
                  rules: Sequence[Rule]) -> tuple[ConstraintResult, np.ndarray]:
    """Add the :func:`answer_columns` to ``rows`` (in place), check the rules; also return the finite mask.

    ``domain_score`` is the largest of the predictors' scores (each is 1 at its own threshold), so
    ``in_domain`` means inside every model's domain. The mask marks rows whose every prediction is finite.
    """
    scores = []
    for target, predictor in predictors.items():
        answer = predictor.predict_features(rows)
        for side in ("pred", "lo", "hi"):
            rows[f"{side}_{target}"] = answer[f"{side}_{predictor.target}"].to_numpy(dtype=np.float64)
        scores.append(answer[DOMAIN_SCORE].to_numpy(dtype=np.float64))
    rows[DOMAIN_SCORE] = np.max(scores, axis=0)
    rows[IN_DOMAIN] = rows[DOMAIN_SCORE].to_numpy() <= DOMAIN_THRESHOLD
    checked = apply_constraints(rows, rules)
    finite = np.isfinite(rows[[pred_col(t) for t in predictors]].to_numpy()).all(axis=1)
    return checked, finite
