"""Sample ids: one spelling of a ``sample_id`` (stripped, case-folded), names not paths, no control characters.

``' L-0001'`` and ``'l-0001'`` name ``'L-0001'`` to a person, so ids are compared stripped and case-folded.
No cell may hold a control character (NUL, escape ...): invisible on screen, they break the next tool.
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
    """Problems of a ``sample_id`` column: an id with a path separator, or repeating an earlier row's id.

    One problem per offending row (1-based), the earlier row named for a repeat; missing ids are the schema's.
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
