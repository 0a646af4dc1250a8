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


@pytest.mark.slow  # the whole make run slice: ~1 min of CPU; each step has its own fast tests
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


@pytest.mark.slow  # the whole make run slice: ~1 min of CPU; each step has its own fast tests
def test_only_the_main_plan_is_promoted_and_by_the_rule(state):
    _, st = state
    assert set(st["promote"]) == {"ice", "rate"}
    ice, rate = st["promote"]["ice"], st["promote"]["rate"]
    assert ice.action == "promote" and ice.candidate.tags["dataset"] == "merged"
    assert rate.action == "register-only"            # nothing beats the mean for the rate factor
    winners = {t: w for r in st["compare"]["main"] for t, w in r.winners.items()}
    assert ice.candidate.model == winners["ice"][0] and winners["rate"] == []


@pytest.mark.slow  # the whole make run slice: ~1 min of CPU; each step has its own fast tests
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
    from hydra.errors import MissingConfigException

    from nacarbon.errors import NacarbonError

    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "steps=[validate,fly]"])
    with pytest.raises(NacarbonError, match=r"unknown steps \['fly'\]"):
        run(cfg)
    with pytest.raises(MissingConfigException, match="plan/fancy"):   # plans are a config group
        compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "plan=[main,fancy]", "steps=[validate]"])


@pytest.mark.parametrize("overrides, message", [
    (["seed=abc"], "seed='abc' is not allowed"),
    (["n_jobs=-1"], "n_jobs=-1 is not allowed"),
    (["targets=[foo]"], "targets=['foo']: ['foo'] not in plans"),
    (["plan=[nope]"], "Could not load 'plan/nope'"),
    (["steps=[bogus]"], "unknown steps ['bogus']"),
    (["plan=main", "targets=[rate]", "models=[xgbost]"], "model xgbost: the training config does not compose"),
    (["cv=bogus"], "Could not find 'cv/bogus'"),
    (["plan=nonsense"], "plan='nonsense': In 'pipeline': Could not find 'plan/nonsense' (allowed: main, paper)"),
    (["plans=[main]"], "plans='[main]': this command has no such setting"),
])
def test_a_bad_run_is_refused_before_any_work(tmp_path, capsys, overrides, message):
    from nacarbon.commands.pipeline import main

    rc = main([f"paths.mlruns_dir={tmp_path / 'mlruns'}", f"paths.output_dir={tmp_path / 'out'}",
               f"paths.experiments_dir={tmp_path / 'exp'}", *overrides])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "mlruns").exists()  # refused before the store was touched


def _broken_model(folder: Path) -> Path:
    """A config folder with model=broken: knn asking for more neighbours than a fold has rows.

    Every setting is of an allowed type and range (the run's settings check passes it), so the
    job fails only when scikit-learn predicts: a real failure inside a worker, not a refused config.
    """
    from tests.conftest import CONF

    (folder / "model").mkdir(parents=True)
    text = (CONF / "model" / "knn.yaml").read_text().replace("name: knn", "name: broken")
    (folder / "model" / "broken.yaml").write_text(text.replace("  n_neighbors: 5\n", "  n_neighbors: 1000\n"))
    return folder / "model" / "broken.yaml"


def _failing_run(tmp_path: Path, *extra: str) -> list[str]:
    return [f"paths.mlruns_dir={tmp_path / 'mlruns'}", f"paths.output_dir={tmp_path / 'out'}",
            f"paths.experiments_dir={tmp_path / 'exp'}", "plan=[paper]", "targets=[ice]", "models=[ridge,broken]",
            "search_preset=none", f"train_overrides=['hydra.searchpath=[file://{tmp_path / 'conf'}]']",
            "progress=false", "steps=[validate,train,compare]", *extra]


def _finished_runs(tmp_path: Path) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(tmp_path / "mlruns" / "mlflow.db") as db:
        return db.execute("select t.value, r.status from runs r join tags t on t.run_uuid = r.run_uuid "
                          "where t.key = 'model' order by r.start_time").fetchall()


def test_a_failing_job_ends_no_other_and_a_rerun_redoes_only_it(tmp_path, capsys):
    from nacarbon.commands.pipeline import main

    broken = _broken_model(tmp_path / "conf")
    assert main(_failing_run(tmp_path, "n_jobs=1")) == 2
    err = capsys.readouterr().err
    assert "1 of 2 training jobs failed (the other 1 are stored" in err
    assert "\n  paper/ice/broken/none: ValueError: " in err and "n_neighbors" in err
    assert ("ridge", "FINISHED") in _finished_runs(tmp_path)
    assert not [ln for ln in err.splitlines() if "WARNING" in ln]     # library warnings go to the log file
    log = next((tmp_path / "out" / "pipeline").glob("*/pipeline.log")).read_text()
    assert "training job paper/ice/broken/none failed" in log and "n_neighbors" in log

    broken.write_text(broken.read_text().replace("  n_neighbors: 1000\n", "  n_neighbors: 5\n"))   # the user fixes it
    assert main(_failing_run(tmp_path, "n_jobs=1")) == 0
    out = capsys.readouterr().out
    assert "1 of 2 jobs already have a FINISHED run of the same config and data" in out
    runs = _finished_runs(tmp_path)
    assert [m for m, s in runs if s == "FINISHED"].count("ridge") == 1     # ridge was not trained again
    assert [m for m, s in runs if s == "FINISHED"].count("broken") == 1
    assert "[compare] paper: ice on seed (default)" in out


def test_search_preset_none_needs_no_other_override():
    from nacarbon.commands.pipeline import train_jobs

    cfg = compose_config("pipeline", ["plan=main", "targets=[ice]", "models=[ridge]", "search_preset=none",
                                      "steps=[validate,train]"])
    (overrides,) = train_jobs(cfg).values()
    assert "search=none" in overrides and not any(o.startswith("search.") for o in overrides)
    tuned = train_jobs(compose_config("pipeline", ["plan=main", "targets=[ice]", "models=[ridge]"]))
    # models=[...] are tuned beside their untuned runs: the budget goes to the tuned job only
    assert "search.n_trials=3" in tuned[("main", "ice", "ridge", "optuna")]
    assert not any(o.startswith("search.") for o in tuned[("main", "ice", "ridge", "none")])


@pytest.mark.slow
def test_parallel_tuned_run_on_a_fresh_store_lists_its_failure(tmp_path):
    """make run's path: 2 worker processes, tuning into a fresh Optuna store made by the parent, one job failing."""
    import sqlite3
    import subprocess
    import sys

    from tests.conftest import ROOT

    _broken_model(tmp_path / "conf")   # tuned, its default (1000 neighbours) is outside its own search space
    args = _failing_run(tmp_path, "n_jobs=2", "search_preset=optuna",
                        "search_overrides=['search.n_trials=2','search.inner_splits=2']")
    proc = subprocess.run([sys.executable, "-m", "nacarbon.pipeline", *args], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.startswith("error: 1 of 2 training jobs failed") and "Traceback" not in proc.stderr
    assert "  paper/ice/broken/optuna: " in proc.stderr
    assert ("ridge", "FINISHED") in _finished_runs(tmp_path)
    with sqlite3.connect(tmp_path / "mlruns" / "optuna.db") as db:
        assert db.execute("select count(*) from alembic_version").fetchone() == (1,)
        assert db.execute("select count(*) from studies").fetchone()[0] >= 26    # 25 outer + the final study
    log = next((tmp_path / "out" / "pipeline").glob("*/pipeline.log")).read_text()
    assert "training job paper/ice/broken/optuna failed" in log and "Traceback" in log
