"""The comparison table on synthetic fold metrics with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.comparison.markdown import comparison_markdown
from nacarbon.comparison.table import check_common_folds, comparison_table, holm, winners
from nacarbon.errors import ConfigError, NacarbonError
from nacarbon.evaluation.baseline import paired_rmse_test

BASE_RMSE = [10.0, 12.0, 9.0, 11.0, 13.0]


def run_folds(target: str, model: str, rmse: list[float], base=BASE_RMSE, run_id=None) -> pd.DataFrame:
    n = len(rmse)
    return pd.DataFrame({"fold": range(n), "model_r2": np.linspace(0.1, 0.5, n), "model_rmse": rmse,
                         "model_mae": np.array(rmse) * 0.8, "baseline_r2": [-0.1] * n, "baseline_rmse": base,
                         "baseline_mae": np.array(base) * 0.8, "target": target, "model": model, "family": "tree",
                         "complexity": 3, "search": "none", "run_id": run_id or f"{target}-{model}"})


@pytest.fixture
def folds():
    return pd.concat([
        run_folds("ice", "good", [7.0, 8.5, 6.0, 8.0, 9.0]),         # better on every fold
        run_folds("ice", "noisy", [9.0, 13.0, 8.0, 12.0, 12.0]),      # better on average, not reliably
        run_folds("ice", "bad", [12.0, 14.0, 10.0, 13.0, 15.0]),
        run_folds("rate", "bad", [12.0, 14.0, 10.0, 13.0, 15.0]),
    ], ignore_index=True)


def test_holm_known_answer():
    np.testing.assert_allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(holm(np.array([0.5, np.nan])), [1.0, 1.0])


def test_table_rows_and_baseline(folds):
    table = comparison_table(folds, alpha=0.05)
    assert table["model"].tolist() == ["baseline", "good", "noisy", "bad", "baseline", "bad"]
    base = table.iloc[0]
    assert base["rmse_mean"] == pytest.approx(np.mean(BASE_RMSE))
    assert base["rmse_std"] == pytest.approx(np.std(BASE_RMSE, ddof=1))
    assert base["r2_mean"] == pytest.approx(-0.1)
    good = table[(table["target"] == "ice") & (table["model"] == "good")].iloc[0]
    assert good["rmse_mean"] == pytest.approx(7.7)
    assert good["delta_rmse"] == pytest.approx(7.7 - 11.0)
    raw = [paired_rmse_test(r, BASE_RMSE) for r in ([7.0, 8.5, 6.0, 8.0, 9.0], [9.0, 13.0, 8.0, 12.0, 12.0],
                                                    [12.0, 14.0, 10.0, 13.0, 15.0])]
    ice = table[(table["target"] == "ice") & (table["model"] != "baseline")]
    np.testing.assert_allclose(ice["p_value"], raw)
    np.testing.assert_allclose(ice["p_adjusted"], holm(np.array(raw)))
    assert ice["beats_baseline_significantly"].tolist() == [True, False, False]


def test_winners_and_the_words_for_a_target_nobody_beats(folds):
    table = comparison_table(folds, alpha=0.05)
    best = winners(table)
    assert best == {"ice": ["good"], "rate": []}
    md = comparison_markdown(table, best, header={"dataset": "seed"}, alpha=0.05, correction="holm",
                             missing=["plateau"])
    assert "**No model beats the mean baseline significantly on rate**" in md
    assert "Beating the mean baseline significantly on ice" in md and ": good." in md
    assert "Targets no model beats significantly: rate." in md
    assert "No finished training runs for plateau" in md
    assert "| baseline (training mean) |" in md


def test_without_correction_raw_p_values_decide(folds):
    table = comparison_table(folds, alpha=0.05, correction="none")
    ice = table[(table["target"] == "ice") & (table["model"] != "baseline")]
    np.testing.assert_allclose(ice["p_adjusted"], ice["p_value"])


def test_runs_on_different_folds_cannot_share_a_baseline(folds):
    other = run_folds("ice", "shifted", [7.0] * 5, base=[10.0, 12.0, 9.0, 11.0, 14.0])
    with pytest.raises(NacarbonError, match="target 'ice': runs .* were scored on different folds"):
        check_common_folds(pd.concat([folds, other], ignore_index=True))


@pytest.mark.parametrize("kwargs", [{"alpha": 0.0}, {"alpha": 1.5}, {"correction": "bonferroni"}])
def test_bad_settings(folds, kwargs):
    with pytest.raises(ConfigError):
        comparison_table(folds, **kwargs)
