"""Every schema rule, each with a bad file: one readable message naming file, row, field, rule."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from nacarbon.data.io import read_table
from nacarbon.data.schema import RULES
from nacarbon.errors import DataValidationError
from nacarbon.paths import project_root

SEED = project_root() / "data" / "liu2022_tables.csv"


def write_bad(tmp_path, edit) -> str:
    """Copy the seed CSV, apply ``edit(frame)`` and write it; return the path."""
    frame = pd.read_csv(SEED, dtype=str, keep_default_na=False)
    frame = edit(frame)
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return str(path)


def set_cell(row: int, col: str, value: str):
    def edit(frame):
        frame.loc[row, col] = value
        return frame
    return edit


def test_seed_passes():
    assert len(read_table(SEED)) == 67


# For every range rule: a value beyond its bound in a row that does not waive it.
BAD_VALUES = {
    "d002_range": "3.84",            # Angstrom, not nm
    "la_range": "-1",
    "lc_range": "0",
    "id_ig_range": "12",
    "ssa_range": "-5",
    "ice_range": "0.61e3",
    "capacity_range": "-10",
    "plateau_capacity_range": "2000",
    "current_range": "0",
    "rate_factor_range": "-0.2",
    "plateau_v_range": "4.5",
    "htt_range": "90",
    "carbonization_time_range": "-2",
    "heating_rate_range": "inf",
    "pore_volume_range": "-5",
    "rate_capacity_range": "1e308",
}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_range_rule(tmp_path, rule):
    assert rule.name in BAD_VALUES, "every rule needs a bad-value case"

    def edit(frame):
        if rule.column not in frame:
            frame[rule.column] = ""
        frame.loc[9, rule.column] = BAD_VALUES[rule.name]
        return frame

    path = write_bad(tmp_path, edit)
    with pytest.raises(DataValidationError) as info:
        read_table(path)
    msg = str(info.value)
    assert path in msg and "row 10" in msg and rule.column in msg and rule.name in msg
    assert BAD_VALUES[rule.name] in msg
    assert [p["row"] for p in info.value.problems] == [10]


def test_waiver_allows_only_the_named_rule(tmp_path):
    def edit(frame):
        frame.loc[3, "d002_nm"] = "0.330"
        frame.loc[3, "qc_waiver"] = "d002_range"
        frame.loc[3, "note"] = "printed so in the paper's Table 2"
        frame.loc[4, "ice_pct"] = "140"
        frame.loc[4, "qc_waiver"] = "d002_range"   # waives the wrong rule
        return frame

    with pytest.raises(DataValidationError) as info:
        read_table(write_bad(tmp_path, edit))
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(5, "ice_pct")]


def test_a_waiver_needs_a_note_saying_why(tmp_path):
    def edit(frame):
        frame.loc[3, ["d002_nm", "qc_waiver", "note"]] = ["0.330", "d002_range", " "]
        return frame

    with pytest.raises(DataValidationError) as info:
        read_table(write_bad(tmp_path, edit))
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(4, "qc_waiver")]
    assert "needs a note" in str(info.value)


@pytest.mark.parametrize("column, value, waiver", [
    ("ice_pct", "250", "ice_range"), ("d002_nm", "5.0", "d002_range"), ("ssa_m2_g", "-3", "ssa_range"),
    ("lc_nm", "inf", "lc_range")])
def test_no_waiver_keeps_a_physically_impossible_value(tmp_path, column, value, waiver):
    def edit(frame):
        frame.loc[6, [column, "qc_waiver", "note"]] = [value, waiver, "the paper says so"]
        return frame

    with pytest.raises(DataValidationError) as info:
        read_table(write_bad(tmp_path, edit))
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(7, column)]
    assert "cannot be waived" in str(info.value) and "physically possible" in str(info.value)


@pytest.mark.parametrize("column, value, hint", [
    ("ice_pct", "0.82", "a fraction"), ("lc_nm", "0.1", "one layer"), ("capacity_mah_g", "0.3", "Ah/g"),
    ("current_ma_g", "0.03", "A/g")])
def test_unit_slips_of_measured_columns_are_refused(tmp_path, column, value, hint):
    with pytest.raises(DataValidationError) as info:
        read_table(write_bad(tmp_path, set_cell(2, column, value)))
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(3, column)] and hint in str(info.value)


def test_a_plausible_but_unusual_value_is_kept_with_a_waiver_and_a_note(tmp_path):
    def edit(frame):
        frame.loc[6, ["lc_nm", "qc_waiver", "note"]] = ["0.30", "lc_range", "printed so; below one layer"]
        return frame

    assert read_table(write_bad(tmp_path, edit))["lc_nm"].iloc[6] == 0.30


@pytest.mark.parametrize("sid, rule", [("t1-01", "ignoring case"), (" T1-01 ", "must be unique"),
                                       ("a/b", "not a path"), ("..\\x", "not a path")])
def test_sample_ids_are_names_compared_ignoring_case_and_spaces(tmp_path, sid, rule):
    with pytest.raises(DataValidationError) as info:
        read_table(write_bad(tmp_path, set_cell(1, "sample_id", sid)))
    assert [(p["row"], p["field"]) for p in info.value.problems] == [(2, "sample_id")] and rule in str(info.value)


def test_unknown_waiver_is_an_error(tmp_path):
    with pytest.raises(DataValidationError, match="unknown rule 'd002'"):
        read_table(write_bad(tmp_path, set_cell(2, "qc_waiver", "d002")))


def test_not_a_number(tmp_path):
    with pytest.raises(DataValidationError, match=r"row 6, field 'la_nm': value '2,5'.*must be a number"):
        read_table(write_bad(tmp_path, set_cell(5, "la_nm", "2,5")))


def test_unknown_material_class(tmp_path):
    with pytest.raises(DataValidationError, match=r"row 1, field 'material_class': value 'graphite'"):
        read_table(write_bad(tmp_path, set_cell(0, "material_class", "graphite")))


def test_missing_required_column(tmp_path):
    path = write_bad(tmp_path, lambda f: f.drop(columns=["lc_nm"]))
    with pytest.raises(DataValidationError, match=r"file, field 'lc_nm'.*required column is missing"):
        read_table(path)


def test_missing_source(tmp_path):
    with pytest.raises(DataValidationError, match=r"row 8, field 'source'"):
        read_table(write_bad(tmp_path, set_cell(7, "source", "")))


def test_duplicate_sample_id(tmp_path):
    with pytest.raises(DataValidationError, match=r"row 2, field 'sample_id'.*must be unique"):
        read_table(write_bad(tmp_path, set_cell(1, "sample_id", "T1-01")))


def test_duplicate_row(tmp_path):
    def edit(frame):
        copy = frame.iloc[[4]].copy()
        copy["sample_id"] = "NEW-1"
        return pd.concat([frame, copy], ignore_index=True)

    with pytest.raises(DataValidationError, match=r"row 68.*duplicate_row: same content as row 5"):
        read_table(write_bad(tmp_path, edit))


def test_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="does not exist"):
        read_table(tmp_path / "nope.csv")


def test_all_problems_reported_at_once(tmp_path):
    def edit(frame):
        frame.loc[0, "ice_pct"] = "101"
        frame.loc[1, "d002_nm"] = "3.8"
        frame.loc[2, "ssa_m2_g"] = "abc"
        return frame

    with pytest.raises(DataValidationError) as info:
        read_table(write_bad(tmp_path, edit))
    assert [p["row"] for p in info.value.problems] == [1, 2, 3]


def test_cli_validate_exits_nonzero_with_message(tmp_path):
    bad = write_bad(tmp_path, set_cell(9, "ice_pct", "161"))
    proc = subprocess.run([sys.executable, "-m", "nacarbon.db", "validate", bad], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "row 10" in proc.stderr and "ice_pct" in proc.stderr and "161" in proc.stderr
    good = tmp_path / "good.csv"
    shutil.copy(SEED, good)
    ok = subprocess.run([sys.executable, "-m", "nacarbon.db", "validate", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "67 rows" in ok.stdout
