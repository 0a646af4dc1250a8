"""CSV cells a spreadsheet would run: refused on the way in, escaped on the way out.

A text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or CR before one) is a formula to Excel,
LibreOffice and Google Sheets (``=HYPERLINK(...&A1)`` leaks the sheet, ``+cmd|...`` once ran programs).
Following OWASP, typed text must not start so (:func:`formula_problems`), and every CSV the product
writes goes through :func:`spreadsheet_safe` (``'`` prefix). Numbers stay: ``-2.5`` is no formula.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        return not math.isnan(float(text))
    except ValueError:
        return False


def is_formula(value: object) -> bool:
    """True for a text cell a spreadsheet would read as a formula (``-2.5`` and other numbers are not)."""
    if not isinstance(value, str) or not value.startswith(TRIGGERS):
        return False
    return not _is_number(value.strip())


def formula_problems(frame: pd.DataFrame, text_columns: Iterable[str]) -> list[dict]:
    """Cells of ``text_columns`` that start like a formula, by row (1-based) and column."""
    problems = []
    for col in (c for c in text_columns if c in frame):
        for i, value in enumerate(frame[col].tolist(), start=1):
            if is_formula(value):
                problems.append({"row": i, "field": col, "value": value[:60],
                                 "rule": "a text cell must not start with = + - @ (a spreadsheet would run it as a "
                                         "formula); reword it, e.g. put a word first"})
    return problems


def _texts(column: pd.Series) -> bool:
    """A column that may hold text (object, or pandas' string dtype)."""
    return column.dtype == object or pd.api.types.is_string_dtype(column)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` where every text cell that reads as a formula is prefixed with ``'``.

    Column names are escaped too; numeric columns and numbers kept as text are left as they are.
    """
    out = frame.copy()
    for col in out.columns:
        if _texts(out[col]):
            out[col] = out[col].map(lambda v: f"'{v}" if is_formula(v) else v)
    out.columns = [f"'{c}" if is_formula(c) else c for c in out.columns]
    return out
