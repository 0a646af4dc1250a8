"""Synthetic measurements with known answers: the ground truth for tests and benchmarks.

Each generator returns the data and the truth it was built from, so a fit can be scored
against numbers nobody measured: an XRD pattern of two pseudo-Voigt bands, a five-band
(Sadezky) Raman spectrum, and a galvanostatic test of piecewise-linear curves.

It lives beside the benchmarks, not in the package: nothing the product runs needs it. The
benchmarks import it as ``synthetic`` (they run as scripts from this folder), the tests as
``benchmarks.synthetic``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nacarbon.processing.peaks import pseudo_voigt
from nacarbon.processing.readers.cycling import CyclingData, normalize

# Sadezky et al. (2005)-like bands of a disordered carbon: centre, FWHM (cm^-1), height, shape.
FIVE_BANDS = {
    "D4": (1200.0, 200.0, 150.0, "lorentzian"),
    "D1": (1350.0, 150.0, 1000.0, "lorentzian"),
    "D3": (1510.0, 130.0, 250.0, "gaussian"),
    "G": (1585.0, 65.0, 1000.0, "lorentzian"),
    "D2": (1620.0, 40.0, 350.0, "lorentzian"),
}


def raman_spectrum(bands: dict | None = None, *, noise: float = 5.0, seed: int = 0,
                   step: float = 2.0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Five-band spectrum on a sloping background, 800-2000 cm^-1.

    Parameters
    ----------
    bands : dict, optional
        ``name -> (centre, fwhm, height, "lorentzian"|"gaussian")``; default :data:`FIVE_BANDS`
        (D1/G height ratio 1.00).
    noise : float, default=5
        Standard deviation of Gaussian noise.
    seed : int, default=0
    step : float, default=2
        Sampling step, cm^-1.

    Returns
    -------
    shift, intensity : numpy.ndarray
    truth : dict
        ``id_ig_height`` and ``id_ig_area`` (D1/G) of the bands used.
    """
    bands = FIVE_BANDS if bands is None else bands
    x = np.arange(800.0, 2000.0 + step / 2, step)
    y = 80.0 + 0.03 * (x - 800.0)
    areas = {}
    for name, (c, w, h, shape) in bands.items():
        eta = 1.0 if shape == "lorentzian" else 0.0
        y = y + pseudo_voigt(x, h, c, w, eta)
        areas[name] = h * w * (np.pi / 2 if eta else 0.5 * np.sqrt(np.pi / np.log(2)))
    y = y + np.random.default_rng(seed).normal(0.0, noise, x.size)
    truth = {"id_ig_height": bands["D1"][2] / bands["G"][2], "id_ig_area": areas["D1"] / areas["G"]}
    return x, y, truth


def xrd_pattern(*, two_theta_002: float = 23.0, fwhm_002: float = 1.2, two_theta_100: float = 43.5,
                fwhm_100: float = 4.0, instrument_fwhm: float = 0.0, lp_weighted: bool = False,
                noise: float = 5.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A carbon pattern, 5-80 deg 2-theta: (002) and (100) pseudo-Voigts on a curved background.

    Parameters
    ----------
    two_theta_002, fwhm_002, two_theta_100, fwhm_100 : float
        Sample peak positions and FWHMs (degrees).
    instrument_fwhm : float, default=0
        Gaussian instrument FWHM added in quadrature to each peak's width.
    lp_weighted : bool, default=False
        Multiply by the Lorentz-polarization factor, as a diffractometer records.
    noise, seed
        Gaussian noise and its seed.

    Returns
    -------
    two_theta, intensity : numpy.ndarray
    """
    x = np.arange(5.0, 80.0, 0.02)
    w002 = float(np.hypot(fwhm_002, instrument_fwhm))
    w100 = float(np.hypot(fwhm_100, instrument_fwhm))
    peaks = pseudo_voigt(x, 1000.0, two_theta_002, w002, 0.0) + pseudo_voigt(x, 250.0, two_theta_100, w100, 0.0)
    if lp_weighted:
        from nacarbon.processing.xrd import lorentz_polarization

        peaks = peaks * lorentz_polarization(x) / lorentz_polarization(two_theta_002)
    y = 60.0 + 400.0 * np.exp(-x / 8.0) + peaks
    return x, y + np.random.default_rng(seed).normal(0.0, noise, x.size)


def hard_carbon_capacity(current_ma_g: float) -> float:
    """Desodiation capacity of the synthetic hard carbon: 300 mAh/g at 20 mA/g, 100 at 2000 (log-linear)."""
    return float(300.0 - 100.0 * np.log10(current_ma_g / 20.0))


LADDER_MA_G = (20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
SCHEDULE = ((100.0, 2), *((c, 2) for c in LADDER_MA_G), (100.0, 2), (20.0, 1))


def cycling_test(*, mass_mg: float = 2.5, ice_pct: float = 82.0, slope_fraction: float = 0.4,
                 schedule: tuple = SCHEDULE, points: int = 61) -> tuple[CyclingData, dict]:
    """A half-cell test: formation, a rate ladder and recovery, with exact answers.

    The discharge of a cycle of capacity Q runs linearly from 1.5 V to 0.1 V over the first
    ``slope_fraction`` of Q, then from 0.1 V to 0.01 V (the plateau); its charge returns the
    same capacity (cycle 1: ``ice_pct`` % of the discharge).

    Returns
    -------
    CyclingData
        In memory, with the mass.
    truth : dict
        ICE, capacity at 100 mA/g, plateau voltage, plateau capacity (of cycle 1) and the
        rate factor of the ladder's exact stage capacities.
    """
    from nacarbon.processing.rate import rate_factor

    g = mass_mg / 1000.0
    t, cur, volt, kind = [0.0], [0.0], [2.8], ["rest"]
    cycle = 0
    for current, n in schedule:
        for _ in range(n):
            cycle += 1
            q_rev = hard_carbon_capacity(current)
            q_dis = q_rev / (ice_pct / 100.0) if cycle == 1 else q_rev
            for sign, q_tot in ((-1, q_dis), (+1, q_rev)):
                q = np.linspace(0.0, q_tot, points)
                qs = slope_fraction * q_tot
                v_dis = np.where(q <= qs, 1.5 - 1.4 * q / qs, 0.1 - 0.09 * (q - qs) / (q_tot - qs))
                v = v_dis if sign < 0 else 0.01 + 1.49 * q / q_tot
                t0 = t[-1] + 60.0
                t.extend(t0 + q / current * 3600.0)
                cur.extend([sign * current * g] * points)
                volt.extend(v)
                kind.extend(["discharge" if sign < 0 else "charge"] * points)
                t.append(t[-1] + 30.0)
                cur.append(0.0)
                volt.append(v[-1])
                kind.append("rest")
    frame = normalize("<synthetic>", time_s=t, current_ma=cur, voltage_v=volt, step_type=np.array(kind))
    q1 = hard_carbon_capacity(schedule[0][0]) / (ice_pct / 100.0)
    ladder = [hard_carbon_capacity(c) for c in LADDER_MA_G]
    truth = {
        "ice_pct": ice_pct,
        "capacity_mah_g": hard_carbon_capacity(100.0),
        "plateau_v": slope_fraction * 0.8 + (1 - slope_fraction) * 0.055,
        "plateau_capacity_mah_g": (1 - slope_fraction) * q1,
        "rate_factor": rate_factor(np.array(LADDER_MA_G), np.array(ladder)).rate_factor,
    }
    return CyclingData(frame, mass_mg, "synthetic", "numpy", "<synthetic>"), truth


def records(data: CyclingData) -> pd.DataFrame:
    """The records with specific capacity and current, for writers of cycler exports."""
    g = data.grams()
    return data.frame.assign(capacity_mah_g=data.frame["capacity_mah"] / g, current_ma_g=data.frame["current_ma"] / g)
