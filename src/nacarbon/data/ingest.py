"""Add rows to a database table: check them, then append them atomically.

A new row must pass the schema, use only the target's columns, carry a ``sample_id`` no shipped table
uses and not report a material a shipped row reports; the table is rewritten by
:mod:`nacarbon.data.table_write` (under a lock, through a temp file and a rename).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.dedup import DEFAULT_KEY_FIELDS, DEFAULT_NUMERIC_FIELDS, find_duplicates
from nacarbon.data.io import content_hash, dataset_name, load_dataset, read_raw, read_table
from nacarbon.data.csvsafe import formula_problems
from nacarbon.data.sample_ids import id_key
from nacarbon.data.schema import IDENTITY, NUMERIC, in_order, problem, validate
from nacarbon.data.table_write import LOCK_NAME, TableChange, exclusive_lock, line_ending, staged
from nacarbon.errors import DataValidationError

# Columns of the literature set that hold numbers but that the schema leaves as text; a new
# row must not put text there, or the merged table would mix types.
EXTRA_NUMERIC = ("carbonization_time_h", "heating_rate_c_min", "pore_volume_cm3_g", "rate_capacity_mah_g")
# What a lab measures on a sample: a contributed row reports at least one of these.
MEASURED = (C.CAPACITY_MAH_G, C.RATE_FACTOR, C.ICE_PCT, C.PLATEAU_V, C.PLATEAU_CAPACITY_MAH_G, "rate_capacity_mah_g")


def _column_problems(raw: pd.DataFrame, header: Sequence[str], target: Path) -> list[dict]:
    """Columns the target lacks, and text in the extra numeric columns."""
    problems = [problem(None, col, None, f"unknown column: {target} has no column '{col}'")
                for col in raw.columns if col not in header]
    for col in (c for c in EXTRA_NUMERIC if c in raw):
        text = raw[col].notna() & (raw[col].astype(str).str.strip() != "")
        bad = pd.to_numeric(raw[col], errors="coerce").isna() & text
        problems += [problem(i + 1, col, raw[col].iloc[i], "must be a number (a missing value is an empty cell)")
                     for i in bad.to_numpy().nonzero()[0]]
    return problems


def _id_problems(new: pd.DataFrame, existing: Mapping[Path, pd.DataFrame]) -> list[dict]:
    """New sample ids that a shipped table already uses (ignoring case and spaces: l-0001 is L-0001)."""
    owner: dict[str, tuple[Path, str]] = {}
    for path, table in existing.items():
        for sid in table[C.SAMPLE_ID]:
            owner.setdefault(id_key(sid), (path, sid))
    out = []
    for i, sid in enumerate(new[C.SAMPLE_ID]):
        if (hit := owner.get(id_key(sid))) is not None:
            same = "" if hit[1] == sid else f" as {hit[1]!r} (ids are compared ignoring case and spaces)"
            out.append(problem(i + 1, C.SAMPLE_ID, sid, f"sample_id already used in {hit[0]}{same}; "
                                                         f"to correct that row use `python -m nacarbon.db update`"))
    return out


def _input_problems(raw: pd.DataFrame) -> list[dict]:
    """Rows that measure nothing (an unfilled template), and text cells a spreadsheet would run."""
    measured = [c for c in MEASURED if c in raw]
    have = raw[measured].notna() & (raw[measured].astype(str).apply(lambda s: s.str.strip()) != "")
    problems = [problem(i + 1, "(measurements)", None,
                         f"no measured value: a row needs at least one of {list(MEASURED)} "
                         f"(a suggest template is added once its samples are measured)")
                for i in (~have.any(axis=1)).to_numpy().nonzero()[0]]
    return problems + formula_problems(raw, [c for c in raw.columns if c not in NUMERIC])


def _content_keys(frame: pd.DataFrame, content: Sequence[str]) -> list[tuple]:
    """One hashable key per row: its material fields, numbers as floats, missing as None."""
    rows = frame.reindex(columns=content)
    for col in (c for c in EXTRA_NUMERIC if c in rows):
        rows[col] = pd.to_numeric(rows[col], errors="coerce")
    return [tuple(None if pd.isna(v) else v for v in r) for r in rows.itertuples(index=False)]


def _same_content_problems(new: pd.DataFrame, table: pd.DataFrame, target: Path) -> list[dict]:
    """New rows equal to a target row in every field that describes the material."""
    content = [c for c in table.columns if c not in IDENTITY]
    seen: dict[tuple, int] = {}
    for i, key in enumerate(_content_keys(table, content)):
        seen.setdefault(key, i)
    return [problem(i + 1, "(all fields)", new[C.SAMPLE_ID].iloc[i],
                     f"duplicate_row: same content as row {seen[key] + 1} of {target} "
                     f"({table[C.SAMPLE_ID].iloc[seen[key]]})")
            for i, key in enumerate(_content_keys(new, content)) if key in seen]


def _material_problems(new: pd.DataFrame, existing: Mapping[Path, pd.DataFrame]) -> list[dict]:
    """New rows that report a material a shipped row, or an earlier new row, reports."""
    fields = [C.SAMPLE_ID, *DEFAULT_KEY_FIELDS, *DEFAULT_NUMERIC_FIELDS]
    parts = [t.reindex(columns=fields).assign(_origin=str(p), _dataset=dataset_name(p), _row=range(1, len(t) + 1))
             for p, t in existing.items()]
    parts.append(new.reindex(columns=fields).assign(_origin="", _dataset="", _row=range(1, len(new) + 1)))
    combined = pd.concat(parts, ignore_index=True)
    pairs = find_duplicates(combined[fields])
    first_new = len(combined) - len(new)
    out = []
    # pairs list a before b in table order and the new rows come last, so b is the new row
    for p in pairs[pairs["index_b"] >= first_new].itertuples(index=False):
        a, b = combined.loc[p.index_a], combined.loc[p.index_b]
        where = (f"row {a['_row']} of this file" if p.index_a >= first_new
                 else f"row {a['_row']} of {a['_origin']}, dataset {a['_dataset']}")
        out.append(problem(int(b["_row"]), ";".join([*DEFAULT_KEY_FIELDS, p.fields_compared]), b[C.SAMPLE_ID],
                            f"duplicate_material: same material as {a[C.SAMPLE_ID]} ({where}); "
                            f"{p.fields_compared} agree, max rel. diff {p.max_rel_diff:.3f}"))
    return out


def check_new_rows(file: str | Path, target: str | Path,
                   existing: Mapping[Path, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the rows of ``file`` and check them against ``target`` and every shipped table.

    ``file``'s header is a subset of the target's; ``existing`` maps each resolved path to its
    :func:`read_table` table, the target's included. Returns the rows as text in the target's column
    order (what is appended), and validated. The DataValidationError names ``file`` and each problem:
    schema breaks, unknown columns, no rows, a used sample_id, a duplicate of a shipped or earlier row.
    """
    file, target = Path(file), Path(target)
    header = list(existing[target.resolve()].columns)
    raw = read_raw(file)
    problems = _column_problems(raw, header, target) + _input_problems(raw)
    try:
        new = validate(raw, file)
    except DataValidationError as err:
        raise DataValidationError(str(file), in_order(problems + err.problems)) from None
    if new.empty:
        problems.append(problem(None, None, None, "no rows to add"))
    else:
        same = _same_content_problems(new, existing[target.resolve()], target)
        exact = {p["row"] for p in same}  # a row equal to a target row needs no second report
        problems += _id_problems(new, existing) + same
        problems += [p for p in _material_problems(new, existing) if p["row"] not in exact]
    if problems:
        raise DataValidationError(str(file), in_order(problems))
    return raw.reindex(columns=header), new


def appended_bytes(original: bytes, rows: pd.DataFrame) -> bytes:
    """The table's bytes, kept as they are, with ``rows`` (text, the table's columns) appended.

    New lines use the file's line ending.
    """
    eol = line_ending(original)
    if original and not original.endswith(b"\n"):
        original += eol.encode()
    return original + rows.to_csv(index=False, header=False, lineterminator=eol).encode("utf-8")


def add_rows(file: str | Path, target: str | Path, *, reference: Sequence[str | Path] = (),
             merged: Sequence[str | Path] = (), lock: str | Path | None = None, dry_run: bool = False,
             on_wait: Callable[[Path], None] | None = None) -> TableChange:
    """Check the rows of ``file`` (:func:`check_new_rows`) and append them to ``target`` atomically.

    ``reference`` lists every shipped table (the target always included): new rows must not reuse their ids
    or duplicate their rows. ``merged`` lists the merged dataset's files, whose size and version are
    reported before and after. ``lock`` defaults to :data:`LOCK_NAME` beside the target; ``on_wait`` gets its
    path if another change holds it. On DataValidationError or NacarbonError the target is untouched.
    """
    file, target = Path(file), Path(target)
    lock = target.parent / LOCK_NAME if lock is None else Path(lock)
    with exclusive_lock(lock, on_wait):
        paths = {Path(p).resolve() for p in reference} | {target.resolve()}
        existing = {p: read_table(p) for p in sorted(paths)}
        raw, new = check_new_rows(file, target, existing)
        before = existing[target.resolve()]
        data = appended_bytes(target.read_bytes(), raw)
        with staged(target, data, len(before) + len(new), dry_run=dry_run) as after:
            result = TableChange("add", str(target), tuple(new[C.SAMPLE_ID]), content_hash(before),
                                 content_hash(after), file=str(file), dry_run=dry_run)
            if merged:  # computed before the swap, so a failure here also leaves the table as it was
                old = load_dataset("merged", merged, merge=True, tables=existing)
                now = load_dataset("merged", merged, merge=True, tables={**existing, target.resolve(): after})
                result = replace(result, merged_rows_before=len(old.frame), merged_rows=len(now.frame),
                                 merged_version_before=old.version, merged_version=now.version)
        return result
