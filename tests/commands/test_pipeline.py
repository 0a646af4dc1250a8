"""``make run``'s pipeline, end to end on a small slice: every step but analyze (tested on its own).

Both plans (main: widest data, rich features; paper: seed, five features) on ICE and the rate
factor, ridge and knn untuned, on the plans' 5 x 5 repeated grouped splits (the significance rule
refuses fewer than 25).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nacarbon.commands.pipeline import compose_config, run


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.output_dir={tmp / 'out'}",
                                      f"paths.experiments_dir={tmp / 'exp'}", "targets=[ice,rate]",
                                      "models=[ridge,knn]", "search_preset=none", "search_overrides=[]", "n_jobs=1",
                                      "progress=false", "steps=[validate,train,compare,promote,screen,report]"])
    return cfg, run(cfg)


def test_every_step_ran_on_both_plans(state):
    _, st = state
    assert list(st["timings"]) == ["validate", "train", "compare", "promote", "screen", "report"]
    assert set(st["train"]) == {(p, t, m, "none") for p in ("main", "paper") for t in ("ice", "rate")
                                for m in ("ridge", "knn")}
    assert set(st["data_version"]) == {"merged", "seed_contributed", "seed"}
    assert st["train"][("main", "ice", "ridge", "none")]["n_rows"] > 500        # merged, not the 67 seed rows
    assert st["train"][("paper", "ice", "ridge", "none")]["n_rows"] < 100
    assert len(st["compare"]["main"]) == 2 and len(st["compare"]["paper"]) == 1  # merged, seed_contributed | seed
    for results in st["compare"].values():
        for r in results:
            assert (r.table.loc[r.table["model"] != "baseline", "n_folds"] == 25).all()


def test_only_the_main_plan_is_promoted_and_by_the_rule(state):
    _, st = state
    assert set(st["promote"]) == {"ice", "rate"}
    ice, rate = st["promote"]["ice"], st["promote"]["rate"]
    assert ice.action == "promote" and ice.candidate.tags["dataset"] == "merged"
    assert rate.action == "register-only"            # nothing beats the mean for the rate factor
    winners = {t: w for r in st["compare"]["main"] for t, w in r.winners.items()}
    assert ice.candidate.model == winners["ice"][0] and winners["rate"] == []


def test_screen_used_the_champion_and_report_says_so(state):
    cfg, st = state
    assert st["screen"].ranked == ["ice"] and "rate" in st["screen"].missing
    report = (Path(cfg.paths.experiments_dir) / "run_report.md").read_text()
    assert "rate: no model predicts better than the mean baseline" in report
    assert "## Main job" in report and "## Reproduction of Liu et al. 2022" in report
    assert "| ice | merged / rich |" in report and "| ice | seed / default |" in report
    assert "n/a (reproduction)" in report and "protocols.md" in report
    assert "ΔRMSE [95 % CI]" in report and "## Screening" in report


def test_tuned_families_are_trained_untuned_too(tmp_path):
    from nacarbon.commands.pipeline import train_jobs

    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "targets=[capacity,ice]"])
    jobs = train_jobs(cfg)
    main = {k[2:] for k in jobs if k[:2] == ("main", "capacity")}
    assert main == {("extra_trees", "none"), ("extra_trees", "optuna"), ("ridge", "none")}
    assert {k[2:] for k in jobs if k[:2] == ("main", "ice")} == {("extra_trees", "none"), ("ridge", "none")}
    # The search overrides go to the tuned run only (search=none has no trials to set).
    assert "search.n_trials=3" in jobs[("main", "capacity", "extra_trees", "optuna")]
    assert not any(o.startswith("search.") for o in jobs[("main", "capacity", "extra_trees", "none")])
    # A plan without `tuned` (the reproduction) trains every family with the preset only, as before.
    assert {k[3] for k in jobs if k[0] == "paper"} == {"optuna"}
    # Families named on the command line are tuned too (beside their untuned runs).
    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "targets=[ice]", "models=[ridge]"])
    assert {k[2:] for k in train_jobs(cfg) if k[0] == "main"} == {("ridge", "none"), ("ridge", "optuna")}


def test_unknown_step_or_plan_is_a_clear_error(tmp_path):
    from nacarbon.errors import ConfigError, NacarbonError

    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "steps=[validate,fly]"])
    with pytest.raises(NacarbonError, match=r"unknown steps \['fly'\]"):
        run(cfg)
    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "plans=[main,fancy]", "steps=[validate]"])
    with pytest.raises(ConfigError, match="unknown plan 'fancy'"):
        run(cfg)


@pytest.mark.parametrize("overrides, message", [
    (["seed=abc"], "seed='abc' is not allowed"),
    (["n_jobs=-1"], "n_jobs=-1 is not allowed"),
    (["targets=[foo]"], "targets: ['foo'] not in plans"),
    (["plans=[nope]"], "unknown plan 'nope'"),
    (["steps=[bogus]"], "unknown steps ['bogus']"),
    (["plans=[main]", "targets=[rate]", "models=[xgbost]"], "model xgbost: the training config does not compose"),
    (["cv=bogus"], "Could not find 'cv/bogus'"),
])
def test_a_bad_run_is_refused_before_any_work(tmp_path, capsys, overrides, message):
    from nacarbon.commands.pipeline import main

    rc = main([f"paths.mlruns_dir={tmp_path / 'mlruns'}", f"paths.output_dir={tmp_path / 'out'}",
               f"paths.experiments_dir={tmp_path / 'exp'}", *overrides])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "mlruns").exists()  # refused before the store was touched
