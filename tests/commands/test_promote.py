"""Compare and promote apply one significance rule to the same runs: they agree on every target.

A small real store (seed data, 5 x 5 repeated grouped splits, ridge and a small extra trees per
target): on ICE only extra trees beats the baseline significantly (ridge's raw p is about 0.07);
on the rate factor nothing does, so its lowest-RMSE run is registered without the alias.
"""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient
from omegaconf import OmegaConf, open_dict

from nacarbon.commands.compare import run as compare_run
from nacarbon.commands.promote import run as promote_run
from nacarbon.commands.screen import run as screen_run
from nacarbon.commands.train import run as train_run
from nacarbon.evaluation.significance import SIGNIFICANT
from nacarbon.tracking.tags import CHAMPION_ALIAS, model_name
from tests.conftest import compose_config

TARGETS, MODELS = ("ice", "rate"), ("ridge", "extra_trees")
SMALL = {"extra_trees": ["model.estimator.n_estimators=50"], "ridge": []}
SMALL_GRID = {"d002_nm": {"values": [0.365, 0.38]}, "la_nm": {"values": [2.0, 3.0, 4.0]},
              "lc_nm": {"values": [0.8, 1.3]}, "id_ig": {"values": [0.83, 1.03]}, "ssa_m2_g": {"values": [2, 160]}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agree")
    base = [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.experiments_dir={tmp / 'exp'}",
            f"paths.output_dir={tmp / 'out'}"]
    trained = {(t, m): train_run(compose_config("train", [*base, f"target={t}", f"model={m}", "cv=repeated",
                                                          "progress=false", *SMALL[m]]))
               for t in TARGETS for m in MODELS}
    compared = compare_run(compose_config("compare", [*base, f"targets=[{','.join(TARGETS)}]", "cv=repeated"]))
    decisions = {t: promote_run(compose_config("promote", [*base, f"target={t}", "cv=repeated"])) for t in TARGETS}
    client = MlflowClient(compose_config("promote", base).tracking.uri)
    return base, trained, compared, decisions, client


def test_compare_and_promote_agree_on_every_target(store):
    _, _, compared, decisions, client = store
    table = compared.table
    assert any(compared.winners[t] for t in TARGETS) and not all(compared.winners[t] for t in TARGETS)
    for target in TARGETS:
        d, winners = decisions[target], compared.winners[target]
        if winners:
            assert d.action == "promote" and d.candidate.model == winners[0]
        else:
            assert d.action == "register-only" and not d.candidate.beats_baseline
        row = table[(table["target"] == target) & (table["run_id"] == d.candidate.run_id)].iloc[0]
        mv = client.get_model_version(model_name(target), d.version)
        assert mv.tags["beats_baseline"] == str(row["verdict"] in SIGNIFICANT).lower()
        assert mv.tags["verdict"] == row["verdict"]
        assert float(mv.tags["beats_baseline_p"]) == pytest.approx(row["p_adjusted"], rel=1e-5)
        assert mv.tags["beats_baseline_test"] == row["test"]


def test_lowest_rmse_is_not_champion_without_significance(store):
    _, trained, compared, decisions, client = store
    ice = compared.table[(compared.table["target"] == "ice") & (compared.table["model"] != "baseline")]
    verdicts = dict(zip(ice["model"], ice["verdict"]))
    assert verdicts["extra_trees"] in SIGNIFICANT and verdicts["ridge"] not in SIGNIFICANT
    champion = client.get_model_version_by_alias(model_name("ice"), CHAMPION_ALIAS)
    assert champion.run_id == trained[("ice", "extra_trees")].run_id
    rate = compared.table[(compared.table["target"] == "rate") & (compared.table["model"] != "baseline")]
    first = rate.iloc[0]  # lowest mean RMSE, and not significant: registered, never champion
    assert first["verdict"] not in SIGNIFICANT and decisions["rate"].candidate.run_id == first["run_id"]
    assert decisions["rate"].action == "register-only"
    with pytest.raises(Exception, match="alias"):
        client.get_model_version_by_alias(model_name("rate"), CHAMPION_ALIAS)


def test_screening_ranks_only_significant_champions(store):
    base, _, _, _, _ = store
    # Force the rate factor's best run to champion: it carries beats_baseline=false and must not be ranked.
    forced = promote_run(compose_config("promote", [*base, "target=rate", "cv=repeated", "force=true"]))
    assert forced.action == "promote" and forced.forced
    cfg = compose_config("screening", [*base, f"targets=[{','.join(TARGETS)}]", "progress=false"])
    with open_dict(cfg):
        cfg.screen.grid = OmegaConf.create(SMALL_GRID)
    outcome = screen_run(cfg)
    assert set(outcome.champions) == {"ice", "rate"}
    assert outcome.ranked == ["ice"] and outcome.shown_only == ["rate"]
