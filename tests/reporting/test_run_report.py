"""The run report: the one verdict per target, pooled R² over repeats, tuned vs untuned per family."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from nacarbon.comparison.table import comparison_table
from nacarbon.reporting.run_report import tuning_rows, write_run_report

N = 25
rng = np.random.default_rng(0)
BASE = 10.0 + rng.normal(0, 0.5, N)


def folds(target, model, search, rmse, run_id):
    return pd.DataFrame({"fold": range(N), "model_r2": 0.5, "model_rmse": rmse, "model_mae": rmse * 0.8,
                         "baseline_r2": -0.05, "baseline_rmse": BASE, "baseline_mae": BASE * 0.8, "n_train": 500,
                         "n_test": 125, "target": target, "model": model, "family": "tree", "complexity": 4,
                         "search": search, "run_id": run_id})


def state_and_plan(tmp_path):
    table = comparison_table(pd.concat([
        folds("ice", "extra_trees", "none", BASE * 0.6 + rng.normal(0, 0.05, N), "ice-et"),
        folds("ice", "ridge", "none", BASE * 0.8 + rng.normal(0, 0.05, N), "ice-ridge"),
        folds("capacity", "extra_trees", "none", BASE * 0.95 + rng.normal(0, 0.02, N), "cap-et"),
        folds("capacity", "extra_trees", "optuna", BASE * 0.94 + rng.normal(0, 0.02, N), "cap-et-tuned"),
    ], ignore_index=True))
    plan = OmegaConf.create({"cv": "repeated", "significance": {"alpha": 0.05}, "targets": {
        "ice": {"dataset": "merged", "features": "rich", "families": ["extra_trees", "ridge"], "tuned": []},
        "capacity": {"dataset": "merged", "features": "rich", "families": ["extra_trees"], "tuned": ["extra_trees"]}}})
    metrics = {"n_rows": 634, "n_sources": 278, "r2_pooled": 0.70, "r2_pooled_std": 0.007, "rmse_pooled": 8.1}
    train = {("main", t, m, s): metrics for t, m, s in [("ice", "extra_trees", "none"), ("ice", "ridge", "none"),
                                                         ("capacity", "extra_trees", "none"),
                                                         ("capacity", "extra_trees", "optuna")]}
    state = {"compare": {"main": [SimpleNamespace(table=table, out_dir=tmp_path / "cmp")]}, "train": train,
             "timings": {"train": 1.0}}
    return state, plan


def test_report_gives_verdicts_pooled_r2_and_tuned_vs_untuned(tmp_path):
    state, plan = state_and_plan(tmp_path)
    cfg = OmegaConf.create({"paths": {"experiments_dir": str(tmp_path)}, "search_preset": "optuna",
                            "search_overrides": ["search.n_trials=3"], "seed": 42, "promote_plan": "main"})
    text = Path(write_run_report(cfg, state, {"main": plan})).read_text()
    assert "| ice | merged / rich | 634 | 278 | extra_trees (none) | 0.7 ± 0.007 |" in text
    assert "beats-baseline" in text and "**small-effect**" in text
    assert "capacity: significant but small** (removes 6% of the baseline's RMSE < 10%)" in text
    assert "mean ± standard deviation over the repeats" in text
    assert "Tuned vs untuned, same splits" in text
    rows = tuning_rows("main", plan, state)
    assert [r[:2] for r in rows] == [["ice", "extra_trees"], ["ice", "ridge"], ["capacity", "extra_trees"]]
    assert rows[0][-1] == "tuning dropped (did not pay)" and rows[0][3] == "—"
    cap = rows[2]
    assert float(cap[-1]) < 0                     # the tuned run is the lower-RMSE one here
