"""The chunked screening engine against brute force on the whole grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints
from nacarbon.screening.domain import ApplicabilityDomain
from nacarbon.screening.engine import screen
from nacarbon.screening.grid import CANDIDATE_ID, iter_grid_chunks
from nacarbon.screening.intervals import ConformalInterval
from nacarbon.screening.ranking import pareto_front

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
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
    {"name": "ice_le_100", "expr": "pred_ice_pct <= 100"},
]
WEIGHTS = {"capacity_mah_g": 2.0, "ice_pct": 1.0, "plateau_v": 1.0, "rate_factor": 5.0}
DIRECTIONS = {"capacity_mah_g": "max", "ice_pct": "max", "plateau_v": "min", "rate_factor": "max"}
RANKED = ["capacity_mah_g", "ice_pct", "plateau_v"]


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    low, high = np.array([0.34, 1.5, 0.6, 0.4, 2.0]), np.array([0.40, 5.0, 2.5, 1.7, 600.0])
    return pd.DataFrame(rng.uniform(low, high, size=(80, 5)), columns=FEATURES)


@pytest.fixture(scope="module")
def models(training):
    rng = np.random.default_rng(8)
    X = training
    ys = {
        "capacity_mah_g": 200 + 25 * X.la_nm + 30 * X.lc_nm - 40 * X.id_ig + 0.05 * X.ssa_m2_g,
        "ice_pct": 96 - 0.03 * X.ssa_m2_g + 4 * X.lc_nm - 2 * X.id_ig,
        "plateau_v": 0.9 - 0.08 * X.la_nm + 2 * (X.d002_nm - 0.37) + 0.05 * X.id_ig,
        "rate_factor": 0.1 + 0.06 * X.id_ig + 0.02 * X.lc_nm,
    }
    predictors = {t: Ridge(alpha=1e-3).fit(X, y + rng.normal(0, 0.01 * y.std(), len(y))) for t, y in ys.items()}
    intervals = {t: ConformalInterval(alpha=0.1).fit(ys[t], predictors[t].predict(X) + rng.normal(0, 1, 80))
                 for t in ("capacity_mah_g", "ice_pct")}
    return predictors, intervals, ApplicabilityDomain(n_neighbors=5).fit(X)


def _run(models, **overrides):
    predictors, intervals, domain = models
    kw = dict(constraints=RULES, weights=WEIGHTS, directions=DIRECTIONS, ranking_targets=RANKED,
              domain=domain, intervals=intervals, chunk_size=N_GRID, top_k=15, progress=False)
    kw.update(overrides)
    return screen(SPEC, predictors, **kw)


def _brute_force(models) -> pd.DataFrame:
    predictors, _, domain = models
    grid = next(iter_grid_chunks(SPEC, N_GRID))
    for t, p in predictors.items():
        grid[f"pred_{t}"] = p.predict(grid[FEATURES])
    grid["in_domain"] = domain.predict(grid[FEATURES])
    return grid


@pytest.mark.parametrize("ranges", [None, {"capacity_mah_g": (250, 450), "ice_pct": (70, 100), "plateau_v": (0.3, 1)}])
def test_chunked_equals_single_chunk(models, ranges):
    one = _run(models, score_ranges=ranges)
    many = _run(models, score_ranges=ranges, chunk_size=97)
    pd.testing.assert_frame_equal(one.top, many.top)
    pd.testing.assert_frame_equal(one.pareto, many.pareto)
    for key in ("n_candidates", "n_passed", "n_in_domain", "rule_failures", "score_ranges"):
        assert one.summary[key] == many.summary[key]
    for t, stats in one.summary["targets"].items():
        assert stats == pytest.approx(many.summary["targets"][t], rel=1e-12)
    assert many.summary["n_chunks"] == -(-N_GRID // 97)


def test_top_pareto_and_summary_match_brute_force(models):
    result = _run(models, chunk_size=200)
    grid = _brute_force(models)
    ok = apply_constraints(grid, RULES).mask
    feasible = grid[ok]
    assert result.n_candidates == N_GRID
    assert result.n_passed == ok.sum() and 0 < ok.sum() < N_GRID
    assert result.summary["rule_failures"] == {
        "lc_two_layers": int((grid.lc_nm < 2 * grid.d002_nm).sum()),
        "ice_le_100": int((grid.pred_ice_pct > 100).sum()),
        "finite_predictions": 0,
    }
    assert result.summary["n_in_domain"] == int(grid.in_domain.sum())
    cap = feasible.pred_capacity_mah_g
    assert result.summary["targets"]["capacity_mah_g"] == pytest.approx(
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


def test_output_columns_intervals_and_domain(models):
    _, intervals, domain = models
    top = _run(models).top
    for t in WEIGHTS:
        assert f"pred_{t}" in top  # unranked rate_factor is still predicted and reported
    q = intervals["capacity_mah_g"].q_
    np.testing.assert_allclose(top.hi_capacity_mah_g - top.pred_capacity_mah_g, q)
    np.testing.assert_allclose(top.pred_capacity_mah_g - top.lo_capacity_mah_g, q)
    assert "lo_plateau_v" not in top  # no interval given for it
    np.testing.assert_array_equal(top.in_domain, top.domain_score <= domain.threshold_)


def test_unranked_target_does_not_change_the_ranking(models):
    predictors, intervals, domain = models
    with_rate = _run(models)
    without = screen(SPEC, {t: predictors[t] for t in RANKED}, constraints=RULES, weights=WEIGHTS,
                     directions=DIRECTIONS, domain=domain, intervals=intervals, top_k=15, progress=False)
    assert with_rate.top[CANDIDATE_ID].tolist() == without.top[CANDIDATE_ID].tolist()
    assert with_rate.summary["ranking_targets"] == RANKED
    ranked_on_rate = _run(models, ranking_targets=[*RANKED, "rate_factor"])
    assert ranked_on_rate.top[CANDIDATE_ID].tolist() != with_rate.top[CANDIDATE_ID].tolist()


def test_domain_filter(models):
    free = _run(models)
    strict = _run(models, require_in_domain=True)
    grid = _brute_force(models)
    assert strict.summary["rule_failures"]["applicability_domain"] == int((~grid.in_domain).sum())
    assert strict.n_passed < free.n_passed
    assert strict.top.in_domain.all() and strict.pareto.in_domain.all()


def test_constraint_on_interval_and_domain_columns(models):
    rules = [*RULES, {"name": "ice_lower_bound", "expr": "lo_ice_pct >= 85"},
             {"name": "near_data", "expr": "domain_score < 1.5"}]
    result = _run(models, constraints=rules)
    assert (result.top.lo_ice_pct >= 85).all() and (result.top.domain_score < 1.5).all()


def test_all_rows_written_to_parquet(models, tmp_path):
    path = tmp_path / "all.parquet"
    result = _run(models, chunk_size=100, keep_all_path=str(path))
    rows = pd.read_parquet(path)
    assert rows[CANDIDATE_ID].tolist() == list(range(N_GRID))
    assert int(rows.passed.sum()) == result.n_passed
    assert rows.score.notna().sum() == result.n_passed
    top = rows.sort_values(["score", CANDIDATE_ID], ascending=[False, True]).head(15)
    assert top[CANDIDATE_ID].tolist() == result.top[CANDIDATE_ID].tolist()


def test_nothing_feasible(models):
    result = _run(models, constraints=[{"name": "impossible", "expr": "pred_ice_pct > 1000"}])
    assert result.n_passed == 0 and result.summary["rule_failures"]["impossible"] == N_GRID
    assert len(result.top) == 0 and len(result.pareto) == 0
    assert np.isnan(result.summary["targets"]["ice_pct"]["mean"])


class _BadShape:
    def predict(self, X):
        return np.zeros((len(X), 2))


@pytest.mark.parametrize(("overrides", "message"), [
    ({"constraints": [{"name": "cap", "expr": "pred_capacity > 0"}]}, "rule 'cap': unknown column 'pred_capacity'"),
    ({"ranking_targets": ["ice_pct", "voltage"]}, "'voltage' has no predictor"),
    ({"weights": {"capacity_mah_g": 1.0}}, "'ice_pct': weight"),
    ({"directions": {**DIRECTIONS, "ice_pct": "up"}}, "'ice_pct': direction"),
    ({"domain": None, "require_in_domain": True}, "require_in_domain"),
    ({"intervals": {"voltage": ConformalInterval()}}, "'voltage' has no predictor"),
    ({"score_ranges": {"capacity_mah_g": (0, 1)}}, "'ice_pct': no reference range"),
    ({"score_ranges": {t: (1, 0) for t in RANKED}}, "bad reference range"),
    ({"features": [*FEATURES, "htt_c"]}, "lacks feature 'htt_c'"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"backend": "spark"}, "unknown screening backend"),
])
def test_bad_configuration(models, overrides, message):
    with pytest.raises(ConfigError, match=message):
        _run(models, **overrides)


def test_bad_predictor_output(models):
    predictors, _, _ = models
    with pytest.raises(ConfigError, match="'broken' returned shape"):
        screen(SPEC, {**predictors, "broken": _BadShape()}, constraints=[], weights=WEIGHTS,
               directions=DIRECTIONS, ranking_targets=RANKED, progress=False)
