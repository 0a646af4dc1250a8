"""The lmfit layer shared by XRD and Raman: components, prefixes, the convergence refusal."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing.fitting import component, prefix_of, r_squared, run_fit
from nacarbon.processing.raman import analyze_raman
from benchmarks.synthetic import raman_spectrum


def test_unknown_shape_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        component("D1", "voigt")


def test_prefixes_are_valid_lmfit_names():
    assert prefix_of("(002)") == "p002_"
    assert prefix_of("D1") == "D1_"
    assert component("(100)", "pseudo-voigt").prefix == "p100_"


def test_run_fit_recovers_a_lorentzian_and_refuses_when_out_of_evaluations():
    x = np.linspace(-50.0, 50.0, 401)
    y = 300.0 / (1.0 + 4.0 * (x / 10.0) ** 2)  # height 300, FWHM 10
    model = component("L", "lorentzian")
    params = model.make_params(L_amplitude=1000.0, L_center=3.0, L_sigma=2.0)
    result = run_fit(model, params, x, y, what="test", max_nfev=500)
    assert result.params["L_height"].value == pytest.approx(300.0, rel=1e-6)
    assert result.params["L_fwhm"].value == pytest.approx(10.0, rel=1e-6)
    assert r_squared(y, result.residual) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ProcessingError, match="the test fit did not converge in 2 evaluations"):
        run_fit(model, params, x, y, what="test", max_nfev=2)


def test_raman_fit_that_does_not_converge_is_refused(monkeypatch):
    monkeypatch.setattr("nacarbon.processing.bands._MAX_NFEV", 3)
    shift, intensity, _ = raman_spectrum()
    with pytest.raises(ProcessingError, match="sadezky fit did not converge"):
        analyze_raman(shift, intensity)
