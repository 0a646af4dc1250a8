"""The chunked screening engine against brute force on the whole grid, with whole predictors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints
from nacarbon.screening.engine import Execution, Models, Plan, screen
from nacarbon.screening.evaluate import evaluate_rows
from nacarbon.screening.grid import CANDIDATE_ID, grid_chunk, grid_values
from nacarbon.screening.ranking import pareto_front

SPEC = {
    "d002_nm": {"values": [0.35, 0.365, 0.38]},
    "la_nm": {"start": 1.5, "stop": 5.0, "step": 0.5},
    "lc_nm": {"start": 0.7, "stop": 2.2, "step": 0.5},
    "id_ig": {"start": 0.43, "stop": 1.63, "step": 0.4},
    "ssa_m2_g": {"values": [2, 300, 587]},
}
N_GRID = 3 * 8 * 4 * 4 * 3
RULES = [
    {"name": "lc_two_layers", "expr": "lc_nm >= 2 * d002_nm"},
    {"name": "ice_at_least_60", "expr": "pred_ice >= 60"},
]
WEIGHTS = {"capacity": 2.0, "ice": 1.0, "plateau_voltage": 1.0, "rate": 5.0}
DIRECTIONS = {"capacity": "max", "ice": "max", "plateau_voltage": "min", "rate": "max"}
RANKED = ["capacity", "ice", "plateau_voltage"]


def _plan(**overrides) -> Plan:
    kw = dict(ranking_targets=RANKED, weights=WEIGHTS, directions=DIRECTIONS, top_k=15)
    constraints = overrides.pop("constraints", RULES)
    return Plan.build(SPEC, constraints, **(kw | overrides))


def _run(predictors, plan: Plan | None = None, **execution) -> pd.DataFrame:
    return screen(Models(dict(predictors)), plan or _plan(),
                  Execution(**({"chunk_size": N_GRID, "progress": False} | execution)))


def _brute_force(predictors) -> pd.DataFrame:
    grid = grid_chunk(grid_values(SPEC), 0, N_GRID)
    evaluate_rows(grid, predictors, [])
    return grid


@pytest.mark.parametrize("ranges", [None, {"capacity": (150, 300), "ice": (40, 90), "plateau_voltage": (0.3, 1)}])
def test_chunked_equals_single_chunk(whole_predictors, ranges):
    one = _run(whole_predictors, _plan(score_ranges=ranges))
    many = _run(whole_predictors, _plan(score_ranges=ranges), chunk_size=97)
    pd.testing.assert_frame_equal(one.top, many.top)
    pd.testing.assert_frame_equal(one.pareto, many.pareto)
    for key in ("n_candidates", "n_passed", "n_in_domain", "rule_failures", "score_ranges"):
        assert one.summary[key] == many.summary[key]
    for t, stats in one.summary["targets"].items():
        assert stats == pytest.approx(many.summary["targets"][t], rel=1e-12)
    assert many.summary["n_chunks"] == -(-N_GRID // 97)


def test_top_pareto_and_summary_match_brute_force(whole_predictors):
    result = _run(whole_predictors, chunk_size=200)
    grid = _brute_force(whole_predictors)
    ok = apply_constraints(grid, RULES).mask
    feasible = grid[ok]
    assert result.n_candidates == N_GRID
    assert result.n_passed == ok.sum() and 0 < ok.sum() < N_GRID
    assert result.summary["rule_failures"] == {
        "lc_two_layers": int((grid.lc_nm < 2 * grid.d002_nm).sum()),
        "ice_at_least_60": int((grid.pred_ice < 60).sum()),
        "finite_predictions": 0,
    }
    assert result.summary["n_in_domain"] == int(grid.in_domain.sum())
    cap = feasible.pred_capacity
    assert result.summary["targets"]["capacity"] == pytest.approx(
        {"count": len(cap), "min": cap.min(), "mean": cap.mean(), "max": cap.max()})
    # score on the feasible min-max ranges, weights renormalised over the ranked targets
    d = {}
    for t in RANKED:
        p = feasible[f"pred_{t}"]
        d[t] = (p - p.min()) / (p.max() - p.min())
        if DIRECTIONS[t] == "min":
            d[t] = 1 - d[t]
    score = sum(WEIGHTS[t] * d[t] for t in RANKED) / sum(WEIGHTS[t] for t in RANKED)
    best = feasible.assign(score=score).sort_values(["score", CANDIDATE_ID], ascending=[False, True]).head(15)
    assert result.top[CANDIDATE_ID].tolist() == best[CANDIDATE_ID].tolist()
    np.testing.assert_allclose(result.top.score, best.score, rtol=1e-10)
    front = pareto_front(feasible[[f"pred_{t}" for t in RANKED]].to_numpy(), [True, True, False])
    assert result.pareto[CANDIDATE_ID].tolist() == sorted(feasible[CANDIDATE_ID][front].tolist())


def test_columns_are_each_predictors_own_answer(whole_predictors):
    """Interval and domain come from the predictors themselves, as ``predict`` gives them."""
    top = _run(whole_predictors).top
    answers = {t: p.predict_features(top) for t, p in whole_predictors.items()}
    for t, answer in answers.items():
        for side in ("pred", "lo", "hi"):
            np.testing.assert_allclose(top[f"{side}_{t}"], answer[f"{side}_{t}"])
        assert (top[f"lo_{t}"] <= top[f"pred_{t}"]).all() and (top[f"pred_{t}"] <= top[f"hi_{t}"]).all()
    np.testing.assert_allclose(top.domain_score, np.max([a.domain_score for a in answers.values()], axis=0))
    np.testing.assert_array_equal(top.in_domain, top.domain_score <= 1.0)


def test_unranked_target_does_not_change_the_ranking(whole_predictors):
    with_rate = _run(whole_predictors)
    without = _run({t: whole_predictors[t] for t in RANKED})
    assert with_rate.top[CANDIDATE_ID].tolist() == without.top[CANDIDATE_ID].tolist()
    assert with_rate.summary["ranking_targets"] == RANKED
    ranked_on_rate = _run(whole_predictors, _plan(ranking_targets=[*RANKED, "rate"]))
    assert ranked_on_rate.top[CANDIDATE_ID].tolist() != with_rate.top[CANDIDATE_ID].tolist()


def test_domain_filter(whole_predictors):
    free = _run(whole_predictors)
    strict = _run(whole_predictors, _plan(require_in_domain=True))
    grid = _brute_force(whole_predictors)
    assert strict.summary["rule_failures"]["applicability_domain"] == int((~grid.in_domain).sum())
    assert strict.n_passed < free.n_passed
    assert strict.top.in_domain.all() and strict.pareto.in_domain.all()


def test_lcb_ranks_on_the_conservative_bounds(whole_predictors):
    result = _run(whole_predictors, _plan(rank_by="lcb"))
    grid = _brute_force(whole_predictors)
    feasible = grid[apply_constraints(grid, RULES).mask]
    bounds = feasible[["lo_capacity", "lo_ice", "hi_plateau_voltage"]].to_numpy()
    front = pareto_front(bounds, [True, True, False])
    assert result.pareto[CANDIDATE_ID].tolist() == sorted(feasible[CANDIDATE_ID][front].tolist())
    assert result.summary["rank_by"] == "lcb"


def test_constraint_on_interval_and_domain_columns(whole_predictors):
    rules = [*RULES, {"name": "ice_lower_bound", "expr": "lo_ice >= 30"},
             {"name": "near_data", "expr": "domain_score < 1.5"}]
    result = _run(whole_predictors, _plan(constraints=rules))
    assert len(result.top) and (result.top.lo_ice >= 30).all() and (result.top.domain_score < 1.5).all()


def test_all_rows_written_to_parquet(whole_predictors, tmp_path):
    path = tmp_path / "all.parquet"
    result = _run(whole_predictors, chunk_size=100, keep_all_path=str(path))
    rows = pd.read_parquet(path)
    assert rows[CANDIDATE_ID].tolist() == list(range(N_GRID))
    assert int(rows.passed.sum()) == result.n_passed
    assert rows.score.notna().sum() == result.n_passed
    top = rows.sort_values(["score", CANDIDATE_ID], ascending=[False, True]).head(15)
    assert top[CANDIDATE_ID].tolist() == result.top[CANDIDATE_ID].tolist()


def test_nothing_feasible(whole_predictors):
    result = _run(whole_predictors, _plan(constraints=[{"name": "impossible", "expr": "pred_ice > 1000"}]))
    assert result.n_passed == 0 and result.summary["rule_failures"]["impossible"] == N_GRID
    assert len(result.top) == 0 and len(result.pareto) == 0
    assert np.isnan(result.summary["targets"]["ice"]["mean"])


@pytest.mark.parametrize(("overrides", "message"), [
    ({"weights": {"capacity": 1.0}}, r"screen\.weights\.ice=None"),
    ({"directions": {**DIRECTIONS, "ice": "up"}}, "'ice': direction"),
    ({"score_ranges": {"capacity": (0, 1)}}, "'ice': no reference range"),
    ({"score_ranges": {t: (1, 0) for t in RANKED}}, "bad reference range"),
    ({"rank_by": "median"}, "rank_by"),
])
def test_bad_plan(overrides, message):
    with pytest.raises(ConfigError, match=message):
        _plan(**overrides)


@pytest.mark.parametrize(("plan", "execution", "message"), [
    ({"constraints": [{"name": "cap", "expr": "pred_cap > 0"}]}, {}, "rule 'cap': unknown column 'pred_cap'"),
    ({"ranking_targets": ["ice", "voltage"], "weights": {"ice": 1, "voltage": 1},
      "directions": {"ice": "max", "voltage": "max"}}, {}, "'voltage' has no predictor"),
    ({}, {"chunk_size": 0}, "chunk_size"),
    ({}, {"backend": "spark"}, r"screen\.backend='spark' is not allowed"),
])
def test_bad_configuration(whole_predictors, plan, execution, message):
    with pytest.raises(ConfigError, match=message):
        _run(whole_predictors, _plan(**plan), **execution)


def test_grid_must_carry_every_feature_a_predictor_reads(whole_predictors, seed_table):
    from tests.screening.conftest import fit_predictor

    with_htt = fit_predictor(seed_table, "ice", "ice_pct", [*SPEC, "htt_c"])
    with pytest.raises(ConfigError, match="lacks feature 'htt_c'"):
        _run({**whole_predictors, "ice": with_htt})


def test_a_bare_model_is_refused(whole_predictors, seed_table):
    """Screening builds no interval or domain of its own: a plain regressor is not enough."""
    bare = Ridge().fit(seed_table[list(SPEC)].fillna(0), seed_table["ice_pct"])
    with pytest.raises(ConfigError, match="'ice' is a Ridge, not a whole predictor"):
        _run({**whole_predictors, "ice": bare})
