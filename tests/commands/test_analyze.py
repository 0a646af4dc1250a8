"""``python -m analyze`` end to end on the seed data, written to a throwaway MLflow store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from scipy.stats import spearmanr

from nacarbon.analysis.outputs import write_maps
from nacarbon.targets import TargetSpec
from nacarbon.commands.analyze import run
from nacarbon.errors import ConfigError
from tests.conftest import CONF, compose_config

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
# Small grids and few repeats: the same code paths at a fraction of the cost.
FAST = ["map.grid=20", "shap.max_background=30", "shap.permutation_repeats=3", "shap.top_k=2"]


def _store(tmp) -> list[str]:
    return [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.output_dir={tmp / 'outputs'}",
            f"paths.experiments_dir={tmp / 'experiments'}"]


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    found = set()
    for item in client.list_artifacts(run_id, path):
        found |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return found


@pytest.fixture(scope="module")
def no_champion(tmp_path_factory):
    cfg = compose_config("analyze", [*_store(tmp_path_factory.mktemp("bare")), *FAST])
    return cfg, run(cfg)


@pytest.fixture(scope="module")
def with_champion(tmp_path_factory):
    from nacarbon.commands.promote import run as promote
    from nacarbon.commands.train import run as train

    store = _store(tmp_path_factory.mktemp("champ"))
    # 5 x 5 repeated splits: a champion needs the significance rule (knn beats the mean on seed ICE).
    trained = train(compose_config("train", [*store, "target=ice", "model=knn", "cv=repeated", "progress=false"]))
    decision = promote(compose_config("promote", [*store, "target=ice", "cv=repeated"]))
    assert decision.action == "promote"
    cfg = compose_config("analyze", [*store, *FAST, "targets=[ice]", "cv=repeated", "shap.source=champion"])
    return cfg, run(cfg), trained, store


def test_best_explains_the_lowest_rmse_run_of_the_analysis_data(tmp_path):
    """The default source: the reproduction explains the runs it reports, not a registry model."""
    from nacarbon.commands.train import run as train

    store = _store(tmp_path)
    runs = [train(compose_config("train", [*store, "target=ice", f"model={m}", "cv=repeated", "progress=false"]))
            for m in ("knn", "ridge")]
    best = min(runs, key=lambda r: r.metrics["rmse_mean"])
    result = run(compose_config("analyze", [*store, *FAST, "targets=[ice]", "cv=repeated", "shap.source=best"]))
    assert result["explained"] == {"ice": best.run_id}
    other = run(compose_config("analyze", [*store, *FAST, "targets=[ice]", "cv=group", "shap.source=best"]))
    assert other["explained"] == {} and any("no finished training run" in n for n in other["notes"])


def test_without_champions_correlations_and_maps_are_written(no_champion):
    cfg, result = no_champion
    out = result["out_dir"]
    table = pd.read_csv(out / "correlation" / "spearman.csv")
    assert set(table["group"]) == {"all", "hard", "soft"} and len(table) == 3 * 5 * 4
    seed = pd.read_csv(CONF.parent / "data" / "liu2022_tables.csv")
    hard = seed[seed["material_class"] == "hard"][["id_ig", "rate_factor"]].dropna()
    row = table[(table["group"] == "hard") & (table["feature"] == "id_ig") & (table["target"] == "rate_factor")]
    assert row["rho"].item() == pytest.approx(spearmanr(hard["id_ig"], hard["rate_factor"]).statistic)
    assert row["n"].item() == len(hard) == 47
    for group in ("all", "hard", "soft"):
        assert (out / "correlation" / f"spearman_{group}.png").read_bytes()[:4] == b"\x89PNG"
    maps = pd.read_csv(out / "maps" / "maps.csv")
    assert len(maps) == 13 and (maps["status"] == "ok").all()
    assert set(maps.loc[maps["group"] == "hard", "paper_figure"]) == {"2b", "2c", "2d", "2e", "2f", "2g"}
    assert all((out / "maps" / f).is_file() for f in maps["file"].map(lambda p: p.rsplit("/", 1)[-1]))
    assert result["explained"] == {} and not (out / "shap").exists()
    assert any(n.startswith("SHAP skipped") for n in result["notes"])
    assert json.loads((out / "summary.json").read_text())["data_version"] == result["data_version"]


def test_without_champions_everything_is_logged(no_champion):
    cfg, result = no_champion
    client = MlflowClient(cfg.tracking.uri)
    logged = client.get_run(result["run_id"])
    assert logged.data.tags["nacarbon.kind"] == "analyze"
    assert client.get_experiment(logged.info.experiment_id).name == "nacarbon-seed"
    names = _artifacts(client, result["run_id"])
    for expected in ("correlation/spearman.csv", "correlation/spearman_hard.png", "maps/maps.csv",
                     "maps/capacity_hard_la_nm_lc_nm.png", "summary.json", "reproduction/README.md",
                     "reproduction/figures/fig2a_comparison.png"):
        assert expected in names
    metrics = logged.data.metrics
    table = pd.read_csv(result["out_dir"] / "correlation" / "spearman.csv")
    cap = table[(table["group"] == "hard") & (table["feature"] == "la_nm") & (table["target"] == "capacity_mah_g")]
    assert metrics["spearman_rho_hard_capacity_la_nm"] == pytest.approx(cap["rho"].item())
    assert metrics["spearman_p_hard_capacity_la_nm"] == pytest.approx(cap["p"].item())
    assert not [k for k in metrics if k.startswith("shap_")]


def test_report_without_runs_says_so(no_champion):
    cfg, result = no_champion
    assert result["report"].parent.name == "reproduction"
    text = result["report"].read_text()
    assert "ρ = 0.223, p = 0.024" in text and "no training runs found; run `make run`" in text
    assert (result["report"].parent / "README.html").is_file()


def test_champion_is_explained_and_logged(with_champion):
    cfg, result, trained, _ = with_champion
    assert result["explained"] == {"ice": trained.run_id}
    folder = result["out_dir"] / "shap" / "ice"
    importance = pd.read_csv(folder / "importance.csv")
    assert sorted(importance["feature"]) == sorted(FEATURES)
    assert set(importance["explainer"]) == {"KernelExplainer"} and set(importance["registry_version"]) == {1}
    assert importance["mean_abs_shap"].is_monotonic_decreasing
    client = MlflowClient(cfg.tracking.uri)
    logged = client.get_run(result["run_id"])
    for r in importance.itertuples():
        assert logged.data.metrics[f"shap_ice_{r.feature}"] == pytest.approx(r.mean_abs_shap)
        assert logged.data.metrics[f"perm_ice_{r.feature}"] == pytest.approx(r.perm_rmse_increase_mean)
    names = _artifacts(client, result["run_id"])
    top = importance["feature"].head(2).tolist()
    for expected in ("shap/ice/importance.csv", "shap/ice/shap_values.csv", "shap/ice/shap_beeswarm.png",
                     "shap/ice/shap_bar.png", f"shap/ice/shap_dependence_1_{top[0]}.png",
                     f"shap/ice/shap_dependence_2_{top[1]}.png", "shap/importance.csv"):
        assert expected in names
    assert trained.run_id in logged.data.tags["explained.ice"]
    assert "in-sample" in logged.data.tags["shap_data"]


def test_shap_values_add_up_to_the_champions_predictions(with_champion):
    _, result, trained, _ = with_champion
    values = pd.read_csv(result["out_dir"] / "shap" / "ice" / "shap_values.csv")
    X = trained.design.X
    assert len(values) == len(X) == 67
    total = values["base_value"] + values[[f"shap_{f}" for f in FEATURES]].sum(axis=1)
    np.testing.assert_allclose(total, trained.model.predict(X), rtol=1e-6, atol=1e-6)
    # plotted values are in the feature's units (imputed, not standardised)
    known = X["la_nm"].notna().to_numpy()
    np.testing.assert_allclose(values.loc[known, "value_la_nm"], X.loc[known, "la_nm"])


def test_report_with_a_champion_reads_the_runs(with_champion):
    _, result, _, _ = with_champion
    text = result["report"].read_text()
    assert "| ice | 1 | knn | none |" in text
    assert "The explained model predicts the ranges better (ice)" in text
    assert "![SHAP ice](figures/ice_shap_bar.png)" in text


def test_shap_source_can_name_a_run(with_champion):
    _, _, trained, store = with_champion
    cfg = compose_config("analyze", [*store, *FAST, "targets=[ice]", f"shap.source={trained.run_id}",
                                     "report=false", "map_pairs={}"])
    result = run(cfg)
    assert result["explained"] == {"ice": trained.run_id} and result["report"] is None
    importance = pd.read_csv(result["out_dir"] / "shap" / "ice" / "importance.csv")
    assert importance["registry_version"].isna().all()


@pytest.mark.parametrize(("override", "match"), [("shap.data=oof", "per-fold models"),
                                                  ("shap.source=0123abcd", "no such run"),
                                                  ("targets=[density]", "unknown target")])
def test_bad_settings_raise_config_errors(tmp_path, override, match):
    cfg = compose_config("analyze", [*_store(tmp_path), "report=false", "map_pairs={}", override])
    with pytest.raises(ConfigError, match=match):
        run(cfg)


def test_maps_that_cannot_be_drawn_are_listed_with_the_reason(tmp_path):
    df = pd.DataFrame({"material_class": ["hard"] * 6 + ["soft"] * 3,
                       "la_nm": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0, 2.0, 3.0],
                       "lc_nm": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 2.0, 1.0, 3.0],   # hard rows on a line
                       "capacity_mah_g": np.arange(9.0)})
    spec = TargetSpec("capacity", "capacity_mah_g", "Capacity", "mAh/g", True, (), "none", {}, {"trend": "auto"})
    pairs = {"capacity": {"hard": [["la_nm", "lc_nm", "2b"]], "soft": [["la_nm", "lc_nm"]],
                          "all": [["la_nm", "lc_nm"]]}}
    maps = write_maps(df, [spec], pairs, tmp_path, group_col="material_class", method="linear", grid=10,
                      smoothing=0.0, min_rows=4).set_index("group")
    assert "collinear" in maps.loc["hard", "status"] or "line" in maps.loc["hard", "status"]
    assert maps.loc["soft", "status"] == "skipped: 3 complete rows < min_rows=4"
    assert maps.loc["all", "status"] == "ok" and (tmp_path / "capacity_all_la_nm_lc_nm.png").is_file()
    with pytest.raises(ConfigError, match="pair"):
        write_maps(df, [spec], {"capacity": {"all": [["la_nm"]]}}, tmp_path, group_col=None, method="linear",
                   grid=10, smoothing=0.0, min_rows=4)


def test_pipeline_step_composes_the_analysis_and_keeps_its_result(tmp_path, capsys, monkeypatch):
    from omegaconf import OmegaConf

    from nacarbon.commands import pipeline

    asked = []

    def compose(name, overrides):
        asked.append((name, overrides))
        return compose_config(name, [*overrides, *FAST, "map_pairs={}", "report=false"])

    monkeypatch.setattr(pipeline, "compose_config", compose)
    monkeypatch.setattr(pipeline, "store_overrides", lambda cfg: _store(tmp_path))
    state: dict = {}
    pipeline_cfg = OmegaConf.create({"analyze_targets": ["ice", "rate"], "seed": 3, "dataset": {"name": "seed"},
                                     "features": {"name": "default"}, "cv": {"name": "repeated"}})
    pipeline.step_analyze(pipeline_cfg, state)
    name, overrides = asked[0]
    assert name == "analyze" and {"targets=[ice,rate]", "seed=3", "report=true", "dataset=seed",
                                  "cv=repeated"} <= set(overrides)
    assert state["analyze"]["run_id"] and "[analyze]" in capsys.readouterr().out
