"""The lmfit layer shared by the XRD peak fit (:mod:`.peaks`) and the Raman band fit (:mod:`.bands`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nacarbon.errors import ProcessingError


# lmfit's sigma per FWHM of each band shape (a BWF's sigma is its half width only for large |q|).
SIGMA_PER_FWHM = {"lorentzian": 0.5, "gaussian": 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0))), "bwf": 1.0,
                  "pseudo-voigt": 0.5}


def component(name: str, shape: str) -> Any:
    """The lmfit model of one peak or band of ``shape``, its parameters prefixed ``prefix_of(name)``.

    ``shape`` is "pseudo-voigt", "lorentzian", "gaussian" or "bwf".
    """
    from lmfit.models import BreitWignerModel, GaussianModel, LorentzianModel, PseudoVoigtModel

    classes = {"pseudo-voigt": PseudoVoigtModel, "lorentzian": LorentzianModel, "gaussian": GaussianModel,
               "bwf": BreitWignerModel}
    if shape not in classes:
        raise ValueError(f"shape must be one of {sorted(classes)}, got {shape!r}")
    return classes[shape](prefix=prefix_of(name))


def prefix_of(name: str) -> str:
    """lmfit parameter prefix of a peak name, e.g. ``"(002)"`` -> ``"p002_"``."""
    clean = "".join(ch if ch.isalnum() else "" for ch in name)
    return f"{clean}_" if clean[:1].isalpha() else f"p{clean}_"


def run_fit(model: Any, params: Any, x: np.ndarray, y: np.ndarray, *, what: str, max_nfev: int,
            **fit_kws: Any) -> Any:
    """Least-squares fit of an lmfit model; refuse a fit that failed or ran out of evaluations.

    ``what`` names the fit in messages; ``fit_kws`` go to ``scipy.optimize.least_squares`` (e.g.
    ``x_scale="jac"``). Raises ProcessingError if lmfit raises (e.g. the model turns NaN) or the fit did not
    converge within ``max_nfev`` evaluations.
    """
    try:
        result = model.fit(y, params, x=x, method="least_squares", max_nfev=max_nfev, fit_kws=fit_kws)
    except (ValueError, TypeError) as exc:
        raise ProcessingError(f"the {what} fit failed ({exc})") from None
    if result.aborted or not result.success:
        raise ProcessingError(f"the {what} fit did not converge in {max_nfev} evaluations")
    return result


def r_squared(y: np.ndarray, residual: np.ndarray) -> float:
    """Coefficient of determination of a fit from its data and residuals."""
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum(residual**2)) / ss_tot if ss_tot > 0 else float("nan")


def stderr_of(param: Any) -> float:
    """Standard error of an lmfit parameter; infinite when the fit could not determine it."""
    # lmfit leaves stderr None when the covariance matrix cannot be inverted: undetermined.
    return float("inf") if param.stderr is None or not np.isfinite(param.stderr) else float(param.stderr)
