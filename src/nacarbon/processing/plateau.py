"""Working plateau: the average discharge voltage, integral of V dQ over the capacity passed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.data import columns as col
from nacarbon.errors import ProcessingError


@dataclass(frozen=True)
class PlateauResult:
    """Average voltage and the capacity range it was taken over."""

    average_voltage_v: float
    q_start_mah_g: float
    q_end_mah_g: float
    n_points: int

    @property
    def delta_q_mah_g(self) -> float:
        """Capacity passed within the range."""
        return self.q_end_mah_g - self.q_start_mah_g

    def rows(self) -> list[tuple[str, float | int, str]]:
        """Return ``(name, value, unit)`` rows; the database field uses its column name."""
        return [
            (col.PLATEAU_V, self.average_voltage_v, "V"),
            ("q_start_mah_g", self.q_start_mah_g, "mAh/g"),
            ("q_end_mah_g", self.q_end_mah_g, "mAh/g"),
            ("delta_q_mah_g", self.delta_q_mah_g, "mAh/g"),
            ("n_points", self.n_points, ""),
        ]


def _crossing(q: np.ndarray, v: np.ndarray, i: int, level: float) -> float:
    """Capacity where the segment from point i to i + 1 reaches ``level`` (linear)."""
    frac = (level - v[i]) / (v[i + 1] - v[i])
    return float(q[i] + frac * (q[i + 1] - q[i]))


def average_voltage(
    capacity_mah_g: ArrayLike,
    voltage_v: ArrayLike,
    *,
    v_max: float | None = None,
    v_min: float | None = None,
) -> PlateauResult:
    """Average discharge voltage ``integral(V dQ) / delta Q`` (trapezoid rule) over the main discharge range.

    ``capacity_mah_g`` is the cumulative discharge capacity (mAh/g, never decreasing), ``voltage_v`` the
    voltage vs Na/Na+ (V, falling overall). The range starts where V first falls to ``v_max`` (e.g. to skip
    the initial drop or SEI shoulder) and ends where it last stays >= ``v_min``; edges between points are
    interpolated linearly; no limits: the whole curve. Raises ProcessingError for invalid arrays, a
    decreasing capacity, a rising voltage (a charge curve) or no capacity passed in the window.
    """
    q = np.asarray(capacity_mah_g, dtype=float)
    v = np.asarray(voltage_v, dtype=float)
    if q.ndim != 1 or q.shape != v.shape:
        raise ProcessingError(f"capacity and voltage must be 1-D and of equal length, got {q.shape} and {v.shape}")
    if q.size < 2 or not (np.all(np.isfinite(q)) and np.all(np.isfinite(v))):
        raise ProcessingError(f"need at least 2 finite (capacity, voltage) points, got {q.size}")
    if np.any(np.diff(q) < 0):
        first = int(np.argmax(np.diff(q) < 0)) + 1
        raise ProcessingError(f"capacity decreases after point {first}: not a cumulative discharge capacity")
    if v[-1] >= v[0]:
        raise ProcessingError(f"voltage rises from {v[0]:.4g} V to {v[-1]:.4g} V: this is not a discharge curve")
    if v_max is not None and v_min is not None and v_min >= v_max:
        raise ProcessingError(f"v_min ({v_min}) must be below v_max ({v_max})")

    if v_max is not None:
        below = np.flatnonzero(v <= v_max)
        if below.size == 0:
            raise ProcessingError(f"the voltage never falls to v_max = {v_max} V")
        i = int(below[0])
        if i > 0:
            q = np.concatenate([[_crossing(q, v, i - 1, v_max)], q[i:]])
            v = np.concatenate([[v_max], v[i:]])
    if v_min is not None:
        above = np.flatnonzero(v >= v_min)
        if above.size == 0:
            raise ProcessingError(f"the voltage is below v_min = {v_min} V throughout the window")
        j = int(above[-1])
        if j < v.size - 1:
            q = np.concatenate([q[: j + 1], [_crossing(q, v, j, v_min)]])
            v = np.concatenate([v[: j + 1], [v_min]])

    delta_q = float(q[-1] - q[0])
    if delta_q <= 0:
        raise ProcessingError("no capacity is passed inside the voltage window")
    return PlateauResult(
        average_voltage_v=float(np.trapezoid(v, q)) / delta_q,
        q_start_mah_g=float(q[0]),
        q_end_mah_g=float(q[-1]),
        n_points=int(q.size),
    )
