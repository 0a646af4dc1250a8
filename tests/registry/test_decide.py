"""The promotion rules of ``decide()`` and the ranking of ``rank()``, on hand-built runs."""

from __future__ import annotations

import pytest

from nacarbon.registry.promotion import Champion, decide
from nacarbon.registry.selection import Candidate, rank

DATA, CV, FEATURES = "v-now", "group", "default"
CURRENT = {"data_version": DATA, "cv": CV, "features": FEATURES}


def cand(run_id: str, rmse: float, *, complexity: int = 1, beats: bool = True, start: int = 0,
         baseline: float = 15.0) -> Candidate:
    """A candidate run; only the fields the rules read matter."""
    return Candidate(run_id=run_id, model=f"m-{run_id}", score=rmse, baseline_score=baseline, r2_pooled=0.3,
                     complexity=complexity, beats_baseline=beats, start_time=start, tags={}, metrics={})


def champ(run_id: str, rmse: float, **where: str) -> Champion:
    """The current champion, by default scored on the current data, CV protocol and features."""
    return Champion(version="3", run_id=run_id, score=rmse, **(CURRENT | where))


# --- rank ---------------------------------------------------------------------------------------

def test_rank_puts_lowest_rmse_first():
    ranked = rank([cand("a", 12.0), cand("b", 10.0), cand("c", 11.0)])
    assert [c.run_id for c in ranked] == ["b", "c", "a"]


def test_rank_breaks_rmse_ties_by_simplicity_before_age():
    # The complex model is newer, but simplicity decides first.
    simple, complex_ = cand("simple", 10.0, complexity=1, start=1), cand("complex", 10.0, complexity=5, start=9)
    assert [c.run_id for c in rank([complex_, simple])] == ["simple", "complex"]


def test_rank_breaks_full_ties_by_newer_run():
    old, new = cand("old", 10.0, start=100), cand("new", 10.0, start=200)
    assert [c.run_id for c in rank([old, new])] == ["new", "old"]


def test_rank_treats_float_noise_as_a_tie():
    # 1e-14 apart is arithmetic noise, not a better model: the simpler one still wins.
    noisy = cand("complex", 10.0 - 1e-14, complexity=5)
    assert rank([noisy, cand("simple", 10.0, complexity=1)])[0].run_id == "simple"


def test_rank_does_not_let_simplicity_beat_a_real_difference():
    assert rank([cand("simple", 10.001, complexity=0), cand("complex", 10.0, complexity=9)])[0].run_id == "complex"


def test_tie_promotes_the_simpler_model():
    ranked = rank([cand("xgb", 10.0, complexity=5, start=2), cand("ridge", 10.0, complexity=1, start=1)])
    decision = decide(ranked, None, **CURRENT)
    assert decision.action == "promote" and decision.candidate.run_id == "ridge"


# --- decide -------------------------------------------------------------------------------------

@pytest.mark.parametrize("champion", [None, champ("old", 9.0)])
def test_no_candidate_does_nothing(champion):
    decision = decide([], champion, **CURRENT)
    assert decision.action == "nothing"
    assert decision.candidate is None and decision.champion is champion and decision.version is None
    assert DATA in decision.reason


def test_first_model_beating_baseline_is_promoted():
    decision = decide([cand("a", 10.0), cand("b", 11.0)], None, **CURRENT)
    assert decision.action == "promote" and decision.candidate.run_id == "a"
    assert not decision.forced and decision.champion is None


def test_better_model_replaces_champion():
    champion = champ("old", 11.0)
    decision = decide([cand("new", 10.0), cand("old", 11.0)], champion, **CURRENT)
    assert decision.action == "promote" and decision.candidate.run_id == "new"
    assert decision.champion is champion and not decision.forced


@pytest.mark.parametrize("rmse", [11.0, 12.5])
def test_model_not_better_than_champion_is_kept_out(rmse):
    # Equal is not better: the alias only moves for an improvement.
    decision = decide([cand("new", rmse)], champ("old", 11.0), **CURRENT)
    assert decision.action == "keep" and decision.candidate.run_id == "new"
    assert "does not beat champion" in decision.reason


@pytest.mark.parametrize("force", [False, True])
def test_champion_already_best_is_kept(force):
    decision = decide([cand("old", 10.0), cand("other", 12.0)], champ("old", 10.0), **CURRENT, force=force)
    assert decision.action == "keep" and not decision.forced
    assert "already champion" in decision.reason


@pytest.mark.parametrize("champion", [None, champ("old", 14.0)])
def test_model_below_baseline_is_registered_only(champion):
    best = cand("poor", 16.0, beats=False, baseline=15.0)
    decision = decide([best], champion, **CURRENT)
    assert decision.action == "register-only" and decision.candidate is best
    assert not decision.forced and "baseline" in decision.reason


@pytest.mark.parametrize("champion", [None, champ("old", 10.0)])
def test_force_promotes_even_below_baseline(champion):
    best = cand("poor", 16.0, beats=False)
    decision = decide([best], champion, **CURRENT, force=True)
    assert decision.action == "promote" and decision.forced and decision.candidate is best
    assert decision.reason.startswith("forced")


def test_force_promotes_even_when_worse_than_champion():
    decision = decide([cand("new", 12.0)], champ("old", 10.0), **CURRENT, force=True)
    assert decision.action == "promote" and decision.forced


@pytest.mark.parametrize("stale", [{"data_version": "v-old"}, {"cv": "kfold"}, {"features": "raman_only"}])
def test_stale_champion_is_replaced_by_a_model_beating_baseline(stale):
    # Its RMSE was measured on other data or folds, so even a lower number is not comparable.
    decision = decide([cand("new", 12.0)], champ("old", 10.0, **stale), **CURRENT)
    assert decision.action == "promote" and decision.candidate.run_id == "new" and not decision.forced
    assert "stale" in decision.reason


@pytest.mark.parametrize("stale", [{"data_version": "v-old"}, {"cv": "kfold"}])
def test_stale_champion_is_not_replaced_by_a_model_below_baseline(stale):
    decision = decide([cand("new", 16.0, beats=False)], champ("old", 10.0, **stale), **CURRENT)
    assert decision.action == "register-only"


METRIC_CASES = [  # (best, champion, force): one case per reason decide() can give with a score in it
    pytest.param(cand("a", 10.0), None, False, id="first-promotion"),
    pytest.param(cand("a", 10.0), champ("old", 11.0), False, id="beats-champion"),
    pytest.param(cand("a", 12.0), champ("old", 11.0), False, id="keeps-champion"),
    pytest.param(cand("old", 10.0), champ("old", 10.0), False, id="already-champion"),
    pytest.param(cand("a", 16.0, beats=False), None, False, id="register-only"),
    pytest.param(cand("a", 16.0, beats=False), None, True, id="forced"),
]


@pytest.mark.parametrize(("best", "champion", "force"), METRIC_CASES)
@pytest.mark.parametrize(("metric", "label", "other"), [("mae_mean", "MAE", "RMSE"), ("rmse_mean", "RMSE", "MAE")])
def test_reasons_name_the_metric_the_runs_were_ranked_by(best, champion, force, metric, label, other):
    # promote metric=mae_mean once printed "RMSE 10" for a mean absolute error.
    from dataclasses import replace

    decision = decide([replace(best, metric=metric)], champion, **CURRENT, force=force)
    assert f"{label} " in decision.reason and other not in decision.reason, decision.reason


def test_version_description_names_the_metric():
    from dataclasses import replace

    from nacarbon.registry.descriptions import version_description

    text = version_description(replace(cand("a", 10.0), metric="mae_mean"), data_version=DATA, action="promote",
                               reason="r", forced=False)
    assert "Outer-CV MAE 10 vs mean baseline 15" in text and "Outer-CV RMSE" not in text


def test_a_champion_needs_the_significance_rule_and_carries_its_tags():
    import numpy as np
    import pandas as pd

    from nacarbon.evaluation.significance import compare_with_baseline
    from nacarbon.registry.promotion import version_tags
    from nacarbon.registry.selection import with_significance

    rng = np.random.default_rng(0)
    base = rng.uniform(9, 11, 25)
    # "lucky" has the lower mean RMSE but noisy gains: not significant after correction and Holm
    folds = pd.concat([pd.DataFrame({"family": f, "split": np.arange(25), "baseline_rmse": base, "n_train": 80,
                                     "n_test": 20, "rmse": base + e + rng.normal(0, s, 25)})
                       for f, e, s in [("lucky", -0.6, 4.0), ("steady", -0.5, 0.2)]], ignore_index=True)
    table = compare_with_baseline(folds)
    ranked = rank(with_significance([cand("lucky", 9.4), cand("steady", 9.5), cand("untested", 9.0)], table))
    by = {c.run_id: c for c in ranked}
    assert not by["lucky"].beats_baseline and by["steady"].beats_baseline and not by["untested"].beats_baseline
    assert decide(ranked, None, data_version="d", cv="repeated", features="rich").action == "register-only"
    assert decide([by["steady"]], None, data_version="d", cv="repeated", features="rich").action == "promote"
    tags = version_tags(by["lucky"], data_version="d", config={})
    assert float(tags["beats_baseline_p"]) >= 0.05 and "nadeau-bengio" in tags["beats_baseline_test"]
    assert tags["status"] == "below-baseline"


def test_the_verdict_travels_from_the_table_to_the_candidate_the_version_and_the_champion():
    import numpy as np
    import pandas as pd

    from nacarbon.comparison.table import comparison_table, significance_by_run
    from nacarbon.evaluation.significance import BEATS, NO_GAIN, SMALL_EFFECT
    from nacarbon.registry.champions import ChampionModel
    from nacarbon.registry.promotion import version_tags
    from nacarbon.registry.selection import with_significance

    rng = np.random.default_rng(1)
    base = rng.uniform(70, 80, 25)
    folds = pd.concat([pd.DataFrame({"fold": range(25), "model_r2": 0.1, "model_rmse": base * k + rng.normal(0, 0.1, 25),
                                     "model_mae": 1.0, "baseline_r2": 0.0, "baseline_rmse": base, "baseline_mae": 1.0,
                                     "n_train": 500, "n_test": 125, "target": "capacity", "model": name,
                                     "family": "tree", "complexity": 4, "search": "none", "run_id": name})
                       for name, k in (("small", 0.94), ("flat", 1.0))], ignore_index=True)
    found = with_significance([cand("small", 70.0), cand("flat", 75.0)], significance_by_run(comparison_table(folds)))
    by = {c.run_id: c for c in found}
    assert by["small"].verdict == SMALL_EFFECT and by["small"].beats_baseline     # may be champion ...
    assert by["flat"].verdict == NO_GAIN and not by["flat"].beats_baseline
    tags = version_tags(by["small"], data_version="d", config={})
    assert tags["verdict"] == SMALL_EFFECT and tags["beats_baseline"] == "true"

    def champion(t: dict, beats: bool) -> ChampionModel:
        return ChampionModel(target="capacity", version="1", run_id="r", predictor=None, oof=pd.DataFrame(),
                             training=pd.DataFrame(), target_column="c", beats_baseline=beats,
                             higher_is_better=True, tags=t)

    assert not champion(tags, True).ranked                                       # ... but is never ranked
    assert champion({"verdict": BEATS}, True).ranked
    assert champion({}, True).ranked and not champion({}, False).ranked          # versions from before verdicts
