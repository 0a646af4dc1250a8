"""Raman of carbons: fit the D (~1350 cm^-1) and G (~1590 cm^-1) bands and report ID/IG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.data import columns as col
from nacarbon.processing.peaks import FittedPeak, PeakWindow, Profile, fit_peaks


@dataclass(frozen=True)
class RamanResult:
    """D and G band parameters (positions and widths in cm^-1) and the ID/IG ratio."""

    d_band: FittedPeak
    g_band: FittedPeak
    id_ig: float
    ratio: str
    r2: float

    @property
    def id_ig_height(self) -> float:
        """Ratio of the fitted band heights."""
        return self.d_band.height / self.g_band.height

    @property
    def id_ig_area(self) -> float:
        """Ratio of the fitted band areas."""
        return self.d_band.area / self.g_band.area

    def rows(self) -> list[tuple[str, float | str, str]]:
        """Return ``(name, value, unit)`` rows; the database field uses its column name."""
        rows: list[tuple[str, float | str, str]] = [(col.ID_IG, self.id_ig, f"{self.ratio} ratio")]
        for tag, band in (("d", self.d_band), ("g", self.g_band)):
            rows += [
                (f"{tag}_center_cm1", band.center, "cm^-1"),
                (f"{tag}_fwhm_cm1", band.fwhm, "cm^-1"),
                (f"{tag}_height", band.height, "counts"),
                (f"{tag}_area", band.area, "counts cm^-1"),
            ]
        rows += [("id_ig_height", self.id_ig_height, ""), ("id_ig_area", self.id_ig_area, "")]
        return rows + [("fit_r2", self.r2, "")]


def analyze_raman(
    shift_cm1: ArrayLike,
    intensity: ArrayLike,
    ratio: Literal["height", "area"] = "height",
    *,
    profile: Profile = "lorentzian",
    background_order: int = 1,
    fit_range_cm1: tuple[float, float] | None = (1000.0, 1800.0),
    window_d_cm1: tuple[float, float] = (1250.0, 1450.0),
    window_g_cm1: tuple[float, float] = (1500.0, 1650.0),
    max_fwhm_cm1: float = 500.0,
) -> RamanResult:
    """Fit the D and G bands of a carbon Raman spectrum and compute ID/IG.

    Parameters
    ----------
    shift_cm1 : array-like
        Raman shift in cm^-1 (any order).
    intensity : array-like
        Measured intensity.
    ratio : {"height", "area"}, default="height"
        ``"height"``: ratio of fitted band heights, the paper's peak-intensity ratio;
        ``"area"``: ratio of integrated band areas.
    profile : {"lorentzian", "pseudo-voigt", "gaussian"}, default="lorentzian"
        Band shape.
    background_order : int, default=1
        Degree of the polynomial background (1 = linear).
    fit_range_cm1 : (float, float) or None, default=(1000, 1800)
        Shift range that is fitted; None fits the whole spectrum.
    window_d_cm1, window_g_cm1 : (float, float)
        Ranges that must contain the D and G band centres.
    max_fwhm_cm1 : float, default=500
        Widest band FWHM accepted.

    Returns
    -------
    RamanResult
        Both bands (centre, FWHM, height, area), ``id_ig`` by the chosen ratio (both
        ratios are also available), and the fit's R^2.

    Raises
    ------
    ProcessingError
        If a band cannot be located or resolved, or the fit does not converge.

    Notes
    -----
    Heights are those of the fitted bands above the background, not the raw maxima:
    where the broad D and G bands of a hard carbon overlap, the raw maximum at G also
    holds the tail of D.
    """
    if ratio not in ("height", "area"):
        raise ValueError(f"ratio must be 'height' or 'area', got {ratio!r}")
    windows = [
        PeakWindow("D", *window_d_cm1, max_fwhm=max_fwhm_cm1),
        PeakWindow("G", *window_g_cm1, max_fwhm=max_fwhm_cm1),
    ]
    fit = fit_peaks(
        np.asarray(shift_cm1, dtype=float),
        intensity,
        windows,
        background_order=background_order,
        profile=profile,
        fit_range=fit_range_cm1,
    )
    d_band, g_band = fit.peaks["D"], fit.peaks["G"]
    value = d_band.height / g_band.height if ratio == "height" else d_band.area / g_band.area
    return RamanResult(d_band=d_band, g_band=g_band, id_ig=value, ratio=ratio, r2=fit.r2)
