"""Database quantities from one galvanostatic test: ICE, capacity, plateau, plateau capacity, rate factor.

Definitions (each choice is returned beside the number):

- ICE = first desodiation (charge) / first sodiation (discharge) capacity x 100, cycle 1.
- Reversible capacity = desodiation capacity of the first cycle at the reference current (100 mA/g by
  default, +-10 %), with that current.
- Working plateau = integral(V dQ) / delta Q of the discharge of a stated cycle (default: the capacity's)
  over a stated voltage range (default: the whole discharge).
- Plateau capacity = discharge capacity below a cut-off (0.1 V by default) in that cycle.
- Rate factor: cycles after the first, grouped into stages of one current (+-5 %); the ladder is the run of
  rising currents ending at the highest (later recovery and earlier conditioning stages are left out); each
  stage gives its mean desodiation capacity to :func:`nacarbon.processing.rate.rate_factor`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nacarbon.data import columns as col
from nacarbon.errors import ProcessingError
from nacarbon.processing.plateau import average_voltage
from nacarbon.processing.rate import TABLE1_PER, Per, rate_factor, scale_warning
from nacarbon.processing.readers.cycling import CyclingData

Row = tuple[str, object, str]


def half_cycles(data: CyclingData) -> pd.DataFrame:
    """One row per cycle and direction: ``cycle``, ``kind``, ``capacity_mah_g``, ``current_ma_g``.

    The capacity (mAh/g) is summed over the half-cycle's steps (e.g. CC then CV); the current density (mA/g)
    is the median |I| of its first, constant-current step.
    """
    grams = data.grams()
    f = data.frame[(data.frame["cycle"] >= 1) & (data.frame["step_type"] != "rest")]
    steps = f.groupby(["cycle", "step_type", "step"], sort=True).agg(
        cap=("capacity_mah", "max"), cur=("current_ma", lambda s: float(np.median(np.abs(s)))))
    rows = []
    for (cycle, kind), part in steps.groupby(level=[0, 1]):
        rows.append({"cycle": int(cycle), "kind": kind, "capacity_mah_g": part["cap"].sum() / grams,
                     "current_ma_g": part["cur"].iloc[0] / grams})
    return pd.DataFrame(rows, columns=["cycle", "kind", "capacity_mah_g", "current_ma_g"])


def _cycle_table(data: CyclingData) -> pd.DataFrame:
    hc = half_cycles(data)
    wide = hc.pivot(index="cycle", columns="kind", values=["capacity_mah_g", "current_ma_g"])
    out = pd.DataFrame(index=wide.index)
    for kind in ("discharge", "charge"):
        out[kind] = wide["capacity_mah_g"][kind] if kind in wide["capacity_mah_g"] else np.nan
    out["current_ma_g"] = wide["current_ma_g"]["discharge"]
    return out


def discharge_curve(data: CyclingData, cycle: int) -> tuple[np.ndarray, np.ndarray]:
    """Specific capacity (mAh/g, from 0) and voltage of one cycle's discharge."""
    f = data.frame[(data.frame["cycle"] == cycle) & (data.frame["step_type"] == "discharge")]
    if f.empty:
        raise ProcessingError(f"{data.path}: cycle {cycle} has no discharge")
    q, offset = [], 0.0
    for _, step in f.groupby("step", sort=True):
        cap = step["capacity_mah"].to_numpy()
        q.append(cap + offset)
        offset += cap.max()
    return np.concatenate(q) / data.grams(), f["voltage_v"].to_numpy()


def capacity_below(q: np.ndarray, v: np.ndarray, cutoff_v: float) -> float:
    """Discharge capacity passed after the voltage first falls to ``cutoff_v`` (0 if it never does)."""
    below = np.flatnonzero(v <= cutoff_v)
    if below.size == 0:
        return 0.0
    i = below[0]
    if i == 0:
        return float(q[-1] - q[0])
    # interpolate the crossing between the last point above and the first at or below
    frac = (v[i - 1] - cutoff_v) / (v[i - 1] - v[i]) if v[i - 1] != v[i] else 1.0
    return float(q[-1] - (q[i - 1] + frac * (q[i] - q[i - 1])))


def rate_ladder(cycles: pd.DataFrame, path: str, rel_tol: float = 0.05) -> pd.DataFrame:
    """Stages of the rising current ladder (cycle 1 and recovery stages left out).

    One row per stage: ``current_ma_g``, ``capacity_mah_g`` (mean desodiation capacity), ``cycles``
    (first-last).
    """
    c = cycles.loc[cycles.index >= 2].dropna(subset=["charge", "current_ma_g"])
    stages: list[dict] = []
    for cycle, row in c.iterrows():
        if stages and abs(row["current_ma_g"] - stages[-1]["ref"]) <= rel_tol * stages[-1]["ref"]:
            stages[-1]["caps"].append(row["charge"])
            stages[-1]["last"] = cycle
        else:
            stages.append({"ref": row["current_ma_g"], "caps": [row["charge"]], "first": cycle, "last": cycle})
    if stages:
        # The ladder is the rising run that ends at the highest current: stages after it are
        # recovery, stages before its start are formation or conditioning.
        top = int(np.argmax([s["ref"] for s in stages]))
        start = top
        while start > 0 and stages[start - 1]["ref"] < stages[start]["ref"]:
            start -= 1
        stages = stages[start: top + 1]
    if len(stages) < 2:
        found = ", ".join(f"{x:.4g}" for x in sorted(set(np.round(cycles["current_ma_g"].dropna(), 3))))
        raise ProcessingError(f"{path}: one current only after cycle 1 (mA/g: {found}): no rate ladder to fit")
    return pd.DataFrame({"current_ma_g": [s["ref"] for s in stages],
                         "capacity_mah_g": [float(np.mean(s["caps"])) for s in stages],
                         "cycles": [f"{s['first']}-{s['last']}" for s in stages]})


@dataclass(frozen=True)
class ElectrochemResult:
    """Quantities of one test with the choices that define them."""

    rows_: tuple[Row, ...]
    warnings: tuple[str, ...]

    def rows(self) -> list[Row]:
        """``(name, value, unit)`` rows; database fields use their column names."""
        return list(self.rows_)

    def value(self, name: str) -> object:
        """The value of one row."""
        return dict((n, v) for n, v, _ in self.rows_)[name]


def analyze_cycling(
    data: CyclingData,
    *,
    reference_ma_g: float = 100.0,
    reference_tol: float = 0.10,
    plateau_cycle: int | None = None,
    plateau_v_range: tuple[float | None, float | None] = (None, None),
    plateau_cutoff_v: float = 0.1,
    rate: bool = True,
    per: Per = TABLE1_PER,
) -> ElectrochemResult:
    """ICE, reversible capacity, working plateau, plateau capacity and rate factor of one test.

    ``reference_ma_g`` (+- ``reference_tol``, relative) is the current of the reported capacity (the paper's
    100 mA/g); ``plateau_v_range`` is the (low, high) window of the average voltage, None meaning the
    discharge's own end; ``per`` is the rate factor's unit (:func:`~nacarbon.processing.rate.rate_factor`).
    Raises ProcessingError naming the file: no mass, no cycle 1 charge, no cycle at the reference current, a
    plateau range the discharge does not reach, or (``rate=True``) one current only.
    """
    cycles = _cycle_table(data)
    if 1 not in cycles.index or not np.isfinite(cycles.loc[1, "charge"]):
        raise ProcessingError(f"{data.path}: cycle 1 has no charge after its discharge: ICE is undefined (truncated?)")
    ice = 100.0 * cycles.loc[1, "charge"] / cycles.loc[1, "discharge"]
    at_ref = cycles[(abs(cycles["current_ma_g"] - reference_ma_g) <= reference_tol * reference_ma_g)
                    & cycles["charge"].notna()]
    if at_ref.empty:
        found = ", ".join(f"{x:.4g}" for x in cycles["current_ma_g"].round(2).unique())
        raise ProcessingError(f"{data.path}: no cycle at {reference_ma_g:g} mA/g (+-{reference_tol:.0%}); "
                              f"currents found (mA/g): {found}; check --mass-mg or --reference-ma-g")
    cap_cycle = int(at_ref.index[0])
    p_cycle = cap_cycle if plateau_cycle is None else plateau_cycle
    q, v = discharge_curve(data, p_cycle)
    low, high = plateau_v_range
    try:
        plateau = average_voltage(q, v, v_max=high, v_min=low)
    except ProcessingError as exc:
        raise ProcessingError(f"{data.path}: cycle {p_cycle} discharge: {exc}") from None
    rows: list[Row] = [
        (col.ICE_PCT, float(ice), "%"),
        (col.CAPACITY_MAH_G, float(at_ref.loc[cap_cycle, "charge"]), "mAh/g"),
        (col.CURRENT_MA_G, float(at_ref.loc[cap_cycle, "current_ma_g"]), "mA/g"),
        (col.PLATEAU_V, plateau.average_voltage_v, "V"),
        (col.PLATEAU_CAPACITY_MAH_G, capacity_below(q, v, plateau_cutoff_v), "mAh/g"),
        ("capacity_cycle", cap_cycle, ""),
        ("plateau_cycle", p_cycle, ""),
        ("plateau_range_v", f"{'end' if low is None else low}-{'start' if high is None else high}", "V"),
        ("plateau_cutoff_v", plateau_cutoff_v, "V"),
        ("first_discharge_mah_g", float(cycles.loc[1, "discharge"]), "mAh/g"),
        ("active_mass_mg", data.mass_mg, "mg"),
    ]
    warnings: list[str] = []
    if rate:
        ladder = rate_ladder(cycles, data.path)
        try:
            fit = rate_factor(ladder["current_ma_g"], ladder["capacity_mah_g"], per=per)
        except ProcessingError as exc:
            raise ProcessingError(f"{data.path}: rate ladder {list(ladder['cycles'])}: {exc}") from None
        rows += [(col.RATE_FACTOR, fit.rate_factor, f"({per})/(mAh/g)"),
                 ("rate_ladder_ma_g", " ".join(f"{x:.4g}" for x in ladder["current_ma_g"]), "mA/g"),
                 ("rate_fit_r2", fit.r2, "")]
        note = scale_warning(fit.rate_factor, per)
        if note:
            warnings.append(f"{data.path}: {note}")
    return ElectrochemResult(tuple(rows), tuple(warnings))
