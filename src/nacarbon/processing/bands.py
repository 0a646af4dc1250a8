"""Band fits with lmfit on a pybaselines baseline: the Raman models of disordered carbon.

The baseline (pybaselines' imodpoly, degree 1, on the fit window) is subtracted first, then a straight line
is refined with the bands so that a baseline slightly off does not bias them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nacarbon.errors import ProcessingError
from nacarbon.processing.fitting import SIGMA_PER_FWHM, component, prefix_of, r_squared, run_fit

# Five bands with a BWF or D2 on G's shoulder can take a few hundred evaluations; 4000 is ample.
_MAX_NFEV = 4000


@dataclass(frozen=True)
class BandSpec:
    """One band: shape, window for its centre, starting and widest FWHM (cm^-1)."""

    name: str
    shape: str  # "lorentzian", "gaussian" or "bwf"
    low: float
    high: float
    fwhm: float
    max_fwhm: float


@dataclass(frozen=True)
class Band:
    """A fitted band: centre, FWHM, height above the baseline and integrated area."""

    name: str
    shape: str
    center: float
    fwhm: float
    height: float
    area: float


@dataclass(frozen=True)
class BandFit:
    """Result of :func:`fit_bands`."""

    bands: dict[str, Band]
    r2: float
    model: str


def fit_bands(x: np.ndarray, y: np.ndarray, specs: list[BandSpec], *, model_name: str,
              fit_range: tuple[float, float] = (800.0, 2000.0)) -> BandFit:
    """Fit the bands ``specs`` to a spectrum (shift in cm^-1, increasing) over ``fit_range``.

    Raises ProcessingError if the window holds too few points, the fit fails, or a band ends with no height
    (or D1/G under 3x the residual noise).
    """
    from lmfit.models import LinearModel
    from pybaselines import Baseline

    keep = (x >= fit_range[0]) & (x <= fit_range[1])
    x, y = x[keep], y[keep]
    if x.size < 5 * len(specs) + 10:
        raise ProcessingError(f"{x.size} points within {fit_range} cm^-1: too few for the {model_name} fit")
    base = Baseline(x_data=x).imodpoly(y, poly_order=1)[0]
    yc = y - base
    model = LinearModel(prefix="bg_")
    for spec in specs:
        model = model + component(spec.name, spec.shape)
    params = model.make_params(bg_slope=0.0, bg_intercept=0.0)
    for spec in specs:
        p = prefix_of(spec.name)
        c0 = 0.5 * (spec.low + spec.high)
        h0 = max(float(np.interp(c0, x, yc)), 1e-6 * float(np.ptp(yc)) + 1e-12)
        sig = spec.fwhm * SIGMA_PER_FWHM[spec.shape]
        params[p + "center"].set(value=c0, min=spec.low, max=spec.high)
        params[p + "sigma"].set(value=sig, min=2.0 * np.median(np.diff(x)) * SIGMA_PER_FWHM[spec.shape],
                                max=spec.max_fwhm * SIGMA_PER_FWHM[spec.shape])
        if spec.shape == "lorentzian":
            params[p + "amplitude"].set(value=h0 * np.pi * sig, min=0.0)
        elif spec.shape == "gaussian":
            params[p + "amplitude"].set(value=h0 * sig * np.sqrt(2 * np.pi), min=0.0)
        else:  # BWF: amplitude is the far-wing level, q the asymmetry (negative: tail to low shift)
            params[p + "amplitude"].set(value=h0 / 100.0, min=0.0)
            params[p + "q"].set(value=-10.0, max=-1.0, min=-200.0)
    result = run_fit(model, params, x, yc, what=model_name, max_nfev=_MAX_NFEV)
    comps = result.eval_components(x=x)
    fine = np.linspace(x[0], x[-1], 20 * x.size)
    fine_comps = result.eval_components(x=fine)
    bands = {}
    for spec in specs:
        p = prefix_of(spec.name)
        prof = fine_comps[p]
        height = float(prof.max())
        if not height > 0:
            raise ProcessingError(f"band {spec.name} of the {model_name} fit has no height: is it in the spectrum?")
        sigma = result.params[p + "sigma"].value
        fwhm = sigma / SIGMA_PER_FWHM[spec.shape] if spec.shape != "bwf" else _numeric_fwhm(fine, prof)
        # Lorentzian and Gaussian areas are their amplitudes (whole line); a BWF's wing never
        # returns to zero, so its area is taken over the fit window.
        area = result.params[p + "amplitude"].value if spec.shape != "bwf" else np.trapezoid(comps[p], x)
        bands[spec.name] = Band(spec.name, spec.shape, float(fine[np.argmax(prof)]), float(fwhm), height,
                                float(area))
    noise = float(np.std(result.residual))
    for name in ("D1", "G"):  # the two bands every model reports must stand out of the noise
        if name in bands and bands[name].height < 3.0 * noise:
            raise ProcessingError(f"band {name} of the {model_name} fit is not resolved: height "
                                  f"{bands[name].height:.3g} is under 3x the residual noise ({noise:.3g})")
    return BandFit(bands, r_squared(yc, result.residual), model_name)


def _numeric_fwhm(x: np.ndarray, prof: np.ndarray) -> float:
    above = np.flatnonzero(prof >= prof.max() / 2.0)
    return float(x[above[-1]] - x[above[0]]) if above.size > 1 else float("nan")
