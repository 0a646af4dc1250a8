"""Rate factor: reciprocal of the least-squares slope of capacity against current density."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.data import columns as col
from nacarbon.errors import ProcessingError

# mA/g per unit of current density in which the slope is expressed.
_PER_TO_MA_G = {"100mA/g": 100.0, "A/g": 1000.0, "mA/g": 1.0}
Per = Literal["100mA/g", "A/g", "mA/g"]
# The convention whose values sit on Liu et al.'s Table 1 scale, and that scale.
TABLE1_PER = "100mA/g"
TABLE1_RANGE = (0.06, 1.2)


def scale_warning(value: float, per: str) -> str | None:
    """Why a rate factor ``value`` (in ``per`` units) is off Table 1's scale, or None.

    Off scale: another unit than 100 mA/g, or more than 3x outside Table 1's 0.06-1.2.
    """
    lo, hi = TABLE1_RANGE
    if per != TABLE1_PER:
        return (f"rate factor {value:.3g} is per {per}; Table 1's scale ({lo}-{hi}) is per {TABLE1_PER} "
                f"(current as a multiple of 100 mA/g)")
    if not lo / 3 <= value <= hi * 3:
        return (f"rate factor {value:.3g} is more than 3x outside Table 1's {lo}-{hi}: check the currents' unit "
                "and the active mass")
    return None


@dataclass(frozen=True)
class RateResult:
    """Rate factor with the straight-line fit it came from."""

    rate_factor: float
    slope_mah_g: float
    intercept_mah_g: float
    r2: float
    n: int
    per: str

    def rows(self) -> list[tuple[str, float | int, str]]:
        """Return ``(name, value, unit)`` rows; the database field uses its column name."""
        return [
            (col.RATE_FACTOR, self.rate_factor, f"({self.per})/(mAh/g)"),
            ("slope", self.slope_mah_g, f"(mAh/g)/({self.per})"),
            ("intercept", self.intercept_mah_g, "mAh/g"),
            ("fit_r2", self.r2, ""),
            ("n_points", self.n, ""),
        ]


def rate_factor(
    current_ma_g: ArrayLike, capacity_mah_g: ArrayLike, *, per: Per = TABLE1_PER
) -> RateResult:
    """Rate factor of a rate test, as defined in Liu et al. (2022), Tables 1-2: ``-1 / slope``.

    The slope is the least-squares fit of capacity (mAh/g) against current density (``current_ma_g`` in
    mA/g, expressed per ``per``), so the factor is in (per)/(mAh/g); repeated currents (a return to the
    first) count like any point. Raises ProcessingError for fewer than 3 points or 2 distinct currents, a
    non-finite value, a negative current, or a slope >= 0.

    Why ``-1 / slope`` per 100 mA/g: capacity falls with current and the paper's factors are positive,
    "higher is better"; the paper states no units. Per 100 mA/g (the reference current), a typical hard
    carbon (300 mAh/g at 0.02 A/g, 100 mAh/g at 2 A/g) gives ~0.1, inside Table 1's 0.06-1.2 (median 0.14);
    per A/g ~0.01 and per mA/g ~10 fall outside all of them. Table 1 agrees: its factor falls as capacity
    rises (Spearman -0.44), and its largest (1.17) is a 50 mAh/g carbon, with little capacity to lose.
    """
    if per not in _PER_TO_MA_G:
        raise ValueError(f"per must be one of {sorted(_PER_TO_MA_G)}, got {per!r}")
    current = np.asarray(current_ma_g, dtype=float) / _PER_TO_MA_G[per]
    capacity = np.asarray(capacity_mah_g, dtype=float)
    if current.ndim != 1 or current.shape != capacity.shape:
        raise ProcessingError(
            f"current and capacity must be 1-D and of equal length, got {current.shape} and {capacity.shape}"
        )
    if not (np.all(np.isfinite(current)) and np.all(np.isfinite(capacity))):
        raise ProcessingError("current and capacity must be finite numbers")
    if np.any(current < 0):
        raise ProcessingError("current densities must not be negative")
    if current.size < 3 or np.unique(current).size < 2:
        raise ProcessingError(
            f"{current.size} point(s) at {np.unique(current).size} distinct current(s): "
            "a rate factor needs at least 3 points at 2 or more currents"
        )

    # Closed form, so that a constant capacity gives a slope of exactly 0, not -1e-14.
    dx, dy = current - current.mean(), capacity - capacity.mean()
    slope = float(np.sum(dx * dy) / np.sum(dx * dx))
    intercept = float(capacity.mean() - slope * current.mean())
    if slope >= 0:
        raise ProcessingError(
            f"capacity does not fall as current rises (slope {slope:.4g} (mAh/g)/({per})): the rate factor is undefined"
        )
    resid = capacity - (slope * current + intercept)
    r2 = 1.0 - float(np.sum(resid**2)) / float(np.sum(dy**2))
    return RateResult(
        rate_factor=float(-1.0 / slope),
        slope_mah_g=slope,
        intercept_mah_g=intercept,
        r2=r2,
        n=int(current.size),
        per=per,
    )
