"""Cycler exports as CSV, text or Excel: Arbin (MITS Pro) and LAND (LANDdt), by column names.

No library reads these: :data:`ALIASES` maps each column name (case and spaces ignored) to a quantity of the
common table and the factor into its unit. LAND's ``State`` (C_CC, D_CC, R, ...) gives the direction and its
``SpeCap/mAh/g`` the active mass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nacarbon.errors import ProcessingError
from nacarbon.processing.readers.cycling import CyclingData, normalize

ALIASES: dict[str, dict[str, float]] = {
    "time_s": {"test_time(s)": 1.0, "testtime/s": 1.0, "testtime(s)": 1.0, "time/s": 1.0, "time(s)": 1.0,
               "testtime": 1.0, "totaltime": 1.0},
    "current_ma": {"current(a)": 1e3, "current/a": 1e3, "current(ma)": 1.0, "current/ma": 1.0,
                   "current/ua": 1e-3, "current(ua)": 1e-3},
    "voltage_v": {"voltage(v)": 1.0, "voltage/v": 1.0, "voltage": 1.0, "potential/v": 1.0},
    "step_id": {"step_index": 1.0, "step": 1.0, "stepindex": 1.0},
    "capacity_mah": {"capacity/mah": 1.0, "capacity(mah)": 1.0, "capacity/uah": 1e-3, "capacity(ah)": 1e3},
    "charge_mah": {"charge_capacity(ah)": 1e3, "charge_capacity(mah)": 1.0},
    "discharge_mah": {"discharge_capacity(ah)": 1e3, "discharge_capacity(mah)": 1.0},
    "specific_mah_g": {"specap/mah/g": 1.0, "specificcapacity/mah/g": 1.0, "specap(mah/g)": 1.0},
    "state": {"state": 1.0, "status": 1.0},
}


def _key(name: object) -> str:
    return "".join(str(name).split()).lower()


def _table(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            sheets = pd.read_excel(path, sheet_name=None)
            for frame in sheets.values():
                keys = {_key(c) for c in frame.columns}
                if keys & set(ALIASES["voltage_v"]) and keys & set(ALIASES["current_ma"]):
                    return frame
            raise ProcessingError(f"{path}: no sheet has a voltage and a current column (sheets: {list(sheets)})")
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except ProcessingError:
        raise
    except Exception as exc:  # openpyxl and pandas raise many kinds on a damaged workbook
        raise ProcessingError(f"{path}: cannot be read as a table ({type(exc).__name__}: {exc})") from None
    first = text.splitlines()[0] if text else ""
    sep = ";" if ";" in first else "\t" if "\t" in first else ","
    decimal = "," if sep != "," and any("," in line for line in text.splitlines()[1:4]) else "."
    from io import StringIO

    try:
        return pd.read_csv(StringIO(text), sep=sep, decimal=decimal)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ProcessingError(f"{path}: cannot be read as a {sep!r}-separated table ({exc})") from None


def _pick(frame: pd.DataFrame, path: Path, quantity: str, required: bool = True) -> np.ndarray | None:
    for col in frame.columns:
        factor = ALIASES[quantity].get(_key(col))
        if factor is None:
            continue
        if quantity == "state":
            return frame[col].astype(str).to_numpy()
        values = frame[col]
        if quantity == "time_s" and values.dtype == object:  # LAND writes h:mm:ss
            values = pd.to_timedelta(values, errors="coerce").dt.total_seconds()
        num = pd.to_numeric(values, errors="coerce")
        bad = np.flatnonzero(num.isna().to_numpy())
        if bad.size:
            raise ProcessingError(f"{path}, row {bad[0] + 1}, column '{col}': {values.iloc[bad[0]]!r} is not a number")
        return num.to_numpy(dtype=float) * factor
    if required:
        names = ", ".join(ALIASES[quantity])
        raise ProcessingError(f"{path}: no {quantity} column; expected one of: {names} (found: {list(frame.columns)})")
    return None


def _state_kind(state: np.ndarray) -> np.ndarray:
    s = np.char.lower(state.astype(str))
    return np.where(np.char.find(s, "dchg") >= 0, "discharge",
                    np.where(np.char.startswith(s, "d"), "discharge",
                             np.where(np.char.startswith(s, "c"), "charge", "rest")))


def read_export(path: Path) -> CyclingData:
    """Read an Arbin or LAND export (CSV, text or Excel) by its column names.

    ``fmt`` is "arbin" (``Step_Index`` or ``Test_Time(s)`` present), "land" (``State`` or ``SpeCap/mAh/g``)
    or "table". Raises ProcessingError naming the file (and row and column of a bad cell) or a missing
    column.
    """
    frame = _table(path)
    if frame.empty:
        raise ProcessingError(f"{path}: no data rows")
    keys = {_key(c) for c in frame.columns}
    fmt = "arbin" if keys & {"step_index", "test_time(s)"} else "land" if keys & {"state", "specap/mah/g"} else "table"
    current = _pick(frame, path, "current_ma")
    state = _pick(frame, path, "state", required=False)
    kind = _state_kind(state) if state is not None else None
    if kind is not None:  # LAND may write both directions as positive currents
        current = np.where(kind == "discharge", -np.abs(current), np.where(kind == "charge", np.abs(current), 0.0))
    cap = _pick(frame, path, "capacity_mah", required=False)
    chg, dchg = _pick(frame, path, "charge_mah", False), _pick(frame, path, "discharge_mah", False)
    if cap is None and chg is not None and dchg is not None:
        cap = np.where(current >= 0, chg, dchg)
    table = normalize(path, time_s=_pick(frame, path, "time_s"), current_ma=current,
                      voltage_v=_pick(frame, path, "voltage_v"), capacity_mah=cap,
                      step_id=_pick(frame, path, "step_id", False), step_type=kind)
    mass = None
    specific = _pick(frame, path, "specific_mah_g", False)
    if specific is not None and cap is not None:
        ok = specific > 1e-9
        if ok.any():
            mass = float(np.median(np.abs(table["capacity_mah"].to_numpy()[ok]) / specific[ok]) * 1000.0) or None
    return CyclingData(table, mass, fmt, "pandas (column map)", str(path))
