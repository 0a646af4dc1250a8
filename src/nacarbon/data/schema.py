"""The database schema: required columns, types, physical ranges and duplicates.

Every file the project reads or ingests passes :func:`validate` first. A rule break is an
error unless the row's ``qc_waiver`` cell names that rule: figures printed in a source are
kept as printed (e.g. a d002 below graphite's spacing in Liu et al. 2022, Table 1), but only
where someone has looked at them and said why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from nacarbon.data import columns as C
from nacarbon.data.sample_ids import id_problems
from nacarbon.errors import DataValidationError

WAIVER = "qc_waiver"


@dataclass(frozen=True)
class RangeRule:
    """A physical range one column must lie in (missing values pass: missing is not wrong).

    ``low``/``high`` bound what is *plausible*: a row may waive the rule (``qc_waiver``, with a
    ``note`` saying why) to keep a figure printed outside it. ``possible`` bounds what is
    physically *possible*: no waiver lets a value outside it into a table.
    """

    name: str
    column: str
    low: float
    high: float
    include_low: bool = True
    include_high: bool = True
    why: str = ""
    possible: tuple[float, float] = (-np.inf, np.inf)

    def bounds(self) -> str:
        """The range as text, e.g. ``0.3354 <= d002_nm < 0.5``."""
        lo = "<=" if self.include_low else "<"
        hi = "<=" if self.include_high else "<"
        return f"{self.low:g} {lo} {self.column} {hi} {self.high:g}"

    def describe(self) -> str:
        """Human-readable form, e.g. ``d002_range: 0.3354 <= d002_nm < 0.5 (why)``."""
        text = f"{self.name}: {self.bounds()}"
        return f"{text} ({self.why})" if self.why else text

    def ok(self, values: pd.Series) -> pd.Series:
        """Element-wise pass mask; NaN passes."""
        above = values >= self.low if self.include_low else values > self.low
        below = values <= self.high if self.include_high else values < self.high
        return (above & below) | values.isna()

    def impossible(self, values: pd.Series) -> pd.Series:
        """Element-wise mask of values no waiver can keep (outside ``possible``, or infinite)."""
        lo, hi = self.possible
        return values.notna() & (~np.isfinite(values) | (values < lo) | (values > hi))


GRAPHENE_LAYER_NM = C.GRAPHITE_D002_NM   # one layer's spacing: no stack is thinner than one layer
RULES: tuple[RangeRule, ...] = (
    RangeRule("d002_range", C.D002_NM, C.GRAPHITE_D002_NM, 0.5, True, False,
              "graphite's 0.3354 nm is the floor; >= 0.5 nm is a value in Angstrom", (0.30, 1.0)),
    RangeRule("la_range", C.LA_NM, 0.0, 100.0, False, True, "nm; non-graphitic carbons are < 100 nm", (0.0, 1e4)),
    RangeRule("lc_range", C.LC_NM, GRAPHENE_LAYER_NM, 100.0, True, True,
              "nm; a stack is at least one layer (0.3354 nm) high, non-graphitic carbons are < 100 nm", (0.0, 1e4)),
    RangeRule("id_ig_range", C.ID_IG, 0.0, 5.0, False, True, "a Raman intensity ratio", (0.0, 50.0)),
    RangeRule("ssa_range", C.SSA_M2_G, 0.0, 3500.0, True, True, "m2/g; above any real carbon", (0.0, 1e4)),
    RangeRule("ice_range", C.ICE_PCT, 5.0, 100.0, True, True,
              "a percentage, not a fraction: below 5 % is a fraction entered by mistake, e.g. 0.82 for 82 %",
              (0.0, 100.0)),
    RangeRule("capacity_range", C.CAPACITY_MAH_G, 5.0, 1500.0, True, True,
              "mAh/g; below 5 is a value in Ah/g", (0.0, 1e4)),
    RangeRule("plateau_capacity_range", C.PLATEAU_CAPACITY_MAH_G, 0.0, 1500.0, True, True, "mAh/g", (0.0, 1e4)),
    RangeRule("current_range", C.CURRENT_MA_G, 1.0, 1e5, True, True,
              "mA/g; below 1 is a value in A/g", (0.0, 1e6)),
    RangeRule("rate_factor_range", C.RATE_FACTOR, 0.0, 10.0, False, True, "1/slope, positive", (0.0, 1e3)),
    RangeRule("plateau_v_range", C.PLATEAU_V, 0.0, 3.0, False, True, "V vs Na/Na+; above 3 is a value in mV",
              (0.0, 5.0)),
    RangeRule("htt_range", C.HTT_C, 200.0, 3200.0, True, True, "degC", (0.0, 4000.0)),
    # the literature set's process and extra measured columns
    RangeRule("carbonization_time_range", "carbonization_time_h", 0.0, 100.0, False, True, "hours", (0.0, 1e4)),
    RangeRule("heating_rate_range", "heating_rate_c_min", 0.0, 100.0, False, True, "degC/min", (0.0, 1e4)),
    RangeRule("pore_volume_range", "pore_volume_cm3_g", 0.0, 5.0, True, True, "cm3/g", (0.0, 100.0)),
    RangeRule("rate_capacity_range", "rate_capacity_mah_g", 0.0, 1500.0, True, True, "mAh/g", (0.0, 1e4)),
)
RULE_BY_NAME = {r.name: r for r in RULES}

REQUIRED = [C.SAMPLE_ID, C.SOURCE, C.MATERIAL_CLASS, *C.STRUCTURE]
NUMERIC = [*C.STRUCTURE, C.HTT_C, C.CAPACITY_MAH_G, C.CURRENT_MA_G, C.RATE_FACTOR, C.ICE_PCT,
           C.PLATEAU_V, C.PLATEAU_CAPACITY_MAH_G,
           # literature extras: numbers when present, ranged by the rules above
           "carbonization_time_h", "heating_rate_c_min", "pore_volume_cm3_g", "rate_capacity_mah_g"]
CATEGORIES = {C.MATERIAL_CLASS: {"hard", "soft"}, C.ELECTROLYTE: {"ester", "ether"}}
# Columns that identify a row rather than describe the material: ignored when looking for
# the same row entered twice.
IDENTITY = {C.SAMPLE_ID, "table", "table_row", "note", WAIVER}


def _pandera_schema(columns: list[str]) -> pa.DataFrameSchema:
    """Build the pandera schema for the columns present (numeric already coerced)."""
    cols: dict[str, pa.Column] = {
        C.SAMPLE_ID: pa.Column(str, pa.Check(lambda s: s.str.strip() != "", name="sample_id_not_empty"),
                               nullable=False),   # unique ignoring case: nacarbon.data.sample_ids
        C.SOURCE: pa.Column(str, pa.Check(lambda s: s.str.strip() != "", name="source_not_empty"),
                            nullable=False),
    }
    for name, allowed in CATEGORIES.items():
        if name in columns:
            cols[name] = pa.Column(str, pa.Check.isin(sorted(allowed), name=f"{name}_in_{sorted(allowed)}"),
                                   nullable=name != C.MATERIAL_CLASS)
    for rule in RULES:
        if rule.column in columns:
            cols[rule.column] = pa.Column(float, pa.Check(rule.ok, name=rule.name, error=rule.describe()),
                                          nullable=True)
    return pa.DataFrameSchema(cols, strict=False)


def problem(row: int | None, field: object, value: object, rule: str) -> dict:
    """One problem of a :class:`~nacarbon.errors.DataValidationError` (row 1-based, None for the file)."""
    return {"row": row, "field": field, "value": value, "rule": rule}


def in_order(problems: list[dict]) -> list[dict]:
    """File-level problems first, then by row and field: the order every report lists them in."""
    return sorted(problems, key=lambda p: (p["row"] is not None, p["row"] or 0, str(p["field"])))


def _parse_numbers(df: pd.DataFrame, problems: list[dict]) -> pd.DataFrame:
    """Coerce numeric columns; a cell that is present but not a number is a problem."""
    out = df.copy()
    for col in NUMERIC:
        if col not in out:
            continue
        raw = out[col]
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(problem(i + 1, col, raw.iloc[i], "must be a number (a missing value is an empty cell)"))
        out[col] = num.astype(float)
    return out


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and np.isnan(cell)) or str(cell).strip() == ""


def _waived(df: pd.DataFrame, problems: list[dict]) -> pd.DataFrame:
    """Blank the cells whose rule the row waives, so pandera does not flag them.

    A waiver needs a ``note`` saying why, and keeps only what is physically possible: a value
    outside the rule's ``possible`` bounds (ICE above 100 %, d002 of 5 nm) stays an error.
    """
    if WAIVER not in df:
        return df
    out = df.copy()
    notes = df["note"] if "note" in df else pd.Series(None, index=df.index, dtype=object)
    for i, cell in enumerate(out[WAIVER].tolist()):
        if _blank(cell):
            continue
        if _blank(notes.iloc[i]):
            problems.append(problem(i + 1, WAIVER, cell, "a waiver needs a note saying why (column 'note')"))
        for name in (n.strip() for n in str(cell).split(";")):
            if name not in RULE_BY_NAME:
                problems.append(problem(i + 1, WAIVER, cell, f"unknown rule '{name}'; known: {sorted(RULE_BY_NAME)}"))
            elif (rule := RULE_BY_NAME[name]).column in out:
                value = out[rule.column].iloc[i:i + 1]
                if rule.impossible(value).iloc[0]:
                    lo, hi = rule.possible
                    problems.append(problem(i + 1, rule.column, value.iloc[0],
                                            f"{name} cannot be waived for this value: outside what is physically "
                                            f"possible ({lo:g} <= {rule.column} <= {hi:g})"))
                out.iloc[i, out.columns.get_loc(rule.column)] = np.nan
    return out


def _duplicate_rows(df: pd.DataFrame, problems: list[dict]) -> None:
    content = [c for c in df.columns if c not in IDENTITY]
    dup = df.duplicated(subset=content, keep="first")
    first = {}
    for i, key in enumerate(map(tuple, df[content].astype(str).to_numpy())):
        if dup.iloc[i]:
            problems.append(problem(i + 1, "(all fields)", df[C.SAMPLE_ID].iloc[i] if C.SAMPLE_ID in df else None,
                                     f"duplicate_row: same content as row {first[key]}"))
        else:
            first.setdefault(key, i + 1)


def validate(df: pd.DataFrame, path: str | Path = "<dataframe>") -> pd.DataFrame:
    """Check a database table; return a copy with numeric columns as float64 (waived cells keep their values).

    ``path`` names the file in errors. The DataValidationError lists every problem: row (1-based data row;
    file line = row + 1), field, value, rule.
    """
    problems: list[dict] = []
    df = df.reset_index(drop=True)   # row numbers are positions, whatever index the caller's frame has
    missing = [c for c in REQUIRED if c not in df.columns]
    for col in missing:
        problems.append(problem(None, col, None, "required column is missing"))
    if missing:
        raise DataValidationError(str(path), problems)

    parsed = _parse_numbers(df, problems)
    checked = _waived(parsed, problems)
    try:
        _pandera_schema(list(checked.columns)).validate(checked, lazy=True)
    except pa.errors.SchemaErrors as err:
        for case in err.failure_cases.itertuples(index=False):
            idx = case.index
            row = None if idx is None or (isinstance(idx, float) and np.isnan(idx)) else int(idx) + 1
            value = df[case.column].iloc[row - 1] if row is not None and case.column in df else case.failure_case
            rule = str(case.check)
            if rule in RULE_BY_NAME:
                rule = RULE_BY_NAME[rule].describe()
            elif rule == "field_uniqueness":
                rule = "must be unique"
            problems.append(problem(row, case.column, value, rule))
    _duplicate_rows(df, problems)
    if C.SAMPLE_ID in df:
        problems += id_problems(df[C.SAMPLE_ID])
    if problems:
        raise DataValidationError(str(path), in_order(problems))
    return parsed
