"""ICE, capacity, plateau, plateau capacity and the rate ladder against a synthetic test with known answers."""

from __future__ import annotations

import pytest

from nacarbon.errors import ProcessingError
from nacarbon.processing.electrochem import analyze_cycling
from benchmarks.synthetic import cycling_test


def test_every_quantity_matches_the_truth():
    data, truth = cycling_test()
    result = analyze_cycling(data)
    for name in ("ice_pct", "capacity_mah_g", "plateau_v", "plateau_capacity_mah_g", "rate_factor"):
        assert result.value(name) == pytest.approx(truth[name], rel=1e-6), name
    # recovery (100, 20 mA/g after 2 A/g) and the conditioning cycle 2 are not in the ladder
    assert result.value("rate_ladder_ma_g") == "20 50 100 200 500 1000 2000"
    assert 0.06 <= result.value("rate_factor") <= 1.2
    assert result.warnings == ()


def test_plateau_window_and_cycle_are_applied():
    data, _ = cycling_test(slope_fraction=0.5)
    # cycle 3 (20 mA/g, 300 mAh/g): only the plateau, 0.1 -> 0.01 V, averages 0.055 V
    result = analyze_cycling(data, plateau_cycle=3, plateau_v_range=(0.01, 0.1))
    assert result.value("plateau_v") == pytest.approx(0.055, rel=1e-6)
    assert result.value("plateau_range_v") == "0.01-0.1"


def test_one_current_only_is_refused_with_the_file():
    data, _ = cycling_test(schedule=((100.0, 4),))
    with pytest.raises(ProcessingError, match=r"<synthetic>: one current only after cycle 1"):
        analyze_cycling(data)
    assert analyze_cycling(data, rate=False).value("ice_pct") == pytest.approx(82.0)


def test_wrong_mass_is_caught_by_the_reference_current():
    data, _ = cycling_test()
    with pytest.raises(ProcessingError, match="no cycle at 100 mA/g"):
        analyze_cycling(data.with_mass(3.3))  # currents x0.76: none at 100 mA/g
