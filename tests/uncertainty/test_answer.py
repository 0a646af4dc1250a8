"""A target's conditions in the answer to a lab's file."""

import pandas as pd
import pytest

from nacarbon.uncertainty.answer import outside_conditions


def test_outside_conditions_names_the_value_and_answers_rows_that_do_not_say():
    frame = pd.DataFrame({"electrolyte": ["ester", "ether", None, ""], "material_class": ["hard"] * 4})
    reasons = outside_conditions(frame, {"electrolyte": ["ester"], "material_class": ["hard", "soft"]})
    assert reasons.tolist() == ["", "electrolyte ether is not ester", "", ""]
    assert (outside_conditions(frame.drop(columns="electrolyte"), {"electrolyte": ["ester"]}) == "").all()
    assert (outside_conditions(frame, None) == "").all()


def test_conditions_read_as_words():
    from nacarbon.uncertainty.answer import describe_conditions

    assert describe_conditions({"electrolyte": ["ester"], "material_class": ["hard", "soft"]}) == \
        "electrolyte ester; material_class hard or soft"


def test_lab_calibration_uses_the_trend_when_the_champion_knows_htt_and_ssa():
    import numpy as np

    from nacarbon.uncertainty.answer import calibrate_to_lab, lab_prior

    rng = np.random.default_rng(0)
    g = np.repeat([f"p{i}" for i in range(80)], 5)
    htt = rng.choice([900.0, 1100.0, 1300.0, 1500.0], len(g))
    x = htt / 100 - pd.Series(htt / 100).groupby(g).transform("mean").to_numpy()
    y_pred = rng.normal(75, 5, len(g))
    y_true = y_pred + rng.normal(0, 4, 80)[np.arange(len(g)) // 5] + rng.normal(2, 1, 80)[np.arange(len(g)) // 5] * x
    sample = [f"s{i}" for i in range(len(g))]
    oof = pd.DataFrame({"sample_id": sample, "paper_id": g, "y_true": y_true, "y_pred": y_pred})
    training = pd.DataFrame({"sample_id": sample, "htt_c": htt, "ssa_m2_g": rng.uniform(5, 50, len(g))})
    prior = lab_prior(oof, training, trend="auto")
    assert prior is not None and prior.slope[0] == pytest.approx(2.0, abs=0.4)
    assert lab_prior(oof, training.drop(columns="htt_c"), trend="auto") is None  # a champion without HTT: offset only
    assert lab_prior(oof, training, trend="never") is None  # the target's switch: offset only
    out = pd.DataFrame({"htt_c": ["900", "1100", "1300", "1500"], "ssa_m2_g": ["20"] * 4,
                        "pred_ice": 70.0, "lo_ice": 60.0, "hi_ice": 80.0})
    measured = pd.Series([62.0, 66.0, np.nan, np.nan])
    done = calibrate_to_lab(out, "ice", measured, tau2=16.0, sigma2=4.0, bounds=(0, 100), prior=prior)
    # the lab sits low and rises with HTT: its unmeasured hotter samples are predicted higher than its measured ones
    assert done["pred_ice"].iloc[3] > done["pred_ice"].iloc[2] > done["pred_ice"].iloc[0]
    assert (done["pred_ice_uncalibrated"] == 70.0).all() and "model_prediction" not in done
    assert np.allclose(done["hi_ice"] - done["lo_ice"], 20.0)
    plain = calibrate_to_lab(out, "ice", measured, tau2=16.0, sigma2=4.0, bounds=(0, 100))
    assert plain["pred_ice"].nunique() == 1 and "lab_trend_ice" not in plain


def test_trend_switch_is_read_from_each_target_config_and_checked():
    from nacarbon.errors import ConfigError
    from nacarbon.targets import TRENDS, load_target
    from nacarbon.uncertainty.answer import lab_prior

    modes = {t: load_target(t).lab_calibration["trend"] for t in ("ice", "capacity", "plateau_capacity", "plateau_voltage", "rate")}
    assert set(modes.values()) <= set(TRENDS) and modes["capacity"] == "never" and modes["ice"] == "auto"
    with pytest.raises(ConfigError, match="lab_calibration.trend"):
        lab_prior(pd.DataFrame(), None, trend="maybe")
