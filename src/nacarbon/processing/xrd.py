"""XRD of carbons: Bragg spacing, Scherrer crystallite sizes and the (002)/(100) peak fit.

Implements eqs. (1) and (2) of Liu et al., J. Mater. Chem. A 2022, 10, 8031:
``2 d sin(theta) = n lambda`` and ``L = K lambda / (beta cos(theta))`` with Cu K-alpha
(lambda = 0.15406 nm), beta the FWHM in radians, K = 0.90 for Lc from (002) and
K = 1.84 for La from (100). Two optional corrections, recorded beside the numbers: the
Lorentz-polarization factor (divided out of the intensity before the fit; it shifts the
centre of a broad (002) band) and the instrument's broadening (a standard's FWHM, removed
in quadrature from each fitted FWHM, the Gaussian rule).
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

    Parameters
    ----------
    two_theta_deg : float or array-like
        Diffraction angle 2-theta in degrees.
    wavelength_nm : float, default=0.15406
        X-ray wavelength in nm (Cu K-alpha by default).
    order : int, default=1
        Diffraction order n.

    Returns
    -------
    float or numpy.ndarray
        d in nm (the unit of ``wavelength_nm``).
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
    """Crystallite size from the Scherrer equation, ``L = K lambda / (beta cos theta)``.

    Parameters
    ----------
    fwhm : float or array-like
        Peak full width at half maximum, in the unit given by ``fwhm_unit``.
    two_theta_deg : float or array-like
        Peak position 2-theta in degrees.
    k : float
        Shape factor: 0.90 for Lc from (002), 1.84 for La from (100).
    wavelength_nm : float, default=0.15406
        X-ray wavelength in nm.
    fwhm_unit : {"deg", "rad"}, default="deg"
        Unit of ``fwhm``; degrees are converted to radians before use.

    Returns
    -------
    float or numpy.ndarray
        L in nm (the unit of ``wavelength_nm``).

    Notes
    -----
    The FWHM is taken as measured: no instrumental-broadening correction is applied,
    as in the paper's uniform processing.
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
    """Lorentz-polarization factor of a powder diffractometer without monochromator.

    Parameters
    ----------
    two_theta_deg : array-like
        2-theta in degrees.

    Returns
    -------
    numpy.ndarray
        ``(1 + cos^2 2theta) / (sin^2 theta cos theta)``.
    """
    theta = _theta_rad(two_theta_deg)
    return (1.0 + np.cos(2.0 * theta) ** 2) / (np.sin(theta) ** 2 * np.cos(theta))


def remove_instrument_broadening(fwhm_deg: float, instrument_fwhm_deg: float, peak: str) -> float:
    """Sample FWHM from a measured one: ``sqrt(beta_obs^2 - beta_inst^2)`` (Gaussian rule).

    Raises
    ------
    ProcessingError
        If the instrument's FWHM is not smaller than the measured one.
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
    """Fit the (002) and (100) peaks of a carbon pattern and derive d002, Lc and La.

    Parameters
    ----------
    two_theta : array-like
        Diffraction angle 2-theta, in the unit given by ``angle_unit``.
    intensity : array-like
        Measured intensity (any unit).
    angle_unit : {"deg", "rad"}, default="deg"
        Unit of ``two_theta``; never guessed from the values.
    wavelength_nm : float, default=0.15406
        X-ray wavelength in nm (Cu K-alpha).
    background_order : int, default=2
        Degree of the polynomial background (1 = linear), refined together with the
        peaks (lmfit; see :func:`nacarbon.processing.peaks.fit_peaks` for why not a
        pre-subtracted baseline).
    profile : {"pseudo-voigt", "lorentzian", "gaussian"}, default="pseudo-voigt"
        Peak shape; a pseudo-Voigt has its own mixing fraction per peak.
    fit_range_deg : (float, float) or None, default=(10, 70)
        2-theta range (degrees) that is fitted; None fits the whole pattern. It stops
        short of the (110) reflection near 78 deg, and beyond 60 deg so that the
        right-hand tail of a broad (100) peak is separated from the background.
    window_002_deg, window_100_deg : (float, float)
        2-theta ranges (degrees) that must contain each peak's centre.
    max_fwhm_deg : float, default=30
        Widest FWHM accepted for either peak.
    lp_correction : bool, default=False
        Divide the intensity by :func:`lorentz_polarization` before fitting.
    instrument_fwhm_deg : float, optional
        FWHM of a standard (e.g. LaB6, Si) near the peaks, removed in quadrature from
        both fitted FWHMs before Scherrer; the uncorrected sizes are kept beside.

    Returns
    -------
    XrdResult
        Peak positions and FWHMs (degrees), d002 from Bragg's law (n = 1), Lc from the
        (002) FWHM with K = 0.90 and La from the (100) FWHM with K = 1.84, all in nm,
        and the fit's R^2.

    Raises
    ------
    ProcessingError
        If a peak cannot be located or resolved, or the fit does not converge.
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
