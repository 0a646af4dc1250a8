"""Rate factor: reciprocal of the least-squares slope of capacity against current density."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.data import columns as col
from nacarbon.errors import ProcessingError

# mA/g per unit of current density in which the slope is expressed.
_PER_TO_MA_G = {"A/g": 1000.0, "mA/g": 1.0}


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
    current_ma_g: ArrayLike, capacity_mah_g: ArrayLike, *, per: Literal["A/g", "mA/g"] = "A/g"
) -> RateResult:
    """Rate factor of a rate test, as defined in Liu et al. (2022), Tables 1-2.

    Parameters
    ----------
    current_ma_g : array-like
        Current density of each point, mA/g. Repeated currents (e.g. a return to the
        first current at the end of the test) are fitted like any other point.
    capacity_mah_g : array-like
        Reversible capacity at each point, mAh/g.
    per : {"A/g", "mA/g"}, default="A/g"
        Unit of current density in which the slope, and so the rate factor, is
        expressed. The two differ by a factor of 1000.

    Returns
    -------
    RateResult
        ``rate_factor = -1 / slope`` in (per)/(mAh/g), the slope in (mAh/g)/(per), the
        intercept (mAh/g), the fit's R^2 and the number of points.

    Raises
    ------
    ProcessingError
        If there are fewer than 3 points or 2 distinct currents, a value is not finite
        or a current is negative, or capacity does not fall as current rises (slope >= 0).

    Notes
    -----
    Capacity falls with current, so the fitted slope is negative; the paper's rate
    factors are positive and "higher is better", so the rate factor is the reciprocal
    of the slope's magnitude: the current-density increase that costs 1 mAh/g. The
    paper states neither units nor the currents used. In A/g a typical hard carbon
    (300 mAh/g at 0.1 A/g falling to 100 mAh/g at 2 A/g) gives 1.9/200 = 0.0095, and
    tests reaching 5-10 A/g, where capacity levels off, give ~0.02-0.06: the low end of
    the paper's 0.06-1.2. In mA/g the same tests give 9-60, two orders above it. Hence
    ``per="A/g"`` by default; values need not match the paper's tables one-to-one.
    """
    if per not in _PER_TO_MA_G:
        raise ValueError(f"per must be 'A/g' or 'mA/g', got {per!r}")
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
