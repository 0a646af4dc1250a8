"""The lmfit pseudo-Voigt fit: parameters recovered exactly, standard errors, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing.peaks import PeakWindow, fit_peaks, pseudo_voigt, pseudo_voigt_area

WINDOW = [PeakWindow("(002)", 20.0, 30.0, max_fwhm=20.0)]


def _peak(eta, *, noise=0.0, seed=0):
    x = np.arange(0.0, 50.0, 0.05)
    y = 40.0 + 0.5 * x + pseudo_voigt(x, 800.0, 25.0, 4.0, eta)
    return x, y + np.random.default_rng(seed).normal(0.0, noise, x.size)


@pytest.mark.parametrize("eta", [0.0, 0.3, 0.7, 1.0])
def test_noise_free_peak_is_recovered_with_its_height_fraction(eta):
    # lmfit's PseudoVoigtModel mixes by area; FittedPeak.eta is the height share of pseudo_voigt
    fit = fit_peaks(*_peak(eta), WINDOW, background_order=1)
    peak = fit.peaks["(002)"]
    assert peak.center == pytest.approx(25.0, abs=1e-6)
    assert peak.fwhm == pytest.approx(4.0, rel=1e-6)
    assert peak.height == pytest.approx(800.0, rel=1e-6)
    assert peak.eta == pytest.approx(eta, abs=1e-6)
    assert peak.area == pytest.approx(pseudo_voigt_area(800.0, 4.0, eta), rel=1e-6)
    assert fit.r2 == pytest.approx(1.0, abs=1e-9)


def test_standard_errors_shrink_with_the_noise():
    loud = fit_peaks(*_peak(0.4, noise=20.0), WINDOW).peaks["(002)"]
    quiet = fit_peaks(*_peak(0.4, noise=2.0), WINDOW).peaks["(002)"]
    assert 0 < quiet.height_err < loud.height_err
    # the same seed scaled 10x: the errors scale by about 10
    assert loud.height_err / quiet.height_err == pytest.approx(10.0, rel=0.1)
    assert loud.height == pytest.approx(800.0, abs=3 * loud.height_err)


def test_fixed_profile_keeps_its_shape():
    fit = fit_peaks(*_peak(1.0, noise=1.0), WINDOW, profile="lorentzian")
    assert fit.peaks["(002)"].eta == 1.0
    assert fit.peaks["(002)"].fwhm == pytest.approx(4.0, rel=0.01)


def test_flat_noise_has_no_resolved_peak():
    x = np.arange(0.0, 50.0, 0.05)
    y = 100.0 + np.random.default_rng(2).normal(0.0, 5.0, x.size)
    with pytest.raises(ProcessingError, match=r"the \(002\) peak"):
        fit_peaks(x, y, WINDOW)
