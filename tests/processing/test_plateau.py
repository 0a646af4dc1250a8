"""Average discharge voltage, integral(V dQ) / delta Q, against hand-integrated curves."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing import average_voltage


def _hard_carbon_discharge(step=1.0):
    # slope region 1.2 V -> 0.1 V over 0-150 mAh/g, then plateau 0.1 V -> 0.01 V over 150-300 mAh/g;
    # breakpoints fall on samples, so the trapezoid rule is exact
    q = np.arange(0.0, 300.0 + step, step)
    v = np.where(q <= 150.0, 1.2 - (1.1 / 150.0) * q, 0.1 - (0.09 / 150.0) * (q - 150.0))
    return q, v


def test_whole_curve_matches_hand_integral():
    # slope: (1.2 + 0.1) / 2 * 150 = 97.5; plateau: (0.1 + 0.01) / 2 * 150 = 8.25
    # average = (97.5 + 8.25) / 300 = 0.3525 V
    result = average_voltage(*_hard_carbon_discharge())
    assert result.average_voltage_v == pytest.approx(0.3525, abs=1e-9)
    assert result.delta_q_mah_g == pytest.approx(300.0)


def test_voltage_window_is_cut_by_interpolation():
    # with 2.5 mAh/g steps neither cut-off falls on a sample:
    # v_max = 1.0 V is crossed at Q = 0.2 / (1.1 / 150) = 27.2727 (between 25 and 27.5);
    #   slope part (1.0 + 0.1) / 2 * (150 - 27.2727) = 67.5
    # v_min = 0.05 V is crossed at Q = 150 + 0.05 / (0.09 / 150) = 233.3333 (between 232.5 and 235);
    #   plateau part (0.1 + 0.05) / 2 * (233.3333 - 150) = 6.25
    # average = (67.5 + 6.25) / (233.3333 - 27.2727) = 73.75 / 206.0606 = 0.357904 V
    result = average_voltage(*_hard_carbon_discharge(step=2.5), v_max=1.0, v_min=0.05)
    assert result.q_start_mah_g == pytest.approx(27.2727, abs=1e-4)
    assert result.q_end_mah_g == pytest.approx(233.3333, abs=1e-4)
    assert result.average_voltage_v == pytest.approx(0.357904, abs=1e-6)


def test_flat_plateau_averages_to_its_voltage():
    # 0.08 V from 0 to 225 mAh/g, then a linear drop to 0.05 V at 250 mAh/g:
    # (0.08 * 225 + (0.08 + 0.05) / 2 * 25) / 250 = (18 + 1.625) / 250 = 0.0785 V
    q = [0.0, 75.0, 150.0, 225.0, 250.0]
    v = [0.08, 0.08, 0.08, 0.08, 0.05]
    assert average_voltage(q, v).average_voltage_v == pytest.approx(0.0785)
    assert average_voltage(q, v, v_min=0.08).average_voltage_v == pytest.approx(0.08)


@pytest.mark.parametrize(
    ("q", "v", "kwargs", "message"),
    [
        ([0.0, 100.0, 90.0, 200.0], [1.0, 0.5, 0.4, 0.1], {}, "capacity decreases"),
        ([0.0, 100.0, 200.0], [0.1, 0.5, 1.0], {}, "not a discharge"),
        ([0.0, 100.0, 200.0], [1.0, 0.5, 0.1], {"v_max": 0.05}, "never falls"),
        ([0.0, 100.0, 200.0], [1.0, 0.5, 0.1], {"v_max": 0.3, "v_min": 0.5}, "below v_max"),
        ([0.0, 100.0], [1.0], {}, "equal length"),
    ],
)
def test_invalid_curves_are_refused(q, v, kwargs, message):
    with pytest.raises(ProcessingError, match=message):
        average_voltage(q, v, **kwargs)
