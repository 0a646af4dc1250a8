"""Interpolated maps of measured performance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from nacarbon.analysis.maps import axis_label, map_grid, performance_map, short_label
from nacarbon.errors import ConfigError, DataValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("method", ["rbf", "linear", "cubic"])
def test_plane_is_reproduced_inside_the_hull(method):
    rng = np.random.default_rng(0)
    # axes differ by ~3 orders of magnitude, like d002 (nm) against SSA (m2/g)
    x = rng.uniform(0.34, 0.40, 40)
    y = rng.uniform(10.0, 900.0, 40)
    mg = map_grid(x, y, 2 * x + 3 * y, method=method, grid=30)
    assert mg.zz.shape == mg.xx.shape == mg.inside.shape == (30, 30)
    assert mg.inside.sum() > 300
    np.testing.assert_allclose(mg.zz[mg.inside], 2 * mg.xx[mg.inside] + 3 * mg.yy[mg.inside], rtol=1e-6)
    assert mg.xx.min() == pytest.approx(x.min()) and mg.yy.max() == pytest.approx(y.max())


@pytest.mark.parametrize("method", ["rbf", "linear", "cubic"])
def test_points_outside_the_hull_are_masked(method):
    # data fill the triangle x + y <= 1: the grid's upper-right half lies outside
    corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
    inner = [(0.2, 0.2), (0.5, 0.1), (0.1, 0.6), (0.3, 0.4)]
    x, y = np.array(corners + inner).T
    mg = map_grid(x, y, x - y, method=method, grid=21)
    off_edge = np.abs(mg.xx + mg.yy - 1.0) > 1e-9
    np.testing.assert_array_equal(mg.inside[off_edge], (mg.xx + mg.yy < 1.0)[off_edge])
    assert np.isnan(mg.zz[~mg.inside]).all()
    assert np.isfinite(mg.zz[mg.inside]).all()
    assert np.isnan(mg.zz[-1, -1]) and mg.zz[0, 0] == pytest.approx(0.0, abs=1e-9)
    assert sorted(map(tuple, mg.hull)) == sorted(corners)


def test_repeated_points_are_averaged():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.0])
    y = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    z = np.array([99.0, 1.0, 1.0, 2.0, -1.0, -98.0])  # (0, 0) measured three times, mean 0
    mg = map_grid(x, y, z, method="linear", grid=2)
    np.testing.assert_allclose(mg.zz, [[0.0, 1.0], [1.0, 2.0]])


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"x_values": [0, 1], "y_values": [0, 1], "z_values": [1, 2]}, DataValidationError),
    ({"x_values": [0, 1, 2], "y_values": [0, 1, 2], "z_values": [1, 2, 3]}, DataValidationError),
    ({"x_values": [0, 1, 0], "y_values": [0, 0, 1], "z_values": [1, np.nan, 3]}, DataValidationError),
    ({"x_values": [0, 1, 0], "y_values": [0, 0, 1], "z_values": [1, 2, 3], "method": "kriging"}, ConfigError),
])
def test_map_grid_rejects_unmappable_input(kwargs, error):
    with pytest.raises(error):
        map_grid(**kwargs)


@pytest.mark.parametrize("method", ["rbf", "linear"])
def test_performance_map_drops_missing_rows_and_writes_png(tmp_path, method):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"la_nm": rng.uniform(1, 5, 25), "lc_nm": rng.uniform(0.5, 2.5, 25)})
    df["capacity_mah_g"] = 250 + 20 * df.la_nm - 30 * df.lc_nm
    df.loc[[0, 1], "la_nm"] = np.nan
    df.loc[2, "capacity_mah_g"] = np.nan
    out = performance_map(df, "la_nm", "lc_nm", "capacity_mah_g", path=tmp_path / f"{method}.png",
                          method=method, grid=40)
    _assert_png(out)
    assert "(n = 22)" in Image.open(out).text["Title"]


def test_performance_map_rejects_text_column(tmp_path):
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 3.0, 2.0], "z": ["a", "b", "c"]})
    with pytest.raises(DataValidationError, match="numeric"):
        performance_map(df, "x", "y", "z", path=tmp_path / "m.png")


def test_axis_labels_carry_units():
    assert "(nm)" in axis_label("la_nm")
    assert "m$^2$" in axis_label("ssa_m2_g")
    assert axis_label("unknown_col") == "unknown_col"
    assert short_label("la_nm") == "$L_a$"
