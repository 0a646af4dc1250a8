"""Small real tables for the uncertainty tests."""

from __future__ import annotations

import pandas as pd
import pytest

from nacarbon.data.io import read_table
from nacarbon.paths import project_root


@pytest.fixture(scope="session")
def seed() -> pd.DataFrame:
    return read_table(project_root() / "data" / "liu2022_tables.csv")


@pytest.fixture(scope="session")
def literature() -> pd.DataFrame:
    return read_table(project_root() / "data" / "literature_583.csv")
