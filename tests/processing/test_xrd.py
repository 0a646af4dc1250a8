"""Bragg and Scherrer against hand arithmetic; the (002)/(100) fit against synthetic patterns."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing import analyze_xrd, d_spacing, read_two_column, scherrer_size
from nacarbon.processing.peaks import pseudo_voigt


def test_d_spacing_matches_hand_value():
    # 2-theta = 23.5 deg -> theta = 11.75 deg, sin(11.75 deg) = 0.2036418
    # d = 0.15406 / (2 * 0.2036418) = 0.15406 / 0.4072835 = 0.378262 nm
    assert d_spacing(23.5) == pytest.approx(0.378262, abs=1e-6)
    # second order doubles d: 2 * 0.15406 / 0.4072835 = 0.756525 nm
    assert d_spacing(23.5, order=2) == pytest.approx(0.756525, abs=1e-6)


def test_d_spacing_of_graphite_002():
    # graphite's (002) at 26.55 deg (Cu K-alpha) must give its 0.3354 nm spacing
    assert d_spacing(26.55) == pytest.approx(0.3354, abs=2e-4)


def test_scherrer_matches_hand_values():
    # La: FWHM 5 deg = 0.0872665 rad at 2-theta 43.5 deg; cos(21.75 deg) = 0.9288096
    # La = 1.84 * 0.15406 / (0.0872665 * 0.9288096) = 0.2834704 / 0.0810539 = 3.49731 nm
    assert scherrer_size(5.0, 43.5, 1.84) == pytest.approx(3.49731, abs=1e-5)
    # Lc: FWHM 8 deg = 0.1396263 rad at 2-theta 23.5 deg; cos(11.75 deg) = 0.9790455
    # Lc = 0.90 * 0.15406 / (0.1396263 * 0.9790455) = 0.138654 / 0.1367005 = 1.01429 nm
    assert scherrer_size(8.0, 23.5, 0.90) == pytest.approx(1.01429, abs=1e-5)


def test_scherrer_fwhm_in_radians_needs_the_unit_parameter():
    in_deg = scherrer_size(5.0, 43.5, 1.84)
    assert scherrer_size(np.radians(5.0), 43.5, 1.84, fwhm_unit="rad") == pytest.approx(in_deg, rel=1e-12)
    # the radian value read as degrees is a 57.3x narrower peak, so a 57.3x larger size
    assert scherrer_size(np.radians(5.0), 43.5, 1.84) == pytest.approx(in_deg * 180 / np.pi, rel=1e-9)


@pytest.mark.parametrize(
    "call",
    [
        lambda: d_spacing(0.0),
        lambda: d_spacing(180.0),
        lambda: scherrer_size(0.0, 23.5, 0.9),
        lambda: scherrer_size(-1.0, 23.5, 0.9),
    ],
    ids=["2theta=0", "2theta=180", "fwhm=0", "fwhm<0"],
)
def test_impossible_angles_and_widths_raise(call):
    with pytest.raises(ProcessingError):
        call()


def test_unknown_fwhm_unit_is_rejected():
    with pytest.raises(ValueError, match="fwhm_unit"):
        scherrer_size(5.0, 43.5, 1.84, fwhm_unit="grad")


def _pattern(c002, w002, eta002, c100, w100, eta100, *, quadratic=True, seed=0):
    two_theta = np.arange(5.0, 80.0, 0.05)
    background = 150.0 - 1.2 * two_theta + (0.008 * two_theta**2 if quadratic else 0.0)
    signal = pseudo_voigt(two_theta, 1000.0, c002, w002, eta002) + pseudo_voigt(two_theta, 300.0, c100, w100, eta100)
    noise = np.random.default_rng(seed).normal(0.0, 10.0, two_theta.size)  # 1 % of the (002) height
    return two_theta, background + signal + noise


TRUTHS = [
    # typical hard carbon, very disordered hard carbon, soft carbon
    (23.0, 8.0, 0.4, 43.5, 5.0, 0.3),
    (22.0, 12.0, 0.5, 43.0, 8.0, 0.5),
    (25.5, 2.5, 0.3, 43.0, 3.0, 0.4),
]


@pytest.mark.parametrize("truth", TRUTHS)
def test_analyze_xrd_recovers_synthetic_peaks_from_a_file(tmp_path, truth):
    c002, w002, eta002, c100, w100, eta100 = truth
    path = tmp_path / "pattern.xy"
    np.savetxt(path, np.column_stack(_pattern(*truth)), header="2theta intensity", comments="")
    two_theta, intensity = read_two_column(path, x_order="monotonic")

    result = analyze_xrd(two_theta, intensity)

    # the lmfit fit lands within 0.011 deg of each centre, 0.4 % of the (002) FWHM and 2.1 % of
    # the (100) FWHM on these patterns (1 % noise); the bounds leave about 2x that margin
    assert result.two_theta_002_deg == pytest.approx(c002, abs=0.03)
    assert result.two_theta_100_deg == pytest.approx(c100, abs=0.03)
    assert result.fwhm_002_deg == pytest.approx(w002, rel=0.01)
    assert result.fwhm_100_deg == pytest.approx(w100, rel=0.03)
    assert result.d002_nm == pytest.approx(d_spacing(c002), abs=5e-4)
    assert result.lc_nm == pytest.approx(scherrer_size(w002, c002, 0.90), rel=0.01)
    assert result.la_nm == pytest.approx(scherrer_size(w100, c100, 1.84), rel=0.03)
    assert result.r2 > 0.99


def test_linear_background_with_first_order_fit():
    two_theta, intensity = _pattern(*TRUTHS[0], quadratic=False, seed=3)
    result = analyze_xrd(two_theta, intensity, background_order=1)
    assert result.fwhm_002_deg == pytest.approx(8.0, rel=0.01)
    assert result.two_theta_100_deg == pytest.approx(43.5, abs=0.03)


def test_radians_input_is_converted_only_when_declared():
    two_theta, intensity = _pattern(*TRUTHS[0])
    in_deg = analyze_xrd(two_theta, intensity)
    in_rad = analyze_xrd(np.radians(two_theta), intensity, angle_unit="rad")
    assert in_rad.d002_nm == pytest.approx(in_deg.d002_nm, rel=1e-6)
    assert in_rad.la_nm == pytest.approx(in_deg.la_nm, rel=1e-6)
    # radians read as degrees put every point below 2 deg, outside the fit range: refused
    with pytest.raises(ProcessingError, match="0 points"):
        analyze_xrd(np.radians(two_theta), intensity)


def test_pattern_without_a_100_peak_is_refused():
    two_theta = np.arange(5.0, 80.0, 0.05)
    rng = np.random.default_rng(1)
    intensity = 100.0 + pseudo_voigt(two_theta, 1000.0, 23.0, 8.0, 0.4) + rng.normal(0.0, 10.0, two_theta.size)
    with pytest.raises(ProcessingError, match=r"the \(100\) peak is not resolved"):
        analyze_xrd(two_theta, intensity)


def test_fit_that_does_not_converge_is_refused(monkeypatch):
    monkeypatch.setattr("nacarbon.processing.peaks._MAX_NFEV", 1)
    with pytest.raises(ProcessingError, match="did not converge"):
        analyze_xrd(*_pattern(*TRUTHS[0]))
