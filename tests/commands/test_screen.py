"""``python -m screen`` end to end: champions from a real registry, a small grid, real files."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf, open_dict

from nacarbon.errors import NacarbonError
from nacarbon.commands.promote import run as promote
from nacarbon.commands.screen import run as screen
from nacarbon.commands.train import run as train
from tests.conftest import compose_config

SMALL_GRID = {"d002_nm": {"values": [0.335, 0.365, 0.38, 0.395]},
              "la_nm": {"start": 1.5, "stop": 5.0, "step": 0.5},
              "lc_nm": {"values": [0.6, 0.8, 1.3, 1.8]},
              "id_ig": {"start": 0.83, "stop": 1.43, "step": 0.2},
              "ssa_m2_g": {"values": [2, 160, 325]}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A tmp store where ice has a champion (knn beats the baseline significantly) and capacity does not."""
    tmp = tmp_path_factory.mktemp("screen")
    base = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.experiments_dir={tmp / 'experiments'}"]
    for target, model in (("ice", "knn"), ("capacity", "ridge")):  # 5 x 5 splits: the significance rule's
        train(compose_config("train", [*base, f"target={target}", f"model={model}", "cv=repeated", "progress=false"]))
        promote(compose_config("promote", [*base, f"target={target}", "cv=repeated"]))
    return [*base, "progress=false"]


def screen_cfg(store, *extra):
    cfg = compose_config("screening", [*store, *extra])
    with open_dict(cfg):
        cfg.screen.grid = OmegaConf.create(SMALL_GRID)
    return cfg


def test_screen_uses_only_champions(store):
    outcome = screen(screen_cfg(store))
    assert set(outcome.champions) == {"ice"}
    assert set(outcome.missing) == {"capacity", "rate", "plateau_voltage", "plateau_capacity"}
    assert outcome.ranked == ["ice"]
    assert outcome.result.n_candidates == 4 * 8 * 4 * 4 * 3
    run = MlflowClient(compose_config("screening", store).tracking.uri).get_run(outcome.run_id)
    assert run.data.tags["model_version.ice"] == "nacarbon-ice/1"
    assert run.data.tags["nacarbon.kind"] == "screen"
    assert run.data.metrics["n_passed"] == outcome.result.n_passed


def test_physical_rules_and_domain_filter(store):
    outcome = screen(screen_cfg(store))
    rows = pd.read_parquet(outcome.out_dir / "candidates.parquet")
    feasible = rows[rows["passed"]]
    assert (feasible["d002_nm"] >= 0.3354).all()
    assert (feasible["lc_nm"] >= 2 * feasible["d002_nm"]).all()
    assert feasible["in_domain"].all()
    assert (feasible["pred_ice"] <= 100).all()
    failures = outcome.result.summary["rule_failures"]
    assert failures["d002_above_graphite"] == (rows["d002_nm"] < 0.3354).sum() > 0
    assert failures["lc_two_layers"] > 0  # Lc = 0.6 nm < 2 x 0.38 nm


def test_outputs_written(store):
    outcome = screen(screen_cfg(store))
    table = pd.read_csv(outcome.out_dir / "top_table.csv")
    assert len(table) == 15 and table["rank"].tolist() == list(range(1, 16))
    assert table["pred_ice"].is_monotonic_decreasing
    assert ((table["lo_ice"] <= table["pred_ice"]) & (table["pred_ice"] <= table["hi_ice"])).all()
    md = (outcome.out_dir / "top_table.md").read_text()
    assert "capacity`: no champion" in md and "| rank |" in md
    assert (outcome.out_dir / "map_ice_ssa_m2_g_id_ig.png").read_bytes()[:4] == b"\x89PNG"


def test_intervals_and_domain_are_the_champions_own(store):
    """Screening answers with the registered SamplePredictor: the same numbers as asking it directly."""
    outcome = screen(screen_cfg(store))
    top = outcome.result.top.head(10).reset_index(drop=True)
    own = outcome.champions["ice"].predictor.predict_features(top)
    for col in ("pred_ice", "lo_ice", "hi_ice", "domain_score"):
        assert top[col].to_numpy() == pytest.approx(own[col].to_numpy())
    widths = top["hi_ice"] - top["lo_ice"]
    assert widths.nunique() > 1            # locally adaptive, not one width everywhere
    md = (outcome.out_dir / "top_table.md").read_text()
    assert "Winner's curse" in md and "held-out *papers*" in md and "90%" in md


def test_rank_by_lower_confidence_bound(store):
    outcome = screen(screen_cfg(store, "screen.rank_by=lcb"))
    top = outcome.result.top
    assert top["lo_ice"].is_monotonic_decreasing           # ice is maximised: ranked on its lower bound
    assert outcome.result.summary["rank_by"] == "lcb"
    assert "Ranked on the conservative interval bound" in (outcome.out_dir / "top_table.md").read_text()


def test_unknown_rank_by_is_a_config_error(store):
    from nacarbon.errors import ConfigError

    with pytest.raises(ConfigError, match="rank_by='best'.*allowed"):
        screen(screen_cfg(store, "screen.rank_by=best"))


def test_chunking_does_not_change_the_result(store):
    whole = screen(screen_cfg(store, "screen.chunk_size=100000", "progress=false"))
    chunked = screen(screen_cfg(store, "screen.chunk_size=37", "progress=false"))
    pd.testing.assert_frame_equal(whole.result.top.reset_index(drop=True), chunked.result.top.reset_index(drop=True))
    assert whole.result.n_passed == chunked.result.n_passed


def test_below_baseline_champion_is_shown_not_ranked(store):
    # Forced: the version is champion but tagged beats_baseline=false by the significance rule.
    promote(compose_config("promote", [*store[:-1], "target=capacity", "cv=repeated", "force=true"]))
    outcome = screen(screen_cfg(store))
    assert "capacity" in outcome.champions and outcome.shown_only == ["capacity"]
    assert outcome.ranked == ["ice"]
    assert "pred_capacity" in outcome.result.top
    md = (outcome.out_dir / "top_table.md").read_text()
    assert "shown, not ranked (does not beat the mean baseline)" in md


def test_no_champion_is_a_clear_error(tmp_path):
    cfg = compose_config("screening", [f"paths.mlruns_dir={tmp_path}", "progress=false"])
    with pytest.raises(NacarbonError, match="has a champion in the registry"):
        screen(cfg)


def test_inverse_design_mode(store):
    cfg = screen_cfg(store, "screen=optimize", "screen.optimize.n_trials=60", "screen.optimize.population_size=12")
    outcome = screen(cfg)
    assert (outcome.out_dir / "pareto.csv").exists() and (outcome.out_dir / "pareto.md").exists()
    run = MlflowClient(cfg.tracking.uri).get_run(outcome.run_id)
    assert run.data.tags["screen.mode"] == "optimize" and run.data.tags["model_version.ice"] == "nacarbon-ice/1"
    assert run.data.metrics["n_trials"] == 60
    pareto = pd.read_csv(outcome.out_dir / "pareto.csv")
    assert len(pareto) >= 1 and (pareto["d002_nm"] >= 0.3354).all()


def test_large_grid_config_is_ten_million():
    from nacarbon.screening.grid import grid_size

    cfg = compose_config("screening", ["screen=large"])
    assert grid_size(OmegaConf.to_container(cfg.screen.grid)) == 10_000_000
    assert cfg.screen.keep_all is False and cfg.screen.chunk_size == 200_000
