"""One encoding of the categorical conditions: training, predict and screen see the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.data.design import CATEGORY_CODES, DERIVED_FROM, add_derived, encode_category, make_design
from nacarbon.data.io import read_table
from nacarbon.errors import ConfigError
from nacarbon.paths import project_root
from nacarbon.screening.grid import condition_axes, grid_chunk, grid_values
from nacarbon.uncertainty.predictor import build_features, check_input

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c", "is_soft", "is_ether", "current_ma_g"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    """Three literature rows: an ether cell, an ester cell and the one whose electrolyte nobody reported."""
    table = read_table(project_root() / "data" / "literature_583.csv")
    picked = [table[table.electrolyte == "ether"].index[0], table[table.electrolyte == "ester"].index[0],
              table[table.electrolyte.isna()].index[0]]
    return table.loc[picked].reset_index(drop=True)


def test_codes_and_unknown_is_missing_not_zero():
    frame = pd.DataFrame({"electrolyte": ["ether", "ester", None, "carbonate"], "material_class": ["soft", "hard",
                                                                                                  None, "hard"]})
    np.testing.assert_array_equal(encode_category(frame, "is_ether"), [1.0, 0.0, np.nan, np.nan])
    np.testing.assert_array_equal(encode_category(frame, "is_soft"), [1.0, 0.0, np.nan, 0.0])
    assert encode_category(frame.drop(columns="electrolyte"), "is_ether").isna().all()
    assert DERIVED_FROM == {"is_soft": "material_class", "is_ether": "electrolyte"}


def test_training_predict_and_screen_encode_a_row_alike(rows):
    training = make_design(rows, features=FEATURES, target="ice_pct").X
    predict = build_features(check_input(rows.drop(columns=["is_ether", "is_soft"], errors="ignore"), FEATURES),
                             FEATURES)[FEATURES].astype(float)
    pd.testing.assert_frame_equal(training, predict)
    assert training["is_ether"].tolist()[:2] == [1.0, 0.0] and np.isnan(training["is_ether"].iloc[2])
    for _, row in rows.iloc[:2].iterrows():  # screen states known conditions only
        spec = {"d002_nm": {"values": [row.d002_nm]},
                **condition_axes({"electrolyte": row.electrolyte, "material_class": row.material_class})}
        screened = grid_chunk(grid_values(spec), 0, 1).iloc[0]
        encoded = add_derived(rows.iloc[[_]], ["is_ether", "is_soft"]).iloc[0]
        assert (screened["is_ether"], screened["is_soft"]) == (encoded["is_ether"], encoded["is_soft"])


def test_screen_refuses_a_condition_outside_the_codes():
    with pytest.raises(ConfigError, match=r"screen.conditions.electrolyte='unknown'.*allowed: \['ester', 'ether'\]"):
        condition_axes({"electrolyte": "unknown"})
    assert set(CATEGORY_CODES["is_ether"][1]) == {"ester", "ether"}
