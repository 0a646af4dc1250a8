"""The step grid screening and inverse design share: predict each target, add its interval and
the applicability domain, then check the rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import ConstraintResult, Rule, apply_constraints

DOMAIN_SCORE, IN_DOMAIN = "domain_score", "in_domain"
FINITE_RULE, DOMAIN_RULE = "finite_predictions", "applicability_domain"


def pred_col(target: str) -> str:
    """Column holding a target's point prediction."""
    return f"pred_{target}"


def model_frame(obj: Any, rows: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """The columns ``obj`` reads: its ``feature_names_in_`` in its order when known, else ``features``.

    Estimators fitted on DataFrames check column names *and order*, so theirs are followed.
    """
    names = getattr(obj, "feature_names_in_", None)
    return rows[[str(c) for c in names] if names is not None else list(features)]


def evaluate_rows(rows: pd.DataFrame, predictors: Mapping[str, Any], *, features: Sequence[str],
                  intervals: Mapping[str, Any], domain: Any,
                  rules: Sequence[Rule]) -> tuple[ConstraintResult, np.ndarray]:
    """Predict, add intervals and domain columns to ``rows`` (in place), and check the rules.

    Parameters
    ----------
    rows : pandas.DataFrame
        Candidate structures, one per row; receives ``pred_<t>``, ``lo_<t>``/``hi_<t>`` (targets
        in ``intervals``) and ``domain_score``/``in_domain`` (when ``domain`` is given).
    predictors : mapping
        Target -> object with ``predict(DataFrame) -> ndarray``.
    features : sequence of str
        Feature columns, for objects that do not name their own.
    intervals : mapping
        Target -> fitted interval with ``interval(pred) -> (lo, hi)``.
    domain : ApplicabilityDomain or None
        Fitted applicability domain.
    rules : sequence of Rule
        Parsed feasibility rules.

    Returns
    -------
    checked : ConstraintResult
        Per-rule pass masks and failure counts.
    finite : numpy.ndarray of bool
        Rows whose every prediction is finite.

    Raises
    ------
    ConfigError
        If a predictor returns a shape other than one value per row.
    """
    for target, predictor in predictors.items():
        pred = np.asarray(predictor.predict(model_frame(predictor, rows, features)), dtype=np.float64)
        if pred.shape not in ((len(rows),), (len(rows), 1)):
            raise ConfigError(f"predictor for '{target}' returned shape {pred.shape} for {len(rows)} rows")
        rows[pred_col(target)] = pred.reshape(-1)
        if target in intervals:
            rows[f"lo_{target}"], rows[f"hi_{target}"] = intervals[target].interval(pred.reshape(-1))
    if domain is not None:
        rows[DOMAIN_SCORE] = domain.score(model_frame(domain, rows, features))
        rows[IN_DOMAIN] = rows[DOMAIN_SCORE].to_numpy() <= domain.threshold_
    checked = apply_constraints(rows, rules)
    finite = np.isfinite(rows[[pred_col(t) for t in predictors]].to_numpy()).all(axis=1)
    return checked, finite
