"""The one significance rule: corrected t-test against the baseline, Holm across families."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nacarbon.evaluation.significance import (BEATS, NO_GAIN, NOT_TESTED, SIGNIFICANT, SMALL_EFFECT, TEST_NAME,
                                              Verdict, compare_with_baseline, corrected_ttest, holm,
                                              per_split_table, verdict_of)


def test_corrected_ttest_by_hand():
    d = np.array([-1.0, -2.0, 0.5, -1.5, -0.5])
    ratio = 0.25
    mean, var = d.mean(), d.var(ddof=1)          # -0.9, 0.925
    se = np.sqrt((1 / 5 + ratio) * var)          # sqrt(0.45 * 0.925)
    res = corrected_ttest(d, test_train_ratio=ratio)
    assert res["mean"] == pytest.approx(-0.9)
    assert res["se"] == pytest.approx(np.sqrt(0.45 * 0.925))
    assert res["t"] == pytest.approx(-0.9 / se)
    assert res["p"] == pytest.approx(stats.t.cdf(-0.9 / se, 4))
    q = stats.t.ppf(0.975, 4)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((-0.9 - q * se, -0.9 + q * se))


def test_without_correction_it_is_scipys_one_sample_ttest():
    d = np.random.default_rng(0).normal(-0.3, 1.0, 25)
    res = corrected_ttest(d, test_train_ratio=0.0)
    ref = stats.ttest_1samp(d, 0.0, alternative="less")
    assert res["p"] == pytest.approx(ref.pvalue)
    ci = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_correction_widens_the_interval_and_raises_p():
    d = np.random.default_rng(1).normal(-0.5, 1.0, 25)
    plain, corr = corrected_ttest(d, test_train_ratio=0.0), corrected_ttest(d, test_train_ratio=0.25)
    assert corr["p"] > plain["p"] and corr["ci_high"] - corr["ci_low"] > plain["ci_high"] - plain["ci_low"]


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 -> x3, x2, x1 = 0.03, 0.04, 0.04 (monotone)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, np.nan]) == pytest.approx([1.0, 1.0])


def _per_split(effects: dict[str, float], n: int = 25, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.uniform(9, 11, n)
    return pd.concat([pd.DataFrame({"family": f, "split": np.arange(n), "baseline_rmse": base,
                                    "rmse": base + e + rng.normal(0, 0.3, n), "n_train": 80, "n_test": 20})
                      for f, e in effects.items()], ignore_index=True)


def test_compare_with_baseline_flags_only_the_real_gain():
    out = compare_with_baseline(_per_split({"good": -2.0, "null": 0.0, "worse": 1.0}))
    by = out.set_index("family")
    assert list(out.columns)[:3] == ["family", "n_splits", "delta_rmse"]
    assert by.loc["good", "significant"] and not by.loc["null", "significant"] and not by.loc["worse", "significant"]
    assert by.loc["good", "ci_high"] < 0 < by.loc["worse", "ci_low"]
    assert (out["p_adjusted"] >= out["p_raw"]).all() and (out["test"] == TEST_NAME).all()
    # Holm over the three families, by hand
    assert out["p_adjusted"].to_numpy() == pytest.approx(holm(out["p_raw"].to_numpy()))


def test_alpha_is_configurable():
    table = _per_split({"weak": -0.12}, seed=3)
    p = compare_with_baseline(table)["p_adjusted"].iloc[0]
    assert compare_with_baseline(table, alpha=min(0.99, p * 1.01))["significant"].iloc[0]
    assert not compare_with_baseline(table, alpha=p * 0.99)["significant"].iloc[0]


def test_refuses_too_few_or_different_splits():
    with pytest.raises(ValueError, match=">= 25"):
        compare_with_baseline(_per_split({"a": -1.0}, n=5))
    table = _per_split({"a": -1.0, "b": -1.0})
    table.loc[table["family"] == "b", "n_test"] = 21
    with pytest.raises(ValueError, match="same splits"):
        compare_with_baseline(table)


def test_per_split_table_from_cv_results(seed_design):
    from omegaconf import OmegaConf

    from nacarbon.models.crossval import cross_validate
    from nacarbon.evaluation.splits import RepeatedGroupKFold

    X, y, groups = seed_design
    cfg = OmegaConf.create({"name": "ridge", "scale": True, "estimator": {"_target_": "sklearn.linear_model.Ridge"}})
    splitter = RepeatedGroupKFold(n_splits=5, n_repeats=5, random_state=0)
    cv = cross_validate(cfg, X, y, groups, splitter)
    table = per_split_table({"ridge": cv}, len(y))
    assert len(table) == 25 and (table["n_train"] + table["n_test"] == len(y)).all()
    out = compare_with_baseline(table)
    assert out["delta_rmse"].iloc[0] == pytest.approx(np.mean([f["rmse"] - b["rmse"]
                                                               for f, b in zip(cv.per_fold, cv.baseline_per_fold)]))


@pytest.fixture
def seed_design():
    from nacarbon.data.design import make_design
    from nacarbon.data.io import load_dataset
    from nacarbon.paths import project_root

    frame = load_dataset("seed", [project_root() / "data" / "liu2022_tables.csv"]).frame
    d = make_design(frame, features=["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"], target="ice_pct")
    return d.X, d.y, d.groups


def test_per_split_from_logged_folds_matches_per_split_table():
    from nacarbon.evaluation.significance import per_split_from_folds

    table = _per_split({"a": -1.0, "b": 0.0})
    logged = table.rename(columns={"family": "model", "split": "fold", "rmse": "model_rmse"})
    back = per_split_from_folds(logged)
    pd.testing.assert_frame_equal(compare_with_baseline(back), compare_with_baseline(table))
    with pytest.raises(ValueError, match="retrain"):
        per_split_from_folds(logged.drop(columns=["n_test"]))


@pytest.mark.parametrize("delta, p, tested, name", [
    (-1.5, 0.001, True, BEATS),          # 15 % of a baseline RMSE of 10, significant
    (-0.7, 1e-6, True, SMALL_EFFECT),    # significant, 7 % (capacity's case)
    (-1.5, 0.2, True, NO_GAIN),          # large but not significant
    (0.3, 0.001, True, NO_GAIN),         # worse than the baseline is never a gain
    (-1.5, float("nan"), False, NOT_TESTED),
])
def test_one_verdict_joins_significance_and_relevance(delta, p, tested, name):
    v = Verdict(delta, 10.0, p, tested=tested)
    assert v.name == name
    assert v.ranked == (name == BEATS)
    assert v.significant == (name in SIGNIFICANT)
    assert v.relative_gain == pytest.approx(-delta / 10.0)
    if name in SIGNIFICANT:
        assert f"{-delta / 10:.0%} of the baseline's RMSE" in v.sentence()
    assert ("not ranked" in v.sentence()) == (name == SMALL_EFFECT)


def test_relevance_threshold_is_a_fraction_of_the_baseline_rmse():
    assert Verdict(-0.99, 10.0, 0.001).name == SMALL_EFFECT
    assert Verdict(-1.0, 10.0, 0.001).name == BEATS
    assert Verdict(-0.99, 10.0, 0.001, min_effect=0.05).name == BEATS
    assert verdict_of("beats-baseline") == BEATS and verdict_of("") == NOT_TESTED and verdict_of("yes") == NOT_TESTED


def test_compare_with_baseline_names_the_verdict_of_each_family():
    rng = np.random.default_rng(3)
    base = rng.uniform(9, 11, 25)
    rows = [pd.DataFrame({"family": f, "split": np.arange(25), "rmse": base * k + rng.normal(0, 0.02, 25),
                          "baseline_rmse": base, "n_train": 80, "n_test": 20})
            for f, k in (("large", 0.8), ("small", 0.95), ("none", 1.0))]
    out = compare_with_baseline(pd.concat(rows, ignore_index=True)).set_index("family")
    assert out["verdict"].to_dict() == {"large": BEATS, "small": SMALL_EFFECT, "none": NO_GAIN}
    assert out.loc["large", "baseline_rmse"] == pytest.approx(base.mean())
    assert out.loc["small", "relative_gain"] == pytest.approx(0.05, abs=0.005)
    assert bool(out.loc["small", "significant"]) and not bool(out.loc["small", "relevant"])
