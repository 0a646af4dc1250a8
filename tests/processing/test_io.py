"""Two-column reader: separators, header, comments, and errors that name file and line."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing import read_two_column


@pytest.mark.parametrize(
    "text",
    [
        "1,10\n2,20\n3,30\n",
        "x\ty\n1\t10\n2\t20\n3\t30\n",
        "# exported by a digitizer\n2theta (deg)   intensity\n1  10\n\n2 20  # a note\n3   30\n",
        "\ufeffx;y\r\n1;10\r\n2;20\r\n3;30\r\n",
        "1, 10\n2, 20,\n3, 30\n",
    ],
    ids=["comma", "tab-header", "space-comments", "bom-semicolon-crlf", "comma-space-trailing"],
)
def test_accepted_layouts_give_the_same_numbers(tmp_path, text):
    path = tmp_path / "data.txt"
    path.write_text(text, encoding="utf-8")
    x, y = read_two_column(path)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(y, [10.0, 20.0, 30.0])


def test_decreasing_spectrum_is_returned_increasing(tmp_path):
    path = tmp_path / "raman.txt"
    path.write_text("1800 5\n1600 7\n1400 9\n", encoding="utf-8")
    x, y = read_two_column(path, x_order="monotonic")
    np.testing.assert_array_equal(x, [1400.0, 1600.0, 1800.0])
    np.testing.assert_array_equal(y, [9.0, 7.0, 5.0])


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("x,y\n1,10\n2,abc\n3,30\n", {}, r"data\.csv, line 3: non-numeric"),
        ("1,10\n2,20\n3,nan\n", {}, r"data\.csv, line 3: non-finite"),
        ("1,10\n2,20,5\n3,30\n", {}, r"data\.csv, line 2: expected 2 columns, found 3"),
        ("1,10\n2,20\n", {}, r"data\.csv: found 2 data row\(s\), at least 3"),
        ("1,10\n2,20\n1.5,30\n4,40\n", {"x_order": "monotonic"}, r"data\.csv, line 3: x must be strictly monotonic"),
        ("1,10\n2,20\n2,30\n4,40\n", {"x_order": "monotonic"}, r"data\.csv, line 3"),
        ("0,1\n50,0.5\n40,0.4\n", {"x_order": "nondecreasing"}, r"data\.csv, line 3: x must never decrease"),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path, text, kwargs, message):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProcessingError, match=message):
        read_two_column(path, **kwargs)


def test_repeated_x_is_allowed_when_order_is_free(tmp_path):
    path = tmp_path / "rate.csv"
    path.write_text("100,300\n1000,200\n100,298\n", encoding="utf-8")
    x, _ = read_two_column(path)
    np.testing.assert_array_equal(x, [100.0, 1000.0, 100.0])


def test_missing_file_is_a_processing_error(tmp_path):
    with pytest.raises(ProcessingError, match=r"nowhere\.csv: file not found"):
        read_two_column(tmp_path / "nowhere.csv")


def test_directory_is_a_processing_error(tmp_path):
    with pytest.raises(ProcessingError, match="cannot be read"):
        read_two_column(tmp_path)
