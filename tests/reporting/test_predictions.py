"""The Markdown summary ``predict`` writes next to its output (nacarbon.reporting.predictions)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from nacarbon.reporting.predictions import TargetCheck, summary_markdown


def _champion() -> SimpleNamespace:
    predictor = SimpleNamespace(describe=lambda: "A whole predictor.")
    return SimpleNamespace(tags={"model": "extra_trees", "data_version": "abc123"}, version=3, run_id="r1",
                           predictor=predictor)


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame({"sample_id": ["a", "b", "c"], "pred_ice": [80.1234, 81.5, np.nan], "lo_ice": [70.0, 71, 72],
                         "hi_ice": [90.0, 91, 92], "domain_score_ice": [0.5, 1.2, 0.1],
                         "in_domain_ice": [True, False, True]})


def _check(**kwargs) -> TargetCheck:
    return TargetCheck("ice", "ice_pct", "ICE", "%", _champion(), **kwargs)


def test_models_columns_and_preview_are_described(table):
    md = summary_markdown(Path("in/mine.csv"), Path("out/pred.csv"), table, [_check()], lab_calibration=True)
    assert md.startswith("# Predictions for `mine.csv` (3 samples) -> `pred.csv`\n")
    assert "- `ice` (ICE, %): nacarbon-ice v3 (extra_trees, data version abc123, run r1); 2 of 3 samples" in md
    assert "- `ice`: A whole predictor. Per target the columns are suffixed `_ice`" in md
    assert "## Check against your measured values" not in md            # nothing measured
    assert "no lab offset was estimated" in md
    assert "| a | 80.12 | 70 | 90 | 0.5 |" in md and "## Predictions (first 20 rows)" in md


def test_the_lab_check_and_offset_are_tables(table):
    check = _check(check={"n": 2, "r2": 0.5, "rmse": 3.21, "mae": 2.1, "coverage": 0.9, "mean_width": float("nan")},
                   offset={"offset": 1.5, "sd": 0.4, "n": 2, "tau2": 3.0, "sigma2": 5.0},
                   conditions={"filters": {"electrolyte": ["ester"]}, "n_outside": 1})
    md = summary_markdown(Path("mine.csv"), Path("pred.csv"), table, [check], lab_calibration=True)
    assert "| target | n | R² | RMSE | MAE | interval coverage | mean width |\n|---|---|---|---|---|---|---|\n" \
           "| ice | 2 | 0.5 | 3.21 | 2.1 | 0.9 | – |\n" in md
    assert "| ice | 2 | +1.5 | 0.4 | 3 | 5 |\n" in md and "after the lab offset)" in md
    assert "1 sample(s) with another value are left unanswered" in md


def test_calibration_turned_off_says_so(table):
    md = summary_markdown(Path("mine.csv"), Path("pred.csv"), table, [_check(offset={})], lab_calibration=False)
    assert "Off (`lab_calibration=false`): every prediction is the model's own." in md
