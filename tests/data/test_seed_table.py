"""The shipped seed CSV is Tables 1 and 2 of Liu et al. 2022, digit for digit."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from nacarbon.data.io import read_table
from nacarbon.paths import project_root

SEED = project_root() / "data" / "liu2022_tables.csv"


@pytest.fixture(scope="module")
def raw() -> list[dict[str, str]]:
    with SEED.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_row_counts(raw):
    assert sum(r["table"] == "1" for r in raw) == 47
    assert sum(r["table"] == "2" for r in raw) == 20
    assert [r["material_class"] for r in raw] == ["hard"] * 47 + ["soft"] * 20
    assert [int(r["table_row"]) for r in raw] == list(range(1, 48)) + list(range(1, 21))


# (sample_id, column, printed text) spot checks across both tables, every column, both ends.
SPOTS = [
    ("T1-01", "htt_c", "600"), ("T1-01", "precursor", "Peat moss"), ("T1-01", "ref_no", "39"),
    ("T1-01", "d002_nm", "0.384"), ("T1-01", "la_nm", "2.09"), ("T1-01", "lc_nm", "1.08"),
    ("T1-01", "id_ig", "0.86"), ("T1-01", "ssa_m2_g", "369"), ("T1-01", "rate_factor", "0.23"),
    ("T1-01", "ice_pct", "44"), ("T1-01", "capacity_mah_g", "189"), ("T1-01", "plateau_v", "1.02"),
    ("T1-03", "ssa_m2_g", "1272"), ("T1-05", "d002_nm", "0.333"), ("T1-07", "rate_factor", "1.17"),
    ("T1-07", "capacity_mah_g", "50"), ("T1-12", "ssa_m2_g", "325.3"), ("T1-19", "ssa_m2_g", "751.6"),
    ("T1-22", "d002_nm", "0.412"), ("T1-30", "precursor", "Mangosteen shell"), ("T1-30", "ref_no", "44"),
    ("T1-31", "ssa_m2_g", "0.3"), ("T1-31", "capacity_mah_g", "365"), ("T1-37", "lc_nm", "2.19"),
    ("T1-39", "ssa_m2_g", "8.96"), ("T1-47", "htt_c", "2050"), ("T1-47", "precursor", "Switchgrass"),
    ("T1-47", "rate_factor", "0.21"), ("T2-01", "capacity_mah_g", "75.5"), ("T2-01", "precursor", "NTCDA"),
    ("T2-02", "ssa_m2_g", "1106"), ("T2-02", "plateau_v", ""), ("T2-03", "la_nm", ""), ("T2-03", "id_ig", ""),
    ("T2-03", "ice_pct", "62.6"), ("T2-04", "ssa_m2_g", "0.1"), ("T2-06", "capacity_mah_g", ""),
    ("T2-11", "htt_c", "1100"), ("T2-12", "precursor", "HC-SC"), ("T2-12", "current_ma_g", "60"),
    ("T2-12", "capacity_mah_g", "240"), ("T2-12", "plateau_v", "1.43"), ("T2-16", "d002_nm", "0.37"),
    ("T2-16", "current_ma_g", "60"), ("T2-17", "precursor", "Pitch/phenolic resin"), ("T2-17", "current_ma_g", "60"),
    ("T2-15", "ssa_m2_g", "4.53"), ("T2-20", "la_nm", "5.53"), ("T2-20", "lc_nm", "5.27"),
    ("T2-20", "ice_pct", "47.5"), ("T2-20", "ref_no", "9"),
]


@pytest.mark.parametrize("sample_id, column, printed", SPOTS)
def test_cells_as_printed(raw, sample_id, column, printed):
    row = next(r for r in raw if r["sample_id"] == sample_id)
    assert row[column] == printed


def test_dashes_are_missing_not_zero():
    table = read_table(SEED)
    soft = table[table["material_class"] == "soft"]
    assert soft["id_ig"].isna().sum() == 5
    assert soft["plateau_v"].isna().sum() == 6
    assert table["capacity_mah_g"].isna().sum() == 2
    assert not (table[["la_nm", "id_ig", "capacity_mah_g", "plateau_v"]] == 0).any().any()


def test_current_density_is_100_unless_printed_60():
    table = read_table(SEED)
    at60 = table.loc[table["current_ma_g"] == 60, "sample_id"].tolist()
    assert at60 == ["T2-12", "T2-16", "T2-17"]
    assert (table["current_ma_g"].isin([60, 100])).all()


def test_sources_are_citations_from_the_reference_list():
    table = read_table(SEED)
    by_ref = table.groupby("ref_no")["source"].nunique()
    assert (by_ref == 1).all()
    assert table["source"].nunique() == table["ref_no"].nunique() == 43
    cite9 = table.loc[table["ref_no"] == "9", "source"].iloc[0]
    assert cite9.startswith("W. Luo, Z. Jian") and "ACS Cent. Sci., 2015, 1, 516" in cite9


def test_below_graphite_rows_are_waived_explicitly():
    table = read_table(SEED)
    waived = table[table["qc_waiver"].fillna("") != ""]
    assert waived["sample_id"].tolist() == ["T1-05"]
    assert (table.loc[table["d002_nm"] < 0.3354, "sample_id"] == waived["sample_id"].values).all()


def test_typed_values_match_text():
    table = read_table(SEED)
    assert isinstance(table, pd.DataFrame) and len(table) == 67
    assert table.loc[table["sample_id"] == "T2-16", "d002_nm"].item() == pytest.approx(0.37)
