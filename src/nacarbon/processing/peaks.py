"""Least-squares fit of a few peaks on a polynomial background, shared by XRD and Raman.

Each peak is a pseudo-Voigt (a Lorentzian and a Gaussian of the same FWHM mixed with
fraction ``eta``); ``profile="lorentzian"`` or ``"gaussian"`` fixes ``eta`` at 1 or 0.
Initial guesses come from the data: a straight background through the two ends, then,
window by window, the highest point left after subtracting the peaks already guessed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.polynomial import polynomial as poly
from numpy.typing import ArrayLike

from nacarbon.errors import ProcessingError

Profile = Literal["pseudo-voigt", "lorentzian", "gaussian"]
_FIXED_ETA = {"lorentzian": 1.0, "gaussian": 0.0}
_LN2 = np.log(2.0)
# Clean patterns converge in under 15 evaluations; a fit still wandering after this many
# is chasing a peak that is not there, and would otherwise run for seconds.
_MAX_NFEV = 200


def pseudo_voigt(x: ArrayLike, height: float, center: float, fwhm: float, eta: float) -> np.ndarray:
    """Evaluate a pseudo-Voigt peak of the given height, centre and FWHM.

    Parameters
    ----------
    x : array-like
        Abscissa.
    height, center, fwhm : float
        Peak maximum, its position and its full width at half maximum (x units).
    eta : float
        Lorentzian fraction, 0 (Gaussian) to 1 (Lorentzian).

    Returns
    -------
    numpy.ndarray
        ``height * (eta * L + (1 - eta) * G)`` with L and G of unit height.
    """
    u = (np.asarray(x, dtype=float) - center) / fwhm
    lorentz = 1.0 / (1.0 + 4.0 * u**2)
    gauss = np.exp(-4.0 * _LN2 * u**2)
    return height * (eta * lorentz + (1.0 - eta) * gauss)


def pseudo_voigt_area(height: float, fwhm: float, eta: float) -> float:
    """Integrated area of :func:`pseudo_voigt` over the whole real line.

    Parameters
    ----------
    height, fwhm, eta : float
        As in :func:`pseudo_voigt`.

    Returns
    -------
    float
        ``height * fwhm * (eta * pi / 2 + (1 - eta) * sqrt(pi / ln 2) / 2)``.
    """
    return float(height * fwhm * (eta * np.pi / 2.0 + (1.0 - eta) * 0.5 * np.sqrt(np.pi / _LN2)))


@dataclass(frozen=True)
class PeakWindow:
    """Range that must contain one peak's centre, and the widest FWHM it may take."""

    name: str
    low: float
    high: float
    max_fwhm: float


@dataclass(frozen=True)
class FittedPeak:
    """One fitted peak (x units for centre and FWHM, y units for height).

    The ``*_err`` fields are standard errors from the fit's covariance matrix
    (infinite when the data do not determine the parameter).
    """

    name: str
    center: float
    fwhm: float
    height: float
    eta: float
    height_err: float = float("nan")
    center_err: float = float("nan")
    fwhm_err: float = float("nan")

    @property
    def area(self) -> float:
        """Integrated area of the fitted profile."""
        return pseudo_voigt_area(self.height, self.fwhm, self.eta)


@dataclass(frozen=True)
class PeakFit:
    """Result of :func:`fit_peaks`."""

    peaks: dict[str, FittedPeak]
    r2: float
    residual_std: float


def _clean_xy(x: ArrayLike, y: ArrayLike, fit_range: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ProcessingError(f"x and y must be 1-D and of equal length, got shapes {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ProcessingError("x and y must be finite numbers")
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if fit_range is not None:
        keep = (x >= fit_range[0]) & (x <= fit_range[1])
        x, y = x[keep], y[keep]
    return x, y


def _width_guess(x: np.ndarray, r: np.ndarray, i: int, window: PeakWindow) -> float:
    # The narrower half-width is used: the other side often runs into a neighbouring peak.
    half = r[i] / 2.0
    left = np.flatnonzero(r[:i] < half)
    right = np.flatnonzero(r[i:] < half)
    halves = []
    if left.size:
        halves.append(x[i] - x[left[-1]])
    if right.size:
        halves.append(x[i + right[0]] - x[i])
    return 2.0 * min(halves) if halves else window.high - window.low


def fit_peaks(
    x: ArrayLike,
    y: ArrayLike,
    windows: list[PeakWindow],
    *,
    background_order: int = 1,
    profile: Profile = "pseudo-voigt",
    fit_range: tuple[float, float] | None = None,
) -> PeakFit:
    """Fit one peak per window plus a polynomial background with ``curve_fit``.

    Parameters
    ----------
    x, y : array-like
        The measurement; x need not be sorted.
    windows : list of PeakWindow
        One per peak: the centre is bounded to ``[low, high]``, the FWHM to
        ``[2 * median x step, max_fwhm]``.
    background_order : int, default=1
        Degree of the background polynomial (0 to 5).
    profile : {"pseudo-voigt", "lorentzian", "gaussian"}, default="pseudo-voigt"
        Peak shape.
    fit_range : (float, float) or None, default=None
        Only points with x in this closed range are fitted.

    Returns
    -------
    PeakFit
        Fitted peaks keyed by window name, R^2 and residual standard deviation.

    Raises
    ------
    ProcessingError
        If too few points remain, a window holds no data, the fit does not converge,
        or a fitted peak is not resolved (height under 3 standard errors, centre
        pinned to a window edge, or FWHM pinned to its maximum).
    """
    if profile not in ("pseudo-voigt", "lorentzian", "gaussian"):
        raise ValueError(f"profile must be 'pseudo-voigt', 'lorentzian' or 'gaussian', got {profile!r}")
    if not 0 <= background_order <= 5:
        raise ValueError(f"background_order must be between 0 and 5, got {background_order}")
    x, y = _clean_xy(x, y, fit_range)
    n_bg = background_order + 1
    per_peak = 4 if profile == "pseudo-voigt" else 3
    n_params = n_bg + per_peak * len(windows)
    if x.size < n_params + 5:
        where = f" within {fit_range}" if fit_range is not None else ""
        raise ProcessingError(f"{x.size} points{where}: too few to fit {n_params} parameters")
    if x[-1] == x[0]:
        raise ProcessingError(f"every point has the same x ({x[0]})")

    # A scaled abscissa keeps the background polynomial well conditioned.
    mid, half = (x[0] + x[-1]) / 2.0, (x[-1] - x[0]) / 2.0
    p0, lower, upper = _initial_guess(x, y, (x - mid) / half, windows, n_bg, profile)

    def model(xv: np.ndarray, *p: float) -> np.ndarray:
        out = poly.polyval((xv - mid) / half, p[:n_bg])
        for k in range(len(windows)):
            out = out + pseudo_voigt(xv, *_peak_params(p, n_bg, k, per_peak, profile))
        return out

    # Imported here: scipy.optimize takes about a second to load, which rate, plateau
    # and --help do not need.
    from scipy.optimize import OptimizeWarning, curve_fit

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)  # an undetermined peak shows as inf below
            params, pcov = curve_fit(
                model, x, y, p0=p0, bounds=(lower, upper), method="trf", x_scale="jac", max_nfev=_MAX_NFEV
            )
    except RuntimeError:
        names = ", ".join(w.name for w in windows)
        raise ProcessingError(
            f"peak fit did not converge in {_MAX_NFEV} evaluations: check that each peak ({names}) "
            "is present inside its window and the fit range"
        ) from None

    resid = y - model(x, *params)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else float("nan")
    errors = np.sqrt(np.abs(np.diag(pcov)))
    peaks = {}
    for k, w in enumerate(windows):
        height, center, fwhm, eta = _peak_params(params, n_bg, k, per_peak, profile)
        h_err, c_err, w_err = _peak_params(errors, n_bg, k, per_peak, profile)[:3]
        peak = FittedPeak(w.name, center, fwhm, height, eta, height_err=h_err, center_err=c_err, fwhm_err=w_err)
        _check_resolved(peak, w)
        peaks[w.name] = peak
    return PeakFit(peaks=peaks, r2=r2, residual_std=float(np.std(resid, ddof=n_params)))


def _peak_params(
    p: ArrayLike, n_bg: int, k: int, per_peak: int, profile: Profile
) -> tuple[float, float, float, float]:
    """Height, centre, FWHM and eta of peak k from the flat parameter vector."""
    h, c, fw, *rest = p[n_bg + k * per_peak : n_bg + (k + 1) * per_peak]
    return float(h), float(c), float(fw), float(rest[0]) if rest else _FIXED_ETA[profile]


def _initial_guess(
    x: np.ndarray, y: np.ndarray, t: np.ndarray, windows: list[PeakWindow], n_bg: int, profile: Profile
) -> tuple[list[float], list[float], list[float]]:
    """Starting parameters and bounds: a line through the two ends, then one peak per window."""
    edge = max(3, x.size // 20)
    t_l, t_r = t[:edge].mean(), t[-edge:].mean()
    y_l, y_r = float(np.median(y[:edge])), float(np.median(y[-edge:]))
    slope = (y_r - y_l) / (t_r - t_l)
    p0 = ([y_l - slope * t_l, slope] + [0.0] * n_bg)[:n_bg]
    lower, upper = [-np.inf] * n_bg, [np.inf] * n_bg

    # Narrower than two sampling steps a width is not measurable; the floor stays > 0
    # even if the x column repeats values.
    min_fwhm = max(2.0 * float(np.median(np.diff(x))), 1e-9 * float(x[-1] - x[0]))
    tiny = 1e-9 * max(float(np.ptp(y)), 1e-300)
    free_eta = profile == "pseudo-voigt"
    eta = _FIXED_ETA.get(profile, 0.5)
    residual = y - poly.polyval(t, p0)
    for w in windows:
        inside = np.flatnonzero((x >= w.low) & (x <= w.high))
        if inside.size == 0:
            raise ProcessingError(f"no data between {w.low} and {w.high}: the {w.name} peak cannot be located")
        i = int(inside[np.argmax(residual[inside])])
        height = max(float(residual[i]), tiny)
        margin = 1e-3 * (w.high - w.low)
        center = float(np.clip(x[i], w.low + margin, w.high - margin))
        fwhm = float(np.clip(_width_guess(x, residual, i, w), 1.01 * min_fwhm, 0.99 * w.max_fwhm))
        # Later windows are guessed on what this peak leaves, e.g. (100) on the (002) tail.
        residual = residual - pseudo_voigt(x, height, center, fwhm, eta)
        p0 += [height, center, fwhm] + ([eta] if free_eta else [])
        lower += [0.0, w.low, min_fwhm] + ([0.0] if free_eta else [])
        upper += [np.inf, w.high, w.max_fwhm] + ([1.0] if free_eta else [])
    return p0, lower, upper


def _check_resolved(peak: FittedPeak, window: PeakWindow) -> None:
    edge = 1e-3 * (window.high - window.low)
    # A peak the data cannot tell from zero has an infinite or large height error.
    if not np.isfinite(peak.height_err) or peak.height < 3.0 * peak.height_err:
        raise ProcessingError(
            f"the {peak.name} peak is not resolved: fitted height {peak.height:.3g} "
            f"+/- {peak.height_err:.3g} is not 3 standard errors above zero"
        )
    if min(peak.center - window.low, window.high - peak.center) < edge:
        raise ProcessingError(
            f"the {peak.name} peak centre ran to the edge of its window [{window.low}, {window.high}] "
            f"(fitted {peak.center:.4g}): the peak is missing or the window is wrong"
        )
    if peak.fwhm > 0.999 * window.max_fwhm:
        raise ProcessingError(f"the {peak.name} peak FWHM reached its upper bound {window.max_fwhm}")
