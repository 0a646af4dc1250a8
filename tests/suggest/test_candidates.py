"""Reading a lab's own candidates: real literature rows as the lab's samples."""

import pandas as pd
import pytest

from nacarbon.errors import ConfigError, DataValidationError
from nacarbon.suggest.candidates import read_candidates
from tests.conftest import ROOT

FEATURES = ["htt_c", "is_ether", "current_ma_g", "d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
COLUMNS = ["material_class", "precursor", "htt_c", "electrolyte", "current_ma_g", "d002_nm", "la_nm", "lc_nm",
           "id_ig", "ssa_m2_g"]


@pytest.fixture
def made(tmp_path):
    lit = pd.read_csv(ROOT / "data" / "literature_583.csv", dtype=str, keep_default_na=False).head(12)
    lit["precursor"] = lit["source"].factorize()[0].astype(str)
    path = tmp_path / "made.csv"
    lit[COLUMNS].to_csv(path, index=False)
    return path, lit[COLUMNS]


def test_rows_are_typed_named_and_constrained(made):
    path, rows = made
    got = read_candidates(path, FEATURES, series_column="precursor")
    assert len(got) == 12 and got["sample_id"].tolist()[:2] == ["made-1", "made-2"]
    assert got["htt_c"].dtype == float and set(got["electrolyte"]) <= {"ester", "ether"}
    low = read_candidates(path, FEATURES, constraints=[{"name": "low_ssa", "expr": "ssa_m2_g <= 100"}])
    assert len(low) == (rows["ssa_m2_g"].astype(float) <= 100).sum() and (low["ssa_m2_g"] <= 100).all()


def test_each_problem_is_one_error_naming_the_file(made, tmp_path):
    path, rows = made
    with pytest.raises(ConfigError, match="no such file"):
        read_candidates(tmp_path / "none.csv", FEATURES)
    with pytest.raises(ConfigError, match="no column 'series'"):
        read_candidates(path, FEATURES, series_column="series")
    with pytest.raises(ConfigError, match=r"constraints leave no sample of .*made.csv.*impossible"):
        read_candidates(path, FEATURES, constraints=[{"name": "impossible", "expr": "ssa_m2_g < 0"}])
    rows.drop(columns="electrolyte").to_csv(path, index=False)  # is_ether is read from it
    with pytest.raises(DataValidationError, match=r"(?s)made.csv.*electrolyte.*required column is missing"):
        read_candidates(path, FEATURES)
