"""``compare.run`` on a throwaway MLflow store holding three real training runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from compare import run as compare_run
from nacarbon.evaluation.significance import SIGNIFICANT, TEST_NAME, holm
from nacarbon.errors import ConfigError
from nacarbon.commands.train import run as train_run
from tests.conftest import compose_config

RUNS = [("ice", "ridge"), ("ice", "knn"), ("rate", "ridge")]


@pytest.fixture(scope="module")
def compared(compare_store):
    tmp = compare_store
    store = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.experiments_dir={tmp / 'experiments'}",
             f"paths.output_dir={tmp / 'outputs'}"]
    # cv=repeated (5 x 5 grouped): the significance rule needs >= 25 splits.
    trained = {(t, m): train_run(compose_config("train", [*store, "progress=false", f"target={t}", f"model={m}",
                                                          "cv=repeated"]))
               for t, m in RUNS}
    cfg = compose_config("compare", [*store, "targets=[ice,rate,plateau_voltage]", "cv=repeated"])
    return cfg, trained, compare_run(cfg)


def test_table_matches_the_training_runs(compared):
    _, trained, result = compared
    table = result.table
    assert table[["target", "model"]].values.tolist()[0] == ["ice", "baseline"]
    assert sorted(map(tuple, table[["target", "model"]].values.tolist())) == sorted(
        [("ice", "baseline"), ("rate", "baseline"), *RUNS])
    for (target, model), res in trained.items():
        row = table[(table["target"] == target) & (table["model"] == model)].iloc[0]
        for m in ("r2", "rmse", "mae"):
            assert row[f"{m}_mean"] == pytest.approx(res.metrics[f"{m}_mean"], rel=1e-12)
            assert row[f"{m}_std"] == pytest.approx(res.metrics[f"{m}_std"], rel=1e-12)
        assert row["n_folds"] == 25 and row["test"] == TEST_NAME
        assert row["ci_low"] <= row["delta_rmse"] <= row["ci_high"]
        assert row["run_id"] == res.run_id
        base = table[(table["target"] == target) & (table["model"] == "baseline")].iloc[0]
        assert base["rmse_mean"] == pytest.approx(res.metrics["baseline_rmse_mean"], rel=1e-12)


def test_significance_column_follows_the_adjusted_test(compared):
    _, _, result = compared
    for target, part in result.table.groupby("target"):
        models = part[part["model"] != "baseline"]
        np.testing.assert_allclose(models["p_adjusted"], holm(models["p_value"].to_numpy()))
        expected = (models["p_adjusted"] < 0.05) & (models["delta_rmse"] < 0)
        assert models["verdict"].isin(SIGNIFICANT).tolist() == expected.tolist()
        assert result.winners[target] == models.loc[expected, "model"].tolist()


def test_files_are_written_and_logged(compared):
    cfg, _, result = compared
    assert result.out_dir == Path(cfg.paths.experiments_dir, "compare", f"seed-{result.data_version}")
    for name in ("table.md", "table.csv", "ice.png", "rate.png"):
        assert (result.out_dir / name).stat().st_size > 0
    assert not (result.out_dir / "plateau_voltage.png").exists()
    csv = pd.read_csv(result.out_dir / "table.csv")
    assert len(csv) == len(result.table) and "verdict" in csv
    md = (result.out_dir / "table.md").read_text()
    assert "No finished training runs for plateau_voltage" in md
    for target, models in result.winners.items():
        assert (f"No model beats the mean baseline significantly on {target}" in md) == (not models)
    client = MlflowClient(cfg.tracking.uri)
    logged = client.get_run(result.run_id)
    assert logged.data.tags["nacarbon.kind"] == "compare"
    assert logged.data.tags["data_version"] == result.data_version
    names = {a.path for a in client.list_artifacts(result.run_id)} | {
        a.path for a in client.list_artifacts(result.run_id, "plots")}
    assert {"table.csv", "table.md", "plots/ice.png", "plots/rate.png"} <= names


def test_no_matching_runs_is_a_clear_error(compared):
    cfg, _, _ = compared
    other = compose_config("compare", [f"paths.mlruns_dir={cfg.paths.mlruns_dir}", "cv=kfold",
                                       f"paths.experiments_dir={cfg.paths.experiments_dir}"])
    with pytest.raises(ConfigError, match="no finished training runs .* cv=kfold"):
        compare_run(other)


def test_unknown_target_is_named(compared):
    cfg, _, _ = compared
    bad = compose_config("compare", [f"paths.mlruns_dir={cfg.paths.mlruns_dir}", "targets=[ice,voltage]"])
    with pytest.raises(ConfigError, match="unknown target 'voltage'"):
        compare_run(bad)


def test_the_summary_keeps_one_column_for_long_target_names():
    import pandas as pd

    from nacarbon.commands.compare import ComparisonResult, format_summary

    result = ComparisonResult(table=pd.DataFrame({"model": ["baseline", "ridge", "svr"]}),
                              winners={"ice": ["ridge"], "plateau_voltage": []}, missing=["rate"],
                              data_version="abc", out_dir=Path("/x"), run_id="r1", markdown="")
    lines = format_summary(result).splitlines()
    assert lines[0] == "comparison of 2 runs, data version abc"
    assert lines[1:4] == ["  ice             ridge", "  plateau_voltage no model beats the mean baseline",
                          "  rate            no finished runs"]
