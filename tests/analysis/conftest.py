"""Small data the analysis tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

FEATURES = ["d002_nm", "la_nm", "lc_nm"]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    """60 rows of three structure features where only d002 carries the target."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(0.0, 1.0, (60, 3)), columns=FEATURES)
    y = 4.0 * X["d002_nm"].to_numpy() + 0.05 * rng.normal(size=60)  # only feature 0 matters
    return X, y
