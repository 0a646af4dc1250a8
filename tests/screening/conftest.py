"""Small real whole predictors for the screening tests: SamplePredictors fitted on the seed table.

A ridge regression inside the paper-grouped conformal regressor keeps the fits to about a
second while every answer (point, CV+ interval, domain) goes through the product's own code.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from nacarbon.data.columns import STRUCTURE
from nacarbon.data.io import read_table
from nacarbon.paths import project_root
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.predictor import SamplePredictor

TARGETS = {"capacity": "capacity_mah_g", "ice": "ice_pct", "plateau_voltage": "plateau_v", "rate": "rate_factor"}


def fit_predictor(table: pd.DataFrame, target: str, column: str, features=tuple(STRUCTURE)) -> SamplePredictor:
    """One target's whole predictor on ``table`` (imputer + ridge, 90 % CV+ over papers)."""
    regressor = GroupConformalRegressor(make_pipeline(SimpleImputer(), Ridge()))
    return SamplePredictor(target, column, list(features), regressor=regressor).fit(table)


@pytest.fixture(scope="session")
def seed_table() -> pd.DataFrame:
    return read_table(project_root() / "data" / "liu2022_tables.csv")


@pytest.fixture(scope="session")
def whole_predictors(seed_table) -> dict[str, SamplePredictor]:
    """capacity, ice, plateau_voltage and rate, each fitted on the 67 rows of Liu et al.'s tables."""
    return {t: fit_predictor(seed_table, t, column) for t, column in TARGETS.items()}
