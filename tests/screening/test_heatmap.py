"""Screening predictions aggregated into heatmaps."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from nacarbon.screening.heatmap import aggregate_grid, prediction_map
from nacarbon.errors import ConfigError, DataValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _candidates() -> pd.DataFrame:
    rows = itertools.product([1.0, 2.0, 3.0], [0.5, 1.5], [0.0, 1.0])
    df = pd.DataFrame(list(rows), columns=["la_nm", "lc_nm", "w"])
    df["capacity_mah_g"] = df.la_nm + 10 * df.lc_nm + df.w
    return df


@pytest.mark.parametrize(("agg", "offset"), [("max", 1.0), ("mean", 0.5), ("min", 0.0)])
def test_aggregate_grid_known_values(agg, offset):
    table = aggregate_grid(_candidates(), "la_nm", "lc_nm", "capacity_mah_g", agg=agg)
    assert table.columns.tolist() == [1.0, 2.0, 3.0]
    assert table.index.tolist() == [0.5, 1.5]
    expected = table.columns.to_numpy()[None, :] + 10 * table.index.to_numpy()[:, None] + offset
    np.testing.assert_allclose(table.to_numpy(), expected)


def test_aggregate_grid_bins_continuous_axes():
    x = np.linspace(0.0, 1.0, 101)
    df = pd.DataFrame({"x": x, "y": np.zeros_like(x), "z": x})
    table = aggregate_grid(df, "x", "y", "z", agg="max", bins=4)
    np.testing.assert_allclose(table.columns, [0.125, 0.375, 0.625, 0.875])
    # bins are [lo, hi) except the last: 0.25 opens the second bin, 1.0 closes the fourth
    np.testing.assert_allclose(table.iloc[0], [0.24, 0.49, 0.74, 1.0])
    with pytest.raises(ConfigError):
        aggregate_grid(df, "x", "y", "z", agg="sum")


def test_prediction_map_writes_png(tmp_path):
    out = prediction_map(_candidates(), "la_nm", "lc_nm", "capacity_mah_g", path=tmp_path / "p.png")
    assert out.read_bytes()[:8] == PNG_SIGNATURE and out.stat().st_size > 10_000
    assert "n = 12 candidates" in Image.open(out).text["Title"]


def test_aggregate_grid_needs_a_complete_row():
    df = pd.DataFrame({"x": [1.0, np.nan], "y": [np.nan, 2.0], "z": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match="complete candidate row"):
        aggregate_grid(df, "x", "y", "z")
