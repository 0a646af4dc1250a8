"""The whole predictor for one target as one picklable object: model, intervals, domain, schema check."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.design import DERIVED_FROM, add_derived
from nacarbon.data.schema import RULES, validate
from nacarbon.errors import DataValidationError
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.domain import PaperDomain


def physical_bounds(column: str) -> tuple[float, float]:
    """The physical range of a database column from the schema's rules ((-inf, inf) if none)."""
    for rule in RULES:
        if rule.column == column:   # the floor is physics (ICE 0 %), not the unit-slip floor (5 %)
            return rule.possible[0], rule.high
    return -math.inf, math.inf


def build_features(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """``frame`` with the model's derived features computed, exactly as for training.

    ``is_ether`` is 1 ether, 0 ester, NaN when not given (filled by the model's imputer as in training).
    """
    return add_derived(frame, features)


def check_input(frame: pd.DataFrame, features: Sequence[str], source: str = "<input>") -> pd.DataFrame:
    """Validate user rows with the database schema and return them typed (DataValidationError if not).

    Identity columns a user may lack (``sample_id``, ``source``) are filled in for the check; the same
    material twice is allowed (the duplicate rule is about stored rows); every model feature must be given.
    """
    raw = frame.copy()
    if C.SAMPLE_ID not in raw:
        raw[C.SAMPLE_ID] = [f"row-{i + 1}" for i in range(len(raw))]
    if C.SOURCE not in raw:
        raw[C.SOURCE] = "user"
    if C.PAPER_ID not in raw:  # the user's rows are one new paper (a random-effect model sees an unseen group)
        raw[C.PAPER_ID] = "user"
    if len(raw) == 0:
        raise DataValidationError(source, [{"row": None, "field": None, "value": None, "rule": "no rows"}])
    problems = [{"row": None, "field": f, "value": None, "rule": "required column is missing (a model feature)"}
                for f in features if f not in raw and f not in DERIVED_FROM]
    typed = None
    try:
        typed = validate(raw.astype(object).where(raw.notna(), None), source)
    except DataValidationError as err:
        problems += [p for p in err.problems if not str(p.get("rule", "")).startswith("duplicate_row")
                     and not (p.get("field") == C.SAMPLE_ID and p.get("rule") == "must be unique")]
        if not problems:
            typed = None
    if problems:
        raise DataValidationError(source, problems)
    if typed is None:  # only duplicate-row findings: type the numbers ourselves
        from nacarbon.data.schema import NUMERIC

        typed = raw.copy()
        for col in NUMERIC:
            if col in typed:
                typed[col] = pd.to_numeric(typed[col], errors="coerce").astype(float)
    return typed


def interval_promise(regressor) -> str:
    """What a fitted conformal ``regressor``'s interval promises, in words (per lab when ``paper_share`` is set)."""
    a, share = regressor.alpha, getattr(regressor, "paper_share", None)
    if share is None:
        return f"{1 - a:.0%} conformal interval"
    return f"conformal interval covering at least {share:.0%} of a new lab's samples with probability {1 - a:.0%}"


class SamplePredictor:
    """One target's predictor: point, 1 - alpha interval, domain score and flag, nearest samples.

    ``target`` names the output columns (``ice`` -> ``pred_ice``); ``target_column`` is its database
    column (gives the physical bounds); ``regressor`` and ``domain`` default to unfitted
    ``GroupConformalRegressor`` and ``PaperDomain`` and are fitted in :meth:`fit`.
    """

    def __init__(self, target: str, target_column: str, features: Sequence[str],
                 regressor: GroupConformalRegressor | None = None, domain: PaperDomain | None = None,
                 n_nearest: int = 3):
        self.target = target
        self.target_column = target_column
        self.features = list(features)
        self.bounds = physical_bounds(target_column)
        self.regressor = regressor if regressor is not None else GroupConformalRegressor(bounds=self.bounds)
        self.domain = domain if domain is not None else PaperDomain()
        self.n_nearest = n_nearest

    def fit(self, frame: pd.DataFrame, group_column: str = C.PAPER_ID) -> SamplePredictor:
        """Fit model, calibration and domain on the rows of ``frame`` with a measured target.

        ``group_column`` names each row's paper (the CV group); a table without ``paper_id`` gets it as
        the loaders give it.
        """
        if group_column == C.PAPER_ID and C.PAPER_ID not in frame:
            from nacarbon.data.papers import with_paper_ids

            frame = with_paper_ids(frame, dataset=None, label="<training table>")
        rows = build_features(frame[frame[self.target_column].notna()], self.features).reset_index(drop=True)
        X = rows[self.features].to_numpy(dtype=float)
        groups = rows[group_column].astype(str).to_numpy()
        self.regressor.set_params(bounds=self.bounds)
        self.regressor.fit(X, rows[self.target_column].to_numpy(dtype=float), groups)
        self.domain.fit(rows[self.features].astype(float), groups=groups)  # named: the domain finds the structure
        self.train_ids_ = rows[C.SAMPLE_ID].astype(str).to_numpy()
        self.train_groups_ = groups
        self.group_column_ = group_column
        return self

    def describe(self) -> str:
        """What the columns of :meth:`predict_frame` mean."""
        return (f"pred_{self.target}: point prediction; lo_/hi_{self.target}: {interval_promise(self.regressor)}, "
                f"calibrated over held-out papers (CV+, difficulty={self.regressor.difficulty}), "
                f"clipped to {self.bounds}. " + self.domain.describe(self.features))

    def predict_frame(self, frame: pd.DataFrame, source: str = "<input>") -> pd.DataFrame:
        """Validate user rows with the schema (DataValidationError) and add :meth:`predict_features` columns.

        ``source`` names the input in error messages; the input columns are kept.
        """
        typed = check_input(frame, self.features, source)
        answer = self.predict_features(build_features(typed, self.features))
        out = frame.reset_index(drop=True).copy()
        for col in answer.columns:
            out[col] = answer[col].to_numpy()
        return out

    def predict_features(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The answer for rows that already hold the model's feature columns (no schema check).

        Screening calls this on generated candidates; ``predict`` and the served model validate first via
        :meth:`predict_frame`, so all give the same numbers. Columns: ``pred/lo/hi_<t>``, ``domain_score``,
        ``domain_percentile``, ``in_domain``, ``domain_note`` (why out of the domain) and per i <= n_nearest
        ``nearest<i>_sample_id``, ``nearest<i>_<group column>``, ``nearest<i>_distance`` (ids empty if unplaced).
        """
        X = rows[self.features].to_numpy(dtype=float)
        out = pd.DataFrame(index=range(len(X)))
        t = self.target
        out[f"pred_{t}"] = self.regressor.predict(X)
        out[f"lo_{t}"], out[f"hi_{t}"] = self.regressor.predict_interval(X)
        named = rows[self.features].astype(float)
        dist, idx = self.domain.kneighbors(named, max(self.n_nearest, self.domain.n_neighbors))
        mean_d = dist[:, :self.domain.n_neighbors].mean(axis=1)
        out["domain_score"] = mean_d / self.domain.threshold_
        ref = np.sort(self.domain.lpo_distances_)
        out["domain_percentile"] = np.searchsorted(ref, mean_d, side="right") / len(ref)
        out["in_domain"] = out["domain_score"] <= 1.0
        out["domain_note"] = self.domain.reasons(named, out["domain_score"].to_numpy())
        placed = idx >= 0  # -1: too little structure data to have neighbours (see PaperDomain)
        for i in range(self.n_nearest):
            out[f"nearest{i + 1}_sample_id"] = np.where(placed[:, i], self.train_ids_[idx[:, i]], "")
            out[f"nearest{i + 1}_{self.group_column_}"] = np.where(placed[:, i], self.train_groups_[idx[:, i]], "")
            out[f"nearest{i + 1}_distance"] = dist[:, i]
        return out
