"""Rate factor: reciprocal of the (negative) capacity-vs-current slope, units explicit."""

from __future__ import annotations

import numpy as np
import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing import rate_factor


def test_three_collinear_points_match_hand_value():
    # 300 mAh/g at 0.1 A/g, 200 at 1.05 A/g, 100 at 2.0 A/g:
    # slope = (100 - 300) / (2.0 - 0.1) = -200 / 1.9 = -105.263 (mAh/g)/(A/g)
    # rate factor = 1.9 / 200 = 0.0095 (A/g)/(mAh/g)
    result = rate_factor([100.0, 1050.0, 2000.0], [300.0, 200.0, 100.0], per="A/g")
    assert result.slope_mah_g == pytest.approx(-105.263, abs=1e-3)
    assert result.rate_factor == pytest.approx(0.0095, rel=1e-12)
    assert result.intercept_mah_g == pytest.approx(310.526, abs=1e-3)
    assert result.r2 == pytest.approx(1.0)
    assert result.n == 3
    assert result.per == "A/g"


def test_per_ma_g_is_a_thousand_times_larger():
    currents, capacities = [100.0, 1050.0, 2000.0], [300.0, 200.0, 100.0]
    per_a = rate_factor(currents, capacities, per="A/g").rate_factor
    per_ma = rate_factor(currents, capacities, per="mA/g").rate_factor
    assert per_ma == pytest.approx(1000.0 * per_a)  # 1900 mA/g / 200 mAh/g = 9.5


def test_noisy_linear_rate_test_recovers_the_slope():
    # truth: capacity = 300 - 50 * I[A/g], so the rate factor is 1/50 = 0.02 (A/g)/(mAh/g);
    # the test ends back at 0.1 A/g, as real rate tests do
    current = np.array([100, 200, 500, 1000, 2000, 100, 100, 200, 500, 1000, 2000, 100], dtype=float)
    capacity = 300.0 - 0.05 * current + np.random.default_rng(0).normal(0.0, 1.0, current.size)
    result = rate_factor(current, capacity, per="A/g")
    assert result.rate_factor == pytest.approx(0.02, rel=0.02)
    assert 0.99 < result.r2 < 1.0
    assert result.n == 12


def test_flatter_curve_gives_higher_rate_factor():
    current = [100.0, 500.0, 1000.0, 2000.0]
    steep = rate_factor(current, [300.0, 240.0, 170.0, 60.0]).rate_factor
    flat = rate_factor(current, [300.0, 290.0, 280.0, 260.0]).rate_factor
    assert flat > steep > 0


@pytest.mark.parametrize(
    ("current", "capacity", "message"),
    [
        ([100.0, 500.0, 1000.0], [200.0, 210.0, 230.0], "does not fall"),
        ([100.0, 500.0, 1000.0], [200.0, 200.0, 200.0], "does not fall"),
        ([100.0, 500.0], [300.0, 200.0], "at least 3 points"),
        ([100.0, 100.0, 100.0], [300.0, 290.0, 295.0], "2 or more currents"),
        ([100.0, np.nan, 1000.0], [300.0, 200.0, 100.0], "finite"),
        ([-100.0, 500.0, 1000.0], [300.0, 200.0, 100.0], "negative"),
        ([100.0, 500.0, 1000.0], [300.0, 200.0], "equal length"),
    ],
)
def test_undefined_rate_factors_are_refused(current, capacity, message):
    with pytest.raises(ProcessingError, match=message):
        rate_factor(current, capacity)


def test_default_is_per_100_ma_g_ten_times_per_a_g():
    currents, capacities = [100.0, 1050.0, 2000.0], [300.0, 200.0, 100.0]
    result = rate_factor(currents, capacities)
    assert result.per == "100mA/g"
    # 1.9 A/g = 19 units of 100 mA/g over 200 mAh/g = 0.095
    assert result.rate_factor == pytest.approx(0.095)


def test_typical_hard_carbon_ladder_falls_in_table_1_range():
    # 300 -> 100 mAh/g over 0.02 -> 2 A/g, log-linear: 300 - 100 log10(I / 20 mA/g)
    from nacarbon.processing.rate import TABLE1_RANGE, scale_warning

    current = np.array([20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0])
    capacity = 300.0 - 100.0 * np.log10(current / 20.0)
    value = rate_factor(current, capacity).rate_factor
    assert TABLE1_RANGE[0] <= value <= TABLE1_RANGE[1]
    assert value == pytest.approx(0.1167, abs=1e-4)
    assert scale_warning(value, "100mA/g") is None
    per_a = rate_factor(current, capacity, per="A/g").rate_factor
    assert "Table 1's scale" in scale_warning(per_a, "A/g")
    assert "outside Table 1" in scale_warning(value / 10, "100mA/g")
