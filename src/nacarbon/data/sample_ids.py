"""Sample ids: one spelling of a ``sample_id`` (stripped, case-folded), names not paths, no control characters.

``' L-0001'``, ``'l-0001'`` and ``'L-0001'`` name one sample to a person, so they are one id
here: ids are compared stripped and case-folded. An id is a name, never a path (no ``/`` or
``\\``), and no cell of any file holds a control character (a NUL byte, an escape ...): they
are invisible on screen and break the tools that read the CSV next.
"""

from __future__ import annotations

import re

import pandas as pd

from nacarbon.data import columns as C

# C0 controls and DEL, except tab, newline and carriage return (a quoted cell may span lines)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SEPARATORS = ("/", "\\")


def id_key(sample_id: object) -> str:
    """The form two ids are compared in: stripped, case-folded."""
    return str(sample_id).strip().casefold()


def _problem(row: int, value: object, rule: str) -> dict:
    return {"row": row, "field": C.SAMPLE_ID, "value": value, "rule": rule}


def id_problems(ids: pd.Series) -> list[dict]:
    """Ids with a path separator, and ids that repeat an earlier row's (ignoring case and spaces).

    Parameters
    ----------
    ids : pandas.Series
        The ``sample_id`` column, in row order (missing ids are left to the schema).

    Returns
    -------
    list of dict
        One problem per offending row (1-based), the earlier row named for a repeat.
    """
    problems, first = [], {}
    for i, sid in enumerate(ids.tolist(), start=1):
        if sid is None or (isinstance(sid, float) and sid != sid):
            continue
        if any(s in str(sid) for s in SEPARATORS):
            problems.append(_problem(i, sid, "sample_id_name: an id is a name, not a path (no '/' or '\\')"))
        key = id_key(sid)
        if key in first:
            j, other = first[key]
            same = "" if str(other) == str(sid) else f" (ignoring case and spaces, {sid!r} is {other!r})"
            problems.append(_problem(i, sid, f"must be unique: row {j} has the same sample_id{same}"))
        else:
            first[key] = (i, sid)
    return problems


def control_problems(frame: pd.DataFrame) -> list[dict]:
    """Cells holding a control character (NUL, escape ...), by row and column."""
    problems = []
    for col in frame.columns:
        if not (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])):
            continue
        text = frame[col].astype(str)
        hit = text.str.contains(CONTROL) & frame[col].notna()
        for i in hit.to_numpy().nonzero()[0]:
            char = CONTROL.search(text.iloc[i]).group()
            problems.append({"row": int(i) + 1, "field": col, "value": text.iloc[i][:40],
                             "rule": f"no control characters in a cell (found U+{ord(char):04X})"})
    return problems
