"""One table for galvanostatic tests, whatever cycler wrote them (see :func:`normalize`).

Cycles are numbered here the same way for every cycler: cycle n is the n-th sodiation (discharge, the
half-cell's first half-cycle) and the desodiation that follows; records before the first discharge are cycle
0. Cyclers' own numbers (Neware's "chg"/"dchg" modes, BioLogic's loops) are not trusted for ICE or the rate
ladder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from nacarbon.errors import ProcessingError

COLUMNS = ["cycle", "step", "step_type", "time_s", "current_ma", "voltage_v", "capacity_mah"]
_KINDS = {"charge", "discharge", "rest"}


@dataclass(frozen=True)
class CyclingData:
    """A galvanostatic test: the normalized records, the active mass and where they came from."""

    frame: pd.DataFrame
    mass_mg: float | None
    fmt: str
    library: str
    path: str

    def with_mass(self, mass_mg: float | None) -> CyclingData:
        """This test with the active mass set (an explicit mass overrides the file's)."""
        if mass_mg is None:
            return self
        if not np.isfinite(mass_mg) or mass_mg <= 0:
            raise ProcessingError(f"{self.path}: active mass must be a positive number of mg, got {mass_mg}")
        return replace(self, mass_mg=float(mass_mg))

    def grams(self) -> float:
        """Active mass in g; refuses when neither the file nor the caller gave one."""
        if self.mass_mg is None:
            raise ProcessingError(
                f"{self.path}: the file does not state the active mass; pass it (--mass-mg) "
                "to turn mAh into mAh/g"
            )
        return self.mass_mg / 1000.0


def _kinds_from_current(current: np.ndarray) -> np.ndarray:
    scale = np.nanmax(np.abs(current)) if current.size else 0.0
    tol = 1e-3 * scale if scale > 0 else np.inf
    return np.where(current > tol, "charge", np.where(current < -tol, "discharge", "rest"))


def _within_step(values: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Each value minus the first value of its step."""
    starts = np.r_[0, np.flatnonzero(np.diff(step)) + 1]
    first = np.repeat(values[starts], np.diff(np.r_[starts, values.size]))
    return values - first


def _integrated_mah(time_s: np.ndarray, current_ma: np.ndarray, step: np.ndarray) -> np.ndarray:
    dq = np.r_[0.0, 0.5 * (np.abs(current_ma[1:]) + np.abs(current_ma[:-1])) * np.diff(time_s) / 3600.0]
    dq[np.r_[True, np.diff(step) != 0]] = 0.0
    return _within_step(np.cumsum(dq), step)


def _cycles(kind: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Cycle of each record: count discharge half-cycles that begin after a charge (or at the start)."""
    cycle = np.zeros(kind.size, dtype=int)
    current, last = 0, None
    for i in range(kind.size):
        k = kind[i]
        if k == "discharge" and last != "discharge":
            current += 1
        if k != "rest":
            last = k
        cycle[i] = current
    return cycle


def normalize(
    path: str | Path,
    *,
    time_s: ArrayLike,
    current_ma: ArrayLike,
    voltage_v: ArrayLike,
    capacity_mah: ArrayLike | None = None,
    step_id: ArrayLike | None = None,
    step_type: ArrayLike | None = None,
) -> pd.DataFrame:
    """Build the common table (columns :data:`COLUMNS`, one row per record) from a cycler's columns.

    Time in s, current in mA (discharge negative), voltage in V; ``capacity_mah`` is charge passed since the
    step began, made so from a counter that restarts or keeps running, or integrated from the current when
    absent. A change of ``step_id`` starts a step; ``step_type`` ("charge", "discharge", "rest") defaults to
    the current's sign. Raises ProcessingError (``path`` named) for columns of unequal length, non-finite
    numbers or no discharge.
    """
    t = np.asarray(time_s, dtype=float)
    i = np.asarray(current_ma, dtype=float)
    v = np.asarray(voltage_v, dtype=float)
    if not (t.shape == i.shape == v.shape) or t.ndim != 1:
        raise ProcessingError(f"{path}: time, current and voltage columns differ in length")
    if t.size < 4:
        raise ProcessingError(f"{path}: {t.size} record(s); a cycling test needs more (truncated file?)")
    for name, arr in (("time", t), ("current", i), ("voltage", v)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            raise ProcessingError(f"{path}, record {bad[0] + 1}: {name} is not a finite number")
    kind = _kinds_from_current(i) if step_type is None else np.asarray(step_type, dtype=object).astype(str)
    unknown = sorted(set(kind) - _KINDS)
    if unknown:
        raise ProcessingError(f"{path}: unknown step type(s) {unknown}; expected charge, discharge, rest")
    change = np.r_[True, kind[1:] != kind[:-1]]
    if step_id is not None:
        sid = np.asarray(step_id)
        change |= np.r_[True, sid[1:] != sid[:-1]]
    step = np.cumsum(change)
    if capacity_mah is None:
        cap = _integrated_mah(t, i, step)
    else:
        raw = np.asarray(capacity_mah, dtype=float)
        if not np.all(np.isfinite(raw)):
            raise ProcessingError(f"{path}: the capacity column holds non-finite values")
        cap = _within_step(raw, step)
    if not np.any(kind == "discharge"):
        raise ProcessingError(f"{path}: no discharge (negative current) step: not a half-cell cycling test")
    return pd.DataFrame({
        "cycle": _cycles(kind, step), "step": step, "step_type": kind, "time_s": t,
        "current_ma": i, "voltage_v": v, "capacity_mah": np.abs(cap),
    })


