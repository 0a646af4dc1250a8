"""Sample identity: ids compared stripped and case-folded, names not paths, no control characters."""

from __future__ import annotations

import pandas as pd

from nacarbon.data.sample_ids import control_problems, id_key, id_problems
from nacarbon.data.io import read_raw


def test_one_spelling_of_an_id():
    assert id_key(" L-0001 ") == id_key("l-0001") == id_key("L-0001")


def test_repeats_and_paths_are_named_by_row():
    found = id_problems(pd.Series(["L-0001", "A/B", "l-0001 ", "x\\y", "L-0001"]))
    assert [(p["row"], p["rule"].split(":")[0]) for p in found] == [
        (2, "sample_id_name"), (3, "must be unique"), (4, "sample_id_name"), (5, "must be unique")]
    assert "ignoring case" in found[1]["rule"] and "row 1" in found[3]["rule"]


def test_control_characters_are_found_in_any_text_cell():
    frame = pd.DataFrame({"source": ["ok", "a\x00b"], "note": ["line\nbreak", "esc\x1b"]}, dtype=str)
    assert [(p["row"], p["field"]) for p in control_problems(frame)] == [(2, "source"), (2, "note")]


def test_the_reader_strips_ids(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("sample_id,source\n  C-1 ,lab\n")
    assert read_raw(path)["sample_id"].tolist() == ["C-1"]
