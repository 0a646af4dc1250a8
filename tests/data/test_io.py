"""Reading database files: a header pandas would repair silently is refused instead."""

from __future__ import annotations

import io
import pickle
import shutil

import pytest

from nacarbon.data.io import read_raw, read_table
from nacarbon.errors import DataValidationError
from nacarbon.paths import project_root

SEED = project_root() / "data" / "liu2022_tables.csv"


def test_repeated_column_is_refused_by_name(tmp_path):
    lines = SEED.read_text().splitlines()
    header = lines[0].split(",")
    dup = tmp_path / "dup.csv"
    dup.write_text("\n".join([",".join([*header, "d002_nm"])] + [ln + ",0.37" for ln in lines[1:]]) + "\n")
    with pytest.raises(DataValidationError, match=r"field 'd002_nm'.*repeats") as caught:
        read_table(dup)
    assert str(dup) in str(caught.value) and "d002_nm.1" not in str(caught.value)


@pytest.mark.parametrize("sep, word", [(";", "semicolon"), ("\t", "tab")])
def test_foreign_delimiter_is_named(tmp_path, sep, word):
    text = SEED.read_text().replace(",", sep)
    bad = tmp_path / "semi.csv"
    bad.write_text(text)
    with pytest.raises(DataValidationError, match=f"separated by a {word}"):
        read_table(bad)


def test_good_file_reads_the_same_from_path_and_stream(tmp_path):
    copy = shutil.copy(SEED, tmp_path / "seed.csv")
    assert read_raw(copy).equals(read_raw(io.BytesIO(SEED.read_bytes()), "seed"))


def test_data_error_survives_pickling():
    err = DataValidationError("x.csv", [{"row": 3, "field": "d002_nm", "value": "abc", "rule": "a number"}])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is DataValidationError and str(back) == str(err) and back.problems == err.problems
