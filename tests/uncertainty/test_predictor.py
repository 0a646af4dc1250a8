"""SamplePredictor: the columns it answers, and the schema's refusal of impossible rows."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.ensemble import ExtraTreesRegressor

from nacarbon.errors import DataValidationError
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.predictor import SamplePredictor, physical_bounds

FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c"]
ROW = {"d002_nm": 0.38, "la_nm": 2.5, "lc_nm": 1.1, "id_ig": 1.0, "ssa_m2_g": 40.0, "htt_c": 1300.0,
       "material_class": "hard", "note": "kept"}


@pytest.fixture(scope="module")
def predictor(seed):
    reg = GroupConformalRegressor(ExtraTreesRegressor(n_estimators=30, random_state=0))
    return SamplePredictor("ice", "ice_pct", FEATS, regressor=reg).fit(seed)


def test_bounds_come_from_the_schema():
    assert physical_bounds("ice_pct") == (0.0, 100.0)


def test_answers_interval_domain_and_neighbours(predictor, seed):
    out = predictor.predict_frame(pd.DataFrame([ROW, ROW]))
    assert (out["lo_ice"] <= out["hi_ice"]).all() and out["hi_ice"].max() <= 100
    assert out["note"].tolist() == ["kept", "kept"]          # extra columns pass through
    assert out["nearest1_sample_id"].isin(seed["sample_id"]).all()
    assert out["nearest1_paper_id"].str.len().gt(0).all()
    assert (out["nearest1_distance"] <= out["nearest2_distance"]).all()
    assert out["in_domain"].dtype == bool and "in_domain = score <= 1" in predictor.describe()


@pytest.mark.parametrize("field, value, words", [
    ("d002_nm", 3.8, "Angstrom"), ("ssa_m2_g", -20.0, "ssa_range"), ("la_nm", "big", "must be a number"),
    ("material_class", "graphene", "material_class"),
])
def test_refuses_impossible_rows_with_the_schema_message(predictor, field, value, words):
    bad = pd.DataFrame([ROW, {**ROW, field: value}])
    with pytest.raises(DataValidationError, match=words) as err:
        predictor.predict_frame(bad, source="mine.csv")
    assert "mine.csv" in str(err.value) and "row 2" in str(err.value) and field in str(err.value)


def test_missing_feature_column_is_named(predictor):
    with pytest.raises(DataValidationError, match="htt_c.*required column is missing"):
        predictor.predict_frame(pd.DataFrame([ROW]).drop(columns="htt_c"))


def test_intervals_widen_with_domain_distance_and_stay_clipped(predictor):
    """Samples further from the training data (higher domain score) get wider intervals, never beyond 0-100 %."""
    near = dict(ROW)
    mid = {**ROW, "ssa_m2_g": 400.0, "la_nm": 4.5}
    far = {**ROW, "ssa_m2_g": 2500.0, "la_nm": 9.0, "lc_nm": 4.0, "id_ig": 2.5}
    out = predictor.predict_frame(pd.DataFrame([near, mid, far]))
    width = (out["hi_ice"] - out["lo_ice"]).to_numpy()
    score = out["domain_score"].to_numpy()
    assert score[0] < score[1] < score[2] and not out["in_domain"].iloc[2]
    assert width[0] < width[1] < width[2]
    assert out["lo_ice"].min() >= 0 and out["hi_ice"].max() <= 100


def test_fit_groups_by_paper_id(predictor, seed):
    assert predictor.group_column_ == "paper_id"
    assert len(set(predictor.train_groups_)) < len(predictor.train_groups_)
