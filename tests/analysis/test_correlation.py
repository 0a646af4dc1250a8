"""Spearman table, BH adjustment and the correlation heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.stats import spearmanr

from nacarbon.analysis.correlation import (
    bh_adjust, correlation_heatmap, significance_marks, spearman_table,
)
from nacarbon.errors import ConfigError, DataValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _cell(table: pd.DataFrame, feature: str, target: str, group: str = "all") -> pd.Series:
    sel = table[(table.group == group) & (table.feature == feature) & (table.target == target)]
    assert len(sel) == 1
    return sel.iloc[0]


@pytest.mark.parametrize(("transform", "expected"), [(np.exp, 1.0), (lambda v: -v**3, -1.0)])
def test_perfectly_monotone_gives_rho_plus_or_minus_one(transform, expected):
    x = np.array([0.1, 0.5, 0.2, 0.9, 0.3, 0.7])
    table = spearman_table(pd.DataFrame({"x": x, "y": transform(x)}), ["x"], ["y"])
    row = _cell(table, "x", "y")
    assert row.rho == pytest.approx(expected)
    assert row.p == pytest.approx(0.0, abs=1e-12)
    assert row.n == 6


def test_no_ties_matches_rank_difference_formula():
    # ranks differ by d = (-1, 1, -1, 1, 0): rho = 1 - 6*4 / (5*24) = 0.8
    df = pd.DataFrame({"x": [10.0, 20.0, 30.0, 40.0, 50.0], "y": [2.0, 1.0, 4.0, 3.0, 5.0]})
    row = _cell(spearman_table(df, ["x"], ["y"]), "x", "y")
    assert row.rho == pytest.approx(0.8)
    assert row.p == pytest.approx(spearmanr(df.x, df.y).pvalue)


def test_matches_scipy_with_ties_and_pairwise_complete_rows():
    df = pd.DataFrame({
        "la": [1.0, 2.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0, 9.0],
        "ssa": [9.0, 3.0, 3.0, 1.0, 4.0, np.nan, 8.0, 2.0, 7.0, 6.0],
        "cap": [1.0, 2.5, 2.0, 4.0, 3.0, 6.0, np.nan, 8.0, 8.0, 10.0],
    })
    table = spearman_table(df, ["la", "ssa"], ["cap"])
    for feature in ("la", "ssa"):
        pair = df[[feature, "cap"]].dropna()
        ref = spearmanr(pair[feature], pair["cap"])
        row = _cell(table, feature, "cap")
        assert row.n == len(pair) == 8
        assert row.rho == pytest.approx(ref.statistic)
        assert row.p == pytest.approx(ref.pvalue)


def test_bh_against_hand_computed_example():
    # sorted p: .01 .03 .04 .20 -> m*p/rank: .04 .06 .0533 .20 -> running min from the top
    p = pd.Series([0.01, 0.04, np.nan, 0.03, 0.20], index=list("abcde"))
    adj = bh_adjust(p)
    expected = [0.04, 0.16 / 3, np.nan, 0.16 / 3, 0.20]
    np.testing.assert_allclose(adj.to_numpy(), expected, equal_nan=True)
    assert list(adj.index) == list("abcde")


def test_too_few_rows_or_constant_column_gives_nan_not_crash():
    df = pd.DataFrame({
        "x": [1.0, 2.0, 3.0, 4.0, 5.0],
        "sparse": [1.0, 2.0, np.nan, np.nan, np.nan],
        "flat": [3.0, 3.0, 3.0, 3.0, 3.0],
        "y": [1.0, 3.0, 2.0, 5.0, 4.0],
    })
    table = spearman_table(df, ["x", "sparse", "flat"], ["y"])
    for feature, n in (("sparse", 2), ("flat", 5)):
        row = _cell(table, feature, "y")
        assert row.n == n
        assert np.isnan(row.rho) and np.isnan(row.p) and np.isnan(row.p_bh)
        assert not row.significant
    # the defined test is a family of one: BH leaves its p unchanged
    row = _cell(table, "x", "y")
    assert row.p_bh == pytest.approx(row.p)


def test_groups_are_adjusted_separately_and_all_comes_first():
    rng = np.random.default_rng(3)
    n = 40
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    df["y"] = df.a + 0.5 * rng.normal(size=n)
    df["z"] = rng.normal(size=n)
    df["cls"] = pd.Series(["hard", "soft"] * (n // 2), dtype="string")
    df.loc[0, "cls"] = pd.NA  # counts in "all" only
    table = spearman_table(df, ["a", "b"], ["y", "z"], group_col="cls")
    assert list(dict.fromkeys(table.group)) == ["all", "hard", "soft"]
    assert table.groupby("group").size().tolist() == [4, 4, 4]
    assert _cell(table, "a", "y", "all").n == n
    assert _cell(table, "a", "y", "hard").n + _cell(table, "a", "y", "soft").n == n - 1
    for _, sub in table.groupby("group"):
        np.testing.assert_allclose(sub.p_bh, bh_adjust(sub.p.reset_index(drop=True)))
    assert bool(_cell(table, "a", "y").significant)
    assert table.significant.to_numpy().tolist() == (table.p_bh < 0.05).tolist()


def test_missing_or_text_columns_raise_validation_error():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    with pytest.raises(DataValidationError, match="must be numeric"):
        spearman_table(df, ["x"], ["y"])
    with pytest.raises(DataValidationError, match="nope"):
        spearman_table(df, ["x"], ["nope"])


@pytest.mark.parametrize(("p", "p_bh", "marks"), [
    (0.005, 0.02, "**†"), (0.03, 0.2, "*"), (0.2, 0.4, ""), (np.nan, np.nan, ""), (0.04, 0.04, "*†"),
])
def test_significance_marks(p, p_bh, marks):
    assert significance_marks(p, p_bh, 0.05) == marks


def test_heatmap_is_a_real_png(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(30, 4)), columns=["d002_nm", "la_nm", "capacity_mah_g", "ice_pct"])
    df["flat"] = 1.0  # an undefined cell must still draw
    table = spearman_table(df, ["d002_nm", "la_nm", "flat"], ["capacity_mah_g", "ice_pct"])
    out = correlation_heatmap(table, group="all", path=tmp_path / "sub" / "spearman.png")
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert out.stat().st_size > 10_000
    assert "all" in Image.open(out).text["Title"]
    with pytest.raises(ConfigError, match="soft"):
        correlation_heatmap(table, group="soft", path=tmp_path / "x.png")
