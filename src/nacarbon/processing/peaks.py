"""Pseudo-Voigt peaks and their fit with lmfit on a polynomial background (XRD).

:func:`fit_peaks` refines one ``PseudoVoigtModel`` per window and a ``PolynomialModel`` background together
(lmfit layer shared with Raman, :mod:`.fitting`). Initial guesses come from the data: a line through the two
ends, then per window the highest point left after subtracting the peaks already guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from nacarbon.errors import ProcessingError
from nacarbon.processing.fitting import component, prefix_of, r_squared, run_fit, stderr_of

Profile = Literal["pseudo-voigt", "lorentzian", "gaussian"]
_FIXED_FRACTION = {"lorentzian": 1.0, "gaussian": 0.0}
_LN2 = np.log(2.0)
# Clean patterns converge in under 50 evaluations; a fit still wandering after this many
# is chasing a peak that is not there, and would otherwise run for seconds.
_MAX_NFEV = 400


def pseudo_voigt(x: ArrayLike, height: float, center: float, fwhm: float, eta: float) -> np.ndarray:
    """Pseudo-Voigt peak ``height * (eta * L + (1 - eta) * G)``, L and G of unit height.

    ``center`` and ``fwhm`` are in x units; ``eta`` is the Lorentzian fraction of the height, 0 (Gaussian)
    to 1.
    """
    u = (np.asarray(x, dtype=float) - center) / fwhm
    lorentz = 1.0 / (1.0 + 4.0 * u**2)
    gauss = np.exp(-4.0 * _LN2 * u**2)
    return height * (eta * lorentz + (1.0 - eta) * gauss)


def pseudo_voigt_area(height: float, fwhm: float, eta: float) -> float:
    """Area of :func:`pseudo_voigt` over the real line.

    ``height * fwhm * (eta * pi / 2 + (1 - eta) * sqrt(pi / ln 2) / 2)``.
    """
    return float(height * fwhm * (eta * np.pi / 2.0 + (1.0 - eta) * 0.5 * np.sqrt(np.pi / _LN2)))


def _area_fraction(eta: float) -> float:
    """lmfit's ``fraction`` (Lorentzian share of the area) for a Lorentzian share ``eta`` of the height."""
    lorentz, gauss = eta * np.pi / 2.0, (1.0 - eta) * 0.5 * np.sqrt(np.pi / _LN2)
    return float(lorentz / (lorentz + gauss))


def _height_fraction(fraction: float) -> float:
    """Inverse of :func:`_area_fraction`: the ``eta`` of :func:`pseudo_voigt`."""
    lorentz, gauss = fraction / np.pi, (1.0 - fraction) * np.sqrt(_LN2 / np.pi)
    return float(lorentz / (lorentz + gauss))


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

    ``eta`` is the Lorentzian share of the height, as in :func:`pseudo_voigt`. The ``*_err``
    fields are lmfit's standard errors (infinite when the data do not determine the parameter).
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
    """Fit one lmfit pseudo-Voigt per window plus a polynomial background, all together.

    ``x`` need not be sorted; only points within the closed ``fit_range`` are fitted. Each centre is bounded
    to its window, each FWHM to [2 median x steps, ``max_fwhm``]; ``background_order`` is 0 to 5;
    ``profile="lorentzian"`` or ``"gaussian"`` fixes the mixing at 1 or 0. Returns the peaks keyed by window
    name, R^2 and the residual std. Raises ProcessingError if too few points remain, a window holds no data,
    the fit does not converge, or a peak is not resolved (height under 3 standard errors, centre pinned to a
    window edge, FWHM pinned to its maximum).

    Why a joint background and not a pybaselines baseline first (as for Raman): a hard carbon's (002) band
    is 5-12 deg wide on a 60 deg window, and the iterative baselines tried (imodpoly 2 and 3, arPLS, SNIP,
    each with a refined line) cut into its wings: La 6-23 % off on the tests' synthetic patterns, against
    2.2 % jointly. Fitted jointly, the heights' standard errors also carry the trade-off with the
    background, which the 3-standard-error refusal needs.
    """
    from lmfit.models import PolynomialModel

    if profile not in ("pseudo-voigt", "lorentzian", "gaussian"):
        raise ValueError(f"profile must be 'pseudo-voigt', 'lorentzian' or 'gaussian', got {profile!r}")
    if not 0 <= background_order <= 5:
        raise ValueError(f"background_order must be between 0 and 5, got {background_order}")
    x, y = _clean_xy(x, y, fit_range)
    n_params = background_order + 1 + (4 if profile == "pseudo-voigt" else 3) * len(windows)
    if x.size < n_params + 5:
        where = f" within {fit_range}" if fit_range is not None else ""
        raise ProcessingError(f"{x.size} points{where}: too few to fit {n_params} parameters")
    if x[-1] == x[0]:
        raise ProcessingError(f"every point has the same x ({x[0]})")

    model = PolynomialModel(degree=background_order, prefix="bg_")
    for w in windows:
        model = model + component(w.name, "pseudo-voigt")
    params = model.make_params()
    _initial_guess(params, x, y, windows, background_order, profile)
    names = ", ".join(w.name for w in windows)
    try:
        # x_scale="jac": background coefficients and peak parameters differ by orders of magnitude.
        result = run_fit(model, params, x, y, what="peak", max_nfev=_MAX_NFEV, x_scale="jac")
    except ProcessingError as exc:
        raise ProcessingError(f"{exc}: check that each peak ({names}) is present inside its window "
                              "and the fit range") from None

    peaks = {}
    for w in windows:
        p = result.params
        pre = prefix_of(w.name)
        peak = FittedPeak(
            w.name,
            center=float(p[pre + "center"].value),
            fwhm=float(p[pre + "fwhm"].value),
            height=float(p[pre + "height"].value),
            eta=_height_fraction(p[pre + "fraction"].value),
            height_err=stderr_of(p[pre + "height"]),
            center_err=stderr_of(p[pre + "center"]),
            fwhm_err=stderr_of(p[pre + "fwhm"]),
        )
        _check_resolved(peak, w)
        peaks[w.name] = peak
    resid = -result.residual  # lmfit's residual is model - data
    return PeakFit(peaks=peaks, r2=r_squared(y, resid), residual_std=float(np.std(resid, ddof=result.nvarys)))


def _initial_guess(params: Any, x: np.ndarray, y: np.ndarray, windows: list[PeakWindow], order: int,
                   profile: Profile) -> None:
    """Starting values and bounds: a line through the two ends, then one peak per window."""
    edge = max(3, x.size // 20)
    x_l, x_r = x[:edge].mean(), x[-edge:].mean()
    y_l, y_r = float(np.median(y[:edge])), float(np.median(y[-edge:]))
    slope = (y_r - y_l) / (x_r - x_l)
    line = [y_l - slope * x_l, slope]
    for k in range(order + 1):
        params[f"bg_c{k}"].set(value=line[k] if k < 2 else 0.0)
    residual = y - (line[0] + (line[1] * x if order >= 1 else 0.0))

    # Narrower than two sampling steps a width is not measurable; the floor stays > 0
    # even if the x column repeats values.
    min_fwhm = max(2.0 * float(np.median(np.diff(x))), 1e-9 * float(x[-1] - x[0]))
    tiny = 1e-9 * max(float(np.ptp(y)), 1e-300)
    eta = _FIXED_FRACTION.get(profile, 0.5)
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
        pre = prefix_of(w.name)
        params[pre + "amplitude"].set(value=pseudo_voigt_area(height, fwhm, eta), min=0.0)
        params[pre + "center"].set(value=center, min=w.low, max=w.high)
        params[pre + "sigma"].set(value=fwhm / 2.0, min=min_fwhm / 2.0, max=w.max_fwhm / 2.0)
        params[pre + "fraction"].set(value=_area_fraction(eta), vary=profile == "pseudo-voigt")


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
