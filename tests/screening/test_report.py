"""The screening report's note on intervals names each champion's own calibration."""

from __future__ import annotations

from types import SimpleNamespace

from nacarbon.screening.report import interval_note


def _champion(paper_share):
    regressor = SimpleNamespace(alpha=0.1, difficulty="knn", fold_models_=[object()] * 5, paper_share=paper_share)
    return SimpleNamespace(predictor=SimpleNamespace(regressor=regressor, bounds=(0.0, 100.0)))


def test_the_note_says_when_a_champion_is_calibrated_per_lab():
    lines = interval_note({"ice": _champion(0.7), "capacity": _champion(None)})
    assert "calibrated per lab" in lines[0]
    assert lines[1] == ("- `ice`: conformal interval covering at least 70% of a new lab's samples with probability 90% "
                        "(difficulty=knn, 5 paper-grouped folds), range (0.0, 100.0)")
    assert lines[2] == "- `capacity`: 90% conformal interval (difficulty=knn, 5 paper-grouped folds), range (0.0, 100.0)"
