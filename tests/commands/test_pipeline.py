"""``make run``'s pipeline, end to end on a small slice: every step but analyze (tested on its own)."""

from __future__ import annotations

import pandas as pd
import pytest

from nacarbon.commands.pipeline import compose_config, run


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp / 'mlruns'}", f"paths.output_dir={tmp / 'out'}",
                                      f"paths.experiments_dir={tmp / 'exp'}", "targets=[ice,capacity]",
                                      "models=[ridge,knn]", "search_preset=none", "search_overrides=[]", "n_jobs=1",
                                      "progress=false", "steps=[validate,train,compare,promote,screen,report]"])
    return cfg, run(cfg)


def test_every_step_ran(state):
    _, st = state
    assert list(st["timings"]) == ["validate", "train", "compare", "promote", "screen", "report"]
    assert set(st["train"]) == {("ice", "ridge"), ("ice", "knn"), ("capacity", "ridge"), ("capacity", "knn")}


def test_promotion_follows_the_baseline(state):
    _, st = state
    assert st["promote"]["ice"].action == "promote"
    assert st["promote"]["capacity"].action == "register-only"  # nothing beats the mean for capacity


def test_screen_used_the_champion_and_report_says_so(state):
    cfg, st = state
    assert st["screen"].ranked == ["ice"] and "capacity" in st["screen"].missing
    report = (pd.io.common.Path(cfg.paths.experiments_dir) / "run_report.md").read_text()
    assert "capacity: no model predicts better than the mean baseline" in report
    assert "| ice |" in report and "## Screening" in report


def test_unknown_step_is_a_clear_error(tmp_path):
    from nacarbon.errors import NacarbonError

    cfg = compose_config("pipeline", [f"paths.mlruns_dir={tmp_path}", "steps=[validate,fly]"])
    with pytest.raises(NacarbonError, match=r"unknown steps \['fly'\]"):
        run(cfg)
