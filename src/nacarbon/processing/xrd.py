"""XRD of carbons: Bragg spacing, Scherrer crystallite sizes and the (002)/(100) peak fit.

Eqs. (1) Bragg and (2) Scherrer of Liu et al., J. Mater. Chem. A 2022, 10, 8031, with Cu K-alpha (0.15406
nm), K = 0.90 for Lc from (002) and K = 1.84 for La from (100). Optional corrections, recorded beside the
numbers: Lorentz-polarization (divided out before the fit; it shifts a broad (002) band's centre) and
instrument broadening (a standard's FWHM removed in quadrature, the Gaussian rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.data import columns as col
from nacarbon.errors import ProcessingError
from nacarbon.processing.peaks import PeakWindow, Profile, fit_peaks

CU_KALPHA_NM = 0.15406
K_LC_002 = 0.90
K_LA_100 = 1.84


def _theta_rad(two_theta_deg: ArrayLike) -> np.ndarray:
    two_theta = np.asarray(two_theta_deg, dtype=float)
    if not np.all((two_theta > 0) & (two_theta < 180)):
        raise ProcessingError(f"2-theta must lie strictly between 0 and 180 degrees, got {two_theta_deg}")
    return np.radians(two_theta / 2.0)


def _scalar_or_array(value: np.ndarray) -> float | np.ndarray:
    return float(value) if np.ndim(value) == 0 else value


def d_spacing(
    two_theta_deg: ArrayLike, wavelength_nm: float = CU_KALPHA_NM, order: int = 1
) -> float | np.ndarray:
    """Interplanar spacing from Bragg's law, ``d = n lambda / (2 sin theta)``.

    ``two_theta_deg`` is 2-theta in degrees, ``order`` the diffraction order n; d is in the unit of
    ``wavelength_nm`` (nm).
    """
    if wavelength_nm <= 0:
        raise ValueError(f"wavelength_nm must be positive, got {wavelength_nm}")
    if int(order) != order or order < 1:
        raise ValueError(f"order must be a positive integer, got {order}")
    return _scalar_or_array(order * wavelength_nm / (2.0 * np.sin(_theta_rad(two_theta_deg))))


def scherrer_size(
    fwhm: ArrayLike,
    two_theta_deg: ArrayLike,
    k: float,
    wavelength_nm: float = CU_KALPHA_NM,
    fwhm_unit: Literal["deg", "rad"] = "deg",
) -> float | np.ndarray:
    """Crystallite size from the Scherrer equation, ``L = K lambda / (beta cos theta)``, in nm.

    ``k`` is 0.90 for Lc from (002), 1.84 for La from (100); ``fwhm`` is in ``fwhm_unit`` (degrees are
    converted to radians), ``two_theta_deg`` in degrees. The FWHM is used as given: no
    instrumental-broadening correction here, as in the paper's uniform processing.
    """
    if fwhm_unit not in ("deg", "rad"):
        raise ValueError(f"fwhm_unit must be 'deg' or 'rad', got {fwhm_unit!r}")
    if k <= 0 or wavelength_nm <= 0:
        raise ValueError(f"k and wavelength_nm must be positive, got k={k}, wavelength_nm={wavelength_nm}")
    width = np.asarray(fwhm, dtype=float)
    if not np.all(width > 0):
        raise ProcessingError(f"FWHM must be positive, got {fwhm}")
    beta = np.radians(width) if fwhm_unit == "deg" else width
    return _scalar_or_array(k * wavelength_nm / (beta * np.cos(_theta_rad(two_theta_deg))))


def lorentz_polarization(two_theta_deg: ArrayLike) -> np.ndarray:
    """Lorentz-polarization factor without monochromator: ``(1 + cos^2 2theta) / (sin^2 theta cos theta)``."""
    theta = _theta_rad(two_theta_deg)
    return (1.0 + np.cos(2.0 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))


def remove_instrument_broadening(fwhm_deg: float, instrument_fwhm_deg: float, peak: str) -> float:
    """Sample FWHM from a measured one: ``sqrt(beta_obs^2 - beta_inst^2)`` (Gaussian rule).

    Raises ProcessingError if the instrument's FWHM is not smaller than the measured one.
    """
    if instrument_fwhm_deg >= fwhm_deg:
        raise ProcessingError(
            f"{peak}: instrument FWHM {instrument_fwhm_deg:g} deg is not below the measured {fwhm_deg:.4g} deg"
        )
    return float(np.sqrt(fwhm_deg**2 - instrument_fwhm_deg**2))


@dataclass(frozen=True)
class XrdResult:
    """Parameters of a carbon XRD pattern: peak fits and the derived d002, Lc and La."""

    two_theta_002_deg: float
    fwhm_002_deg: float
    two_theta_100_deg: float
    fwhm_100_deg: float
    d002_nm: float
    lc_nm: float
    la_nm: float
    r2: float
    wavelength_nm: float
    lp_corrected: bool = False
    instrument_fwhm_deg: float | None = None
    lc_uncorrected_nm: float | None = None
    la_uncorrected_nm: float | None = None

    @property
    def corrections(self) -> str:
        """The corrections applied, in words (recorded beside the numbers)."""
        parts = ["Lorentz-polarization" if self.lp_corrected else "no LP correction"]
        if self.instrument_fwhm_deg:
            parts.append(f"instrument FWHM {self.instrument_fwhm_deg:g} deg removed in quadrature")
        else:
            parts.append("no instrument-broadening correction")
        return "; ".join(parts)

    def rows(self) -> list[tuple[str, float, str]]:
        """Return ``(name, value, unit)`` rows; database fields use the column names."""
        return [
            (col.D002_NM, self.d002_nm, "nm"),
            (col.LC_NM, self.lc_nm, "nm"),
            (col.LA_NM, self.la_nm, "nm"),
            ("two_theta_002_deg", self.two_theta_002_deg, "deg"),
            ("fwhm_002_deg", self.fwhm_002_deg, "deg"),
            ("two_theta_100_deg", self.two_theta_100_deg, "deg"),
            ("fwhm_100_deg", self.fwhm_100_deg, "deg"),
            ("fit_r2", self.r2, ""),
            ("wavelength_nm", self.wavelength_nm, "nm"),
            ("corrections", self.corrections, ""),
            ("lc_uncorrected_nm", self.lc_uncorrected_nm, "nm"),
            ("la_uncorrected_nm", self.la_uncorrected_nm, "nm"),
        ]


def analyze_xrd(
    two_theta: ArrayLike,
    intensity: ArrayLike,
    *,
    angle_unit: Literal["deg", "rad"] = "deg",
    wavelength_nm: float = CU_KALPHA_NM,
    background_order: int = 2,
    profile: Profile = "pseudo-voigt",
    fit_range_deg: tuple[float, float] | None = (10.0, 70.0),
    window_002_deg: tuple[float, float] = (15.0, 30.0),
    window_100_deg: tuple[float, float] = (40.0, 47.0),
    max_fwhm_deg: float = 30.0,
    lp_correction: bool = False,
    instrument_fwhm_deg: float | None = None,
) -> XrdResult:
    """Fit the (002) and (100) peaks of a carbon pattern and derive d002, Lc and La (nm).

    d002 by Bragg (n = 1); Lc (K = 0.90) and La (K = 1.84) by Scherrer from the (002) and (100) FWHMs.
    ``angle_unit`` is never guessed. The ``background_order`` polynomial is refined with the peaks
    (:func:`~nacarbon.processing.peaks.fit_peaks` says why). ``fit_range_deg`` (None: all) stops short of
    (110) near 78 deg but passes 60 deg, so the broad (100) tail is told from the background.
    ``lp_correction`` divides by :func:`lorentz_polarization`; ``instrument_fwhm_deg`` (a standard's, e.g.
    LaB6) is removed in quadrature before Scherrer, the uncorrected sizes kept beside. Raises
    ProcessingError if a peak cannot be located or resolved, or the fit does not converge.
    """
    if angle_unit not in ("deg", "rad"):
        raise ValueError(f"angle_unit must be 'deg' or 'rad', got {angle_unit!r}")
    x = np.asarray(two_theta, dtype=float)
    x = np.degrees(x) if angle_unit == "rad" else x
    windows = [
        PeakWindow("(002)", *window_002_deg, max_fwhm=max_fwhm_deg),
        PeakWindow("(100)", *window_100_deg, max_fwhm=max_fwhm_deg),
    ]
    y = np.asarray(intensity, dtype=float)
    if lp_correction:
        y = y / lorentz_polarization(x) * float(np.median(lorentz_polarization(x)))
    fit = fit_peaks(
        x, y, windows, background_order=background_order, profile=profile, fit_range=fit_range_deg
    )
    p002, p100 = fit.peaks["(002)"], fit.peaks["(100)"]
    w002, w100 = p002.fwhm, p100.fwhm
    if instrument_fwhm_deg:
        w002 = remove_instrument_broadening(w002, instrument_fwhm_deg, "(002)")
        w100 = remove_instrument_broadening(w100, instrument_fwhm_deg, "(100)")
    raw_lc = scherrer_size(p002.fwhm, p002.center, K_LC_002, wavelength_nm)
    raw_la = scherrer_size(p100.fwhm, p100.center, K_LA_100, wavelength_nm)
    return XrdResult(
        two_theta_002_deg=p002.center,
        fwhm_002_deg=w002,
        two_theta_100_deg=p100.center,
        fwhm_100_deg=w100,
        d002_nm=d_spacing(p002.center, wavelength_nm),
        lc_nm=scherrer_size(w002, p002.center, K_LC_002, wavelength_nm),
        la_nm=scherrer_size(w100, p100.center, K_LA_100, wavelength_nm),
        r2=fit.r2,
        wavelength_nm=wavelength_nm,
        lp_corrected=lp_correction,
        instrument_fwhm_deg=instrument_fwhm_deg,
        lc_uncorrected_nm=raw_lc if instrument_fwhm_deg else None,
        la_uncorrected_nm=raw_la if instrument_fwhm_deg else None,
    )
