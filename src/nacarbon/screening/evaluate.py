"""The step grid screening and inverse design share: predict each target, add its interval and
the applicability domain, then check the rules.

A predictor is either a plain model (``predict``; then the interval comes from ``intervals``
and the domain from ``domain``) or a whole predictor with ``predict_features`` (the registry's
:class:`~nacarbon.uncertainty.predictor.SamplePredictor`): then its own locally adaptive
interval and paper-calibrated domain are used, exactly as ``python -m predict`` and the served
model answer. With whole predictors, ``domain_score`` is the largest of their scores (each is
1 at its threshold) and ``in_domain`` means inside every model's domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import ConstraintResult, Rule, apply_constraints

DOMAIN_SCORE, IN_DOMAIN = "domain_score", "in_domain"
FINITE_RULE, DOMAIN_RULE = "finite_predictions", "applicability_domain"
RANK_BY = ("mean", "lcb")


def carries_uncertainty(predictor: Any) -> bool:
    """True for a whole predictor (interval and domain of its own), False for a bare model."""
    return callable(getattr(predictor, "predict_features", None))


def needed_features(obj: Any) -> list[str]:
    """Feature columns a model (``feature_names_in_``) or whole predictor (``features``) reads."""
    if carries_uncertainty(obj):
        return [str(c) for c in obj.features]
    return [str(c) for c in getattr(obj, "feature_names_in_", [])]


def has_domain(predictors: Mapping[str, Any], domain: Any) -> bool:
    """Whether the evaluation step writes ``domain_score``/``in_domain``."""
    return domain is not None or any(carries_uncertainty(p) for p in predictors.values())


def domain_threshold(domain: Any) -> float:
    """The in-domain threshold of ``domain_score``: the domain's own, or 1 for whole predictors."""
    return float(domain.threshold_) if domain is not None else 1.0


def rank_column(target: str, direction: str, rank_by: str) -> str:
    """Column a target is ranked on: its prediction, or its conservative bound (``lcb``).

    ``lcb`` takes the lower bound of a target to maximise and the upper bound of one to
    minimise: the value the interval says the candidate reaches with 1 - alpha confidence.
    """
    if rank_by not in RANK_BY:
        raise ConfigError(f"screen.rank_by={rank_by!r}: allowed {list(RANK_BY)}")
    if rank_by == "mean":
        return pred_col(target)
    return f"lo_{target}" if direction == "max" else f"hi_{target}"


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
        Target -> object with ``predict(DataFrame) -> ndarray``, or a whole predictor with
        ``predict_features(DataFrame) -> DataFrame`` (interval and domain of its own).
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
    own_scores = []
    for target, predictor in predictors.items():
        if carries_uncertainty(predictor):
            answer = predictor.predict_features(rows)
            t = predictor.target
            for side in ("pred", "lo", "hi"):
                rows[f"{side}_{target}"] = answer[f"{side}_{t}"].to_numpy(dtype=np.float64)
            own_scores.append(answer[DOMAIN_SCORE].to_numpy(dtype=np.float64))
            continue
        pred = np.asarray(predictor.predict(model_frame(predictor, rows, features)), dtype=np.float64)
        if pred.shape not in ((len(rows),), (len(rows), 1)):
            raise ConfigError(f"predictor for '{target}' returned shape {pred.shape} for {len(rows)} rows")
        rows[pred_col(target)] = pred.reshape(-1)
        if target in intervals:
            rows[f"lo_{target}"], rows[f"hi_{target}"] = intervals[target].interval(pred.reshape(-1))
    if domain is not None:
        rows[DOMAIN_SCORE] = domain.score(model_frame(domain, rows, features))
        rows[IN_DOMAIN] = rows[DOMAIN_SCORE].to_numpy() <= domain.threshold_
    elif own_scores:
        rows[DOMAIN_SCORE] = np.max(own_scores, axis=0)
        rows[IN_DOMAIN] = rows[DOMAIN_SCORE].to_numpy() <= 1.0
    checked = apply_constraints(rows, rules)
    finite = np.isfinite(rows[[pred_col(t) for t in predictors]].to_numpy()).all(axis=1)
    return checked, finite
