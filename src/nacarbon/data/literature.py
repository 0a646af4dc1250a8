"""Convert the 583-row hard-carbon literature database into the nacarbon schema.

The source is ``hc_dataset_extended_preprocessed.csv`` of erweixi/Targeted-Screened-Hard-Carbon (``data/``,
commit 30205e0b); a byte-exact copy and a SOURCE.md are in ``data/raw/hard_carbon_literature_583/``.
Regenerate ``data/literature_583.csv`` with ``python -m nacarbon.data.literature RAW_CSV OUT_CSV``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from nacarbon.data import columns as C
from nacarbon.data.papers import load_title_repairs, repair_titles
from nacarbon.data.schema import RULES
from nacarbon.errors import DataValidationError, NacarbonError

DATASET_NAME = "literature"
MATERIAL_CLASS = "hard"  # the source compiles hard carbons only

RATE_CAPACITY_MAH_G = "rate_capacity_mah_g"
QC_WAIVER = "qc_waiver"
NOTE = "note"

OUTPUT_COLUMNS = [
    C.SAMPLE_ID, C.DATASET, C.SOURCE, C.REF_NO, C.MATERIAL_CLASS, "material_name", C.PRECURSOR,
    C.HTT_C, "carbonization_time_h", "heating_rate_c_min", C.ELECTROLYTE, "electrolyte_text",
    C.D002_NM, C.LA_NM, C.LC_NM, C.ID_IG, C.SSA_M2_G, "pore_volume_cm3_g", C.RATE_FACTOR,
    C.ICE_PCT, C.CAPACITY_MAH_G, C.CURRENT_MA_G, C.PLATEAU_V, C.PLATEAU_CAPACITY_MAH_G,
    RATE_CAPACITY_MAH_G, QC_WAIVER, NOTE,
]

# Numeric source columns copied unchanged (units already match the schema's names).
NUMERIC_COPY = {
    "carbonization_temperature_C": C.HTT_C,
    "carbonization_time_h": "carbonization_time_h",
    "heating_rate_C_min": "heating_rate_c_min",
    "d002_nm": C.D002_NM,
    "la_nm": C.LA_NM,
    "lc_nm": C.LC_NM,
    "id_ig": C.ID_IG,
    "ssa_m2_g": C.SSA_M2_G,
    "pore_volume_cm3_g": "pore_volume_cm3_g",
    "current_density_mA_g": C.CURRENT_MA_G,
    "plateau_capacity_mAh_g": C.PLATEAU_CAPACITY_MAH_G,
    "reversible_capacity_mAh_g": C.CAPACITY_MAH_G,
    "rate_capability": RATE_CAPACITY_MAH_G,
}
NUMERIC_OTHER = ["ice", "electrolyte_type"]
TEXT_COLUMNS = ["doi", "material_name", "category", "electrolyte_text"]
REQUIRED_RAW = TEXT_COLUMNS + list(NUMERIC_COPY) + NUMERIC_OTHER

CATEGORY_TO_ELECTROLYTE = {"酯类": "ester", "醚类": "ether"}
TYPE_CODE_TO_ELECTROLYTE = {0.0: "ester", 1.0: "ether"}
# ICE x 100 leaves float noise (0.621 * 100 = 62.099999...); 4 decimals keep every printed digit
# and cut the few computed ratios (0.4094094...) at 0.0001 %.
ICE_PCT_DECIMALS = 4

# Solvent names that decide the class when category and electrolyte_type disagree.
_ETHER_TEXT = re.compile(r"\bether|glyme|dimethoxy|methoxy|\bDME\b|\bDEGDME\b|\bTEGDME\b", re.I)
_ESTER_TEXT = re.compile(r"carbonate|\b(?:EC|PC|DMC|DEC|EMC|FEC)\b", re.I)


def _normalize_ws(text: pd.Series) -> pd.Series:
    """Collapse runs of whitespace (PDF line breaks, tabs, double spaces) into one space."""
    return text.str.split().str.join(" ")


def _check_raw(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """Return the raw numeric columns as floats, or raise listing every problem found."""
    problems = [
        {"row": None, "field": col, "value": None, "rule": "required column missing"}
        for col in REQUIRED_RAW if col not in raw.columns
    ]
    if problems:
        raise DataValidationError("<literature frame>", problems)
    numeric = {}
    for col in list(NUMERIC_COPY) + NUMERIC_OTHER:
        values = pd.to_numeric(raw[col], errors="coerce").astype("float64")
        bad = values.isna() & raw[col].notna()
        problems += [
            {"row": i + 1, "field": col, "value": raw[col].iloc[i], "rule": "must be numeric"}
            for i in np.flatnonzero(bad.to_numpy())
        ]
        numeric[col] = values.reset_index(drop=True)
    if problems:
        raise DataValidationError("<literature frame>", problems)
    return numeric


def _classify_text(text: str | float) -> str | None:
    """Electrolyte class named by the solvents in a free-text description, if unambiguous."""
    if not isinstance(text, str):
        return None
    ether, ester = bool(_ETHER_TEXT.search(text)), bool(_ESTER_TEXT.search(text))
    if ether == ester:
        return None
    return "ether" if ether else "ester"


def resolve_electrolyte(category: pd.Series, type_code: pd.Series,
                        text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Electrolyte class per row ("ester", "ether" or missing) and a note where the labels clash.

    ``category`` is the source's 酯类 (ester) / 醚类 (ether) label, ``type_code`` its 0/1 ``electrolyte_type``.
    The category is used unless the code contradicts it; then the solvents named in ``text`` (carbonates ->
    ester, glymes/ethers -> ether) decide, and the category wins if they do not.
    """
    from_cat = category.map(CATEGORY_TO_ELECTROLYTE)
    from_code = type_code.map(TYPE_CODE_TO_ELECTROLYTE)
    electrolyte = from_cat.fillna(from_code).astype("object")
    note = pd.Series(np.nan, index=category.index, dtype="object")
    clash = from_cat.notna() & from_code.notna() & (from_cat != from_code)
    for i in clash[clash].index:
        by_text = _classify_text(text[i])
        chosen = by_text if by_text is not None else from_cat[i]
        electrolyte[i] = chosen
        why = f"the electrolyte text names {by_text} solvents" if by_text else "the text is undecided"
        note[i] = (f"electrolyte: category {category[i]} ({from_cat[i]}) contradicts "
                   f"electrolyte_type {int(type_code[i])} ({from_code[i]}); {why}, so {chosen}")
    note[electrolyte.isna()] = "electrolyte not stated in source"
    return electrolyte, note


def qc_waivers(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The schema QC rules each row breaks (';'-joined) and why ('; '-joined), so figures stay as reported.

    The rules are :data:`nacarbon.data.schema.RULES`, so a waiver written here is one the validator accepts;
    rules whose column is absent are skipped, and missing values break none. Both are missing on clean rows.
    """
    rules = [r for r in RULES if r.column in df.columns]
    broken = pd.DataFrame({r.name: ~r.ok(df[r.column].astype(float)) for r in rules}, index=df.index)
    waiver = pd.Series(np.nan, index=df.index, dtype="object")
    reason = pd.Series(np.nan, index=df.index, dtype="object")
    for i in broken.index[broken.any(axis=1)]:
        hits = [r for r in rules if broken.at[i, r.name]]
        waiver[i] = ";".join(r.name for r in hits)
        reason[i] = "; ".join(f"{r.column} {float(df.at[i, r.column])!r} as reported, outside "
                              f"{r.bounds()}" for r in hits)
    return waiver, reason


def convert_literature(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw table in the nacarbon schema (``OUTPUT_COLUMNS``), sample ids "L-0001"... in source order.

    Figures are copied as reported: the only arithmetic is ICE (a fraction) x 100, rounded to 4 decimals
    against float noise. A plateau capacity of 0.0 is a measurement (a sloping-only profile), not missing
    (evidence in SOURCE.md). Texts are whitespace-normalized; a title recorded in
    ``data/papers/title_repairs.csv`` is repaired, the original kept in ``note``. Rows breaking a QC rule
    keep their values and name it in ``qc_waiver``. Raises DataValidationError on a missing column or a
    non-numeric cell.
    """
    num = _check_raw(raw)
    raw = raw.reset_index(drop=True)
    n = len(raw)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out[C.SAMPLE_ID] = [f"L-{i:04d}" for i in range(1, n + 1)]
    out[C.DATASET] = DATASET_NAME
    titles = _normalize_ws(raw["doi"].astype("object"))
    out[C.SOURCE] = repair_titles(titles, load_title_repairs())
    out[C.REF_NO] = np.nan
    out[C.MATERIAL_CLASS] = MATERIAL_CLASS
    out["material_name"] = _normalize_ws(raw["material_name"].astype("object"))
    out[C.PRECURSOR] = np.nan
    for src, dst in NUMERIC_COPY.items():
        out[dst] = num[src]
    electrolyte, electrolyte_note = resolve_electrolyte(
        raw["category"], num["electrolyte_type"], raw["electrolyte_text"])
    out[C.ELECTROLYTE] = electrolyte
    out["electrolyte_text"] = _normalize_ws(raw["electrolyte_text"].astype("object"))
    out[C.RATE_FACTOR] = np.nan
    out[C.ICE_PCT] = (num["ice"] * 100.0).round(ICE_PCT_DECIMALS)
    out[C.PLATEAU_V] = np.nan
    waiver, reason = qc_waivers(out)
    out[QC_WAIVER] = waiver
    repaired = (out[C.SOURCE] != titles) & titles.notna()
    title_note = pd.Series(np.nan, index=out.index, dtype="object")
    title_note[repaired] = "title repaired (data/papers/title_repairs.csv): " + titles[repaired]
    notes = pd.concat([title_note, electrolyte_note, reason], axis=1)
    out[NOTE] = notes.apply(lambda r: "; ".join(r.dropna()) or np.nan, axis=1)
    return out[OUTPUT_COLUMNS]


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a converted table with fixed formatting (reruns are byte-identical); parent folders are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m nacarbon.data.literature RAW_CSV OUT_CSV``; returns the exit code (2 on bad usage or input)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m nacarbon.data.literature RAW_CSV OUT_CSV", file=sys.stderr)
        return 2
    raw_path, out_path = args
    try:
        raw = pd.read_csv(raw_path, encoding="utf-8")
        write_csv(convert_literature(raw), out_path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, NacarbonError) as exc:
        # exit 2 and one error: line, as nacarbon.cli.error_exit ends every command (data/ may not import cli)
        print(f"error: cannot convert {raw_path}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
