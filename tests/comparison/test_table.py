"""The comparison table on synthetic fold metrics with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.comparison.markdown import comparison_markdown
from nacarbon.comparison.table import check_common_folds, comparison_table, significance_by_run, winners
from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.evaluation.significance import (BEATS, NO_GAIN, NOT_TESTED, SMALL_EFFECT, TEST_NAME,
                                               compare_with_baseline, holm)

N = 25  # 5 x 5 repeated folds: the least the significance rule accepts
rng = np.random.default_rng(0)
BASE_RMSE = 11.0 + rng.normal(0, 1.0, N)


def run_folds(target: str, model: str, rmse, base=BASE_RMSE, run_id=None) -> pd.DataFrame:
    n = len(rmse)
    return pd.DataFrame({"fold": range(n), "model_r2": np.linspace(0.1, 0.5, n), "model_rmse": rmse,
                         "model_mae": np.array(rmse) * 0.8, "baseline_r2": [-0.1] * n, "baseline_rmse": base[:n],
                         "baseline_mae": np.array(base[:n]) * 0.8, "n_train": 52, "n_test": 13, "target": target,
                         "model": model, "family": "tree", "complexity": 3, "search": "none",
                         "run_id": run_id or f"{target}-{model}"})


GOOD = BASE_RMSE - 3.0 + rng.normal(0, 0.3, N)     # better on every fold
NOISY = BASE_RMSE - 0.3 + rng.normal(0, 3.0, N)    # better on average, not reliably
BAD = BASE_RMSE + 1.5 + rng.normal(0, 0.3, N)


@pytest.fixture
def folds():
    return pd.concat([run_folds("ice", "good", GOOD), run_folds("ice", "noisy", NOISY), run_folds("ice", "bad", BAD),
                      run_folds("rate", "bad", BAD)], ignore_index=True)


def test_table_rows_baseline_and_the_one_rule(folds):
    table = comparison_table(folds, alpha=0.05)
    assert table["model"].tolist()[:4] == ["baseline", "good", "noisy", "bad"]
    assert table["model"].tolist()[4:] == ["baseline", "bad"]
    base = table.iloc[0]
    assert base["rmse_mean"] == pytest.approx(BASE_RMSE.mean())
    assert base["rmse_std"] == pytest.approx(BASE_RMSE.std(ddof=1))
    ice = table[(table["target"] == "ice") & (table["model"] != "baseline")].set_index("model")
    assert ice.loc["good", "delta_rmse"] == pytest.approx(GOOD.mean() - BASE_RMSE.mean())
    # The same numbers as the significance function on the per-split table, Holm across the three.
    per_split = pd.DataFrame({"family": np.repeat(["good", "noisy", "bad"], N), "split": np.tile(np.arange(N), 3),
                              "rmse": np.r_[GOOD, NOISY, BAD], "baseline_rmse": np.tile(BASE_RMSE, 3),
                              "n_train": 52, "n_test": 13})
    sig = compare_with_baseline(per_split, alpha=0.05).set_index("family")
    for col, ref in (("p_value", "p_raw"), ("p_adjusted", "p_adjusted"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
        np.testing.assert_allclose(ice.loc[["good", "noisy", "bad"], col], sig.loc[["good", "noisy", "bad"], ref])
    np.testing.assert_allclose(ice["p_adjusted"], holm(ice["p_value"].to_numpy()))
    assert ice["verdict"].to_dict() == {"good": BEATS, "noisy": NO_GAIN, "bad": NO_GAIN}
    assert ice.loc["good", "relative_gain"] == pytest.approx(-ice.loc["good", "delta_rmse"] / base["rmse_mean"])
    assert (ice["test"] == TEST_NAME).all()
    assert (ice["ci_low"] <= ice["delta_rmse"]).all() and (ice["delta_rmse"] <= ice["ci_high"]).all()


def test_significance_by_run_is_what_promotion_reads(folds):
    table = comparison_table(folds)
    by_run = significance_by_run(table).set_index("family")
    assert set(by_run.index) == {"ice-good", "ice-noisy", "ice-bad", "rate-bad"}
    assert by_run.loc["ice-good", "verdict"] == BEATS and by_run.loc["rate-bad", "verdict"] == NO_GAIN
    row = table[table["run_id"] == "ice-good"].iloc[0]
    assert by_run.loc["ice-good", "p_adjusted"] == row["p_adjusted"]


def test_too_few_splits_are_shown_but_not_tested():
    five = run_folds("ice", "good", GOOD[:5])
    table = comparison_table(five)
    row = table[table["model"] == "good"].iloc[0]
    assert np.isnan(row["p_adjusted"]) and row["verdict"] == NOT_TESTED
    assert row["test"].startswith("not tested: 5 splits < 25")
    md = comparison_markdown(table, winners(table), header={}, alpha=0.05)
    assert "**Not tested on ice**" in md


def test_winners_and_the_words_for_a_target_nobody_beats(folds):
    table = comparison_table(folds, alpha=0.05)
    best = winners(table)
    assert best == {"ice": ["good"], "rate": []}
    md = comparison_markdown(table, best, header={"dataset": "seed"}, alpha=0.05, missing=["plateau_voltage"])
    assert "**No model beats the mean baseline significantly on rate**" in md
    assert "Beating the mean baseline significantly on ice" in md and ": good." in md
    assert "Targets no model beats significantly: rate." in md
    assert "No finished training runs for plateau_voltage" in md
    assert "| baseline (training mean) |" in md and "ΔRMSE [95 % CI]" in md


def test_runs_on_different_folds_cannot_share_a_baseline(folds):
    shifted = BASE_RMSE.copy()
    shifted[-1] += 1
    other = run_folds("ice", "shifted", GOOD, base=shifted)
    with pytest.raises(NacarbonError, match="target 'ice': runs .* were scored on different folds"):
        check_common_folds(pd.concat([folds, other], ignore_index=True))


@pytest.mark.parametrize("alpha", [0.0, 1.5])
def test_bad_alpha(folds, alpha):
    with pytest.raises(ConfigError, match=rf"alpha={alpha} is not allowed: expected a number strictly between 0 and 1"):
        comparison_table(folds, alpha=alpha)


def test_significant_but_small_gain_is_its_own_verdict_shown_not_ranked():
    # 5 % below the baseline on every fold: as significant as it gets, smaller than the 10 % rule.
    small = run_folds("capacity", "small", BASE_RMSE * 0.95 + rng.normal(0, 0.05, N))
    table = comparison_table(small, alpha=0.05)
    row = table[table["model"] == "small"].iloc[0]
    assert row["p_adjusted"] < 1e-6 and row["verdict"] == SMALL_EFFECT
    assert row["relative_gain"] == pytest.approx(0.05, abs=0.01)
    assert winners(table) == {"capacity": ["small"]}          # may be champion: it is better than the mean
    md = comparison_markdown(table, winners(table), header={}, alpha=0.05)
    assert "**Small effect**" in md and "shown, not ranked" in md
    # With a lower relevance threshold the same numbers are relevant.
    assert comparison_table(small, min_effect=0.04).iloc[1]["verdict"] == BEATS
