import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import ExtraTreesRegressor

from nacarbon.errors import ConfigError
from nacarbon.screening.constraints import apply_constraints
from nacarbon.suggest.acquisition import Objective
from nacarbon.suggest.select import SuggestConfig, suggest_batch
from nacarbon.suggest.space import candidate_pool
from nacarbon.uncertainty.space import LogStandardScaler, distances

GRID = {"d002_nm": {"start": 0.335, "stop": 0.41, "step": 0.015}, "la_nm": {"start": 1.5, "stop": 5.0, "step": 0.5},
        "lc_nm": {"values": [0.8, 1.3, 1.8]}, "id_ig": {"values": [0.8, 1.2]},
        "ssa_m2_g": {"values": [2.0, 20.0, 200.0]}}
RULES = [{"name": "d002_above_graphite", "expr": "d002_nm >= 0.3354"}, {"name": "lc_two_layers", "expr": "lc_nm >= 2 * d002_nm"}]
FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c"]
LAB = ["htt_c", "ssa_m2_g", "d002_nm"]


def truth(frame: pd.DataFrame) -> np.ndarray:
    """A planted optimum: ICE peaks at d002 0.38 nm, La 4 nm, SSA 2 m2/g, 1400 degC."""
    return (90 - 2000 * (frame["d002_nm"] - 0.38) ** 2 - 1.5 * (frame["la_nm"] - 4) ** 2
            - 3 * np.log10(frame["ssa_m2_g"] / 2) - ((frame["htt_c"] - 1400) / 200) ** 2).to_numpy()


def forest_predict(known: pd.DataFrame, seed: int = 0):
    model = ExtraTreesRegressor(n_estimators=50, random_state=seed).fit(known[FEATS], known["ice_pct"])

    def predict(pool):
        trees = np.stack([t.predict(pool[FEATS].to_numpy()) for t in model.estimators_])
        return {"ice_pct": (trees.mean(0), trees.std(0))}

    return predict


@pytest.fixture(scope="module")
def pool():
    return candidate_pool(GRID, {"htt_c": [1000, 1200, 1400, 1600], "electrolyte": ["ester"]}, RULES)


def known_rows(pool, idx):
    known = pool.iloc[idx].assign(ice_pct=truth(pool.iloc[idx]))
    return known.assign(sample_id=[f"K{i}" for i in range(len(idx))], source="toy")


def test_picks_are_distinct_inside_rules_and_domain_and_spaced(pool):
    known = known_rows(pool, np.arange(0, len(pool), 37))
    far = pool["ssa_m2_g"].to_numpy() > 100  # a domain that excludes high-SSA candidates
    cfg = SuggestConfig(n=8, min_distance=0.6, space=FEATS)
    picks = suggest_batch(pool, forest_predict(known), [Objective("ice_pct")], known, cfg,
                          domain=lambda p: (p["ssa_m2_g"].to_numpy(), ~far))
    assert len(picks) == 8 and picks["candidate_id"].is_unique
    assert apply_constraints(picks, RULES).mask.all() and (picks["ssa_m2_g"] < 100).all()
    # spread on the settings a lab controls, in the domain's space (SSA log-scaled) fitted on the known rows
    Z = LogStandardScaler().fit(known[LAB].to_numpy(float)).transform(picks[LAB].to_numpy(float))
    d = distances(Z, Z) + np.diag(np.full(8, np.inf))
    assert d.min() >= 0.6 and not picks.duplicated(LAB).any()
    np.testing.assert_allclose(picks["nearest_pick_distance"], d.min(axis=1))
    assert set(picks["mode"]) <= {"exploit", "explore"}
    assert (picks["lo_ice_pct"] <= picks["pred_ice_pct"]).all() and (picks["pred_ice_pct"] <= picks["hi_ice_pct"]).all()
    assert picks["nearest_known"].str.match(r"K\d+ \(toy\) d=\d").all()


def test_batch_spans_lab_settings_not_la_lc_idig_variants_of_one_material(pool):
    """The planted optimum has six equally good Lc/ID-IG variants: a lab cannot make them apart."""
    known = known_rows(pool, np.arange(0, len(pool), 37))

    def exact(p):
        return {"ice_pct": (truth(p), np.zeros(len(p)))}

    full = suggest_batch(pool, exact, [Objective("ice_pct")], known,
                         SuggestConfig(n=8, method="mean", min_distance=0.25, diversity=FEATS, space=FEATS))
    assert len(full.drop_duplicates(LAB)) <= 2         # the old rule: eight variants of one or two settings
    lab = suggest_batch(pool, exact, [Objective("ice_pct")], known,
                        SuggestConfig(n=8, method="mean", space=FEATS))
    assert len(lab.drop_duplicates(LAB)) == 8 and lab["acquisition"].is_monotonic_decreasing
    assert lab.iloc[0][LAB].tolist() == [1400, 2.0, 0.38] and lab["nearest_pick_distance"].min() >= 0.07
    with pytest.raises(ConfigError, match="diversity=.*none is a column"):
        suggest_batch(pool, exact, [Objective("ice_pct")], known, SuggestConfig(diversity=["precursor"]))


def test_a_candidate_without_a_distance_to_the_data_is_never_picked(pool):
    """Score inf (no structure data to place it) is left out even where the caller does not enforce the domain."""
    known = known_rows(pool, np.arange(0, len(pool), 37))
    predict = forest_predict(known)
    plain = suggest_batch(pool, predict, [Objective("ice_pct")], known, SuggestConfig(n=3, space=FEATS))
    unplaced = pool["candidate_id"].isin(plain["candidate_id"]).to_numpy()
    score = np.where(unplaced, np.inf, 0.5)
    picks = suggest_batch(pool, predict, [Objective("ice_pct")], known, SuggestConfig(n=3, space=FEATS),
                          domain=lambda p: (score, np.ones(len(p), bool)))
    assert len(picks) == 3 and not picks["candidate_id"].isin(plain["candidate_id"]).any()
    assert (picks["domain_score"] == 0.5).all()
    with pytest.raises(ConfigError, match="applicability domain"):
        suggest_batch(pool, predict, [Objective("ice_pct")], known,
                      domain=lambda p: (np.full(len(p), np.inf), np.ones(len(p), bool)))


def test_loop_finds_the_planted_optimum_faster_than_random(pool):
    y = truth(pool)
    best = set(np.flatnonzero(y >= np.sort(y)[-3]))  # the three best candidates

    def rounds_to_optimum(strategy, seed, max_rounds=25):
        rng = np.random.default_rng(seed)
        known_idx = rng.choice(len(pool), 12, replace=False)
        for r in range(1, max_rounds + 1):
            rest = np.setdiff1d(np.arange(len(pool)), known_idx)
            if strategy == "random":
                chosen = rng.choice(rest, 8, replace=False)
            else:
                known = known_rows(pool, known_idx)
                cand = pool.iloc[rest].assign(_i=rest)
                picks = suggest_batch(cand, forest_predict(known, seed), [Objective("ice_pct")], known,
                                      SuggestConfig(n=8, kappa=0.5, min_distance=0.3, space=FEATS))
                chosen = picks["_i"].to_numpy()
            if best & set(chosen):
                return r
            known_idx = np.union1d(known_idx, chosen)
        return max_rounds + 1

    guided = [rounds_to_optimum("guided", s) for s in range(5)]
    random = [rounds_to_optimum("random", s) for s in range(5)]
    assert np.mean(guided) < 0.5 * np.mean(random), (guided, random)


def test_bad_inputs_are_config_errors(pool):
    known = known_rows(pool, np.arange(0, len(pool), 37))
    predict = forest_predict(known)
    with pytest.raises(ConfigError, match="n=.* is not allowed: expected a batch size, an integer >= 1"):
        suggest_batch(pool, predict, [Objective("ice_pct")], known, SuggestConfig(n=0))
    with pytest.raises(ConfigError, match="'capacity_mah_g'.*no predictions"):
        suggest_batch(pool, predict, [Objective("capacity_mah_g")], known)
    with pytest.raises(ConfigError, match="pool is empty"):
        suggest_batch(pool.iloc[:0], predict, [Objective("ice_pct")], known)
    with pytest.raises(ConfigError, match="applicability domain"):
        suggest_batch(pool, predict, [Objective("ice_pct")], known,
                      domain=lambda p: (np.zeros(len(p)), np.zeros(len(p), bool)))
    with pytest.raises(ConfigError, match=r"\(mean, lo, hi\)"):
        suggest_batch(pool, lambda p: {"ice_pct": np.zeros(len(p))}, [Objective("ice_pct")], known)


def test_interval_predictions_and_ei(pool):
    known = known_rows(pool, np.arange(0, len(pool), 37))
    base = forest_predict(known)

    def interval_predict(p):
        m, s = base(p)["ice_pct"]
        return {"ice_pct": (m, m - 1.645 * s, m + 1.645 * s)}

    picks = suggest_batch(pool, interval_predict, [Objective("ice_pct")], known, SuggestConfig(method="ei", n=4))
    assert len(picks) == 4 and (picks["acquisition"] >= 0).all()
    assert np.allclose(picks["acquisition"], picks["exploit"] + picks["explore"])


def test_series_prior_ranks_a_dominated_sibling_below_its_series_best():
    """Same predicted ICE: the sample a hotter, less porous sibling dominates goes last."""
    pool = pd.DataFrame({"precursor": ["pine", "pine", "pitch"], "htt_c": [1100.0, 1400.0, 1200.0],
                         "ssa_m2_g": [40.0, 8.0, 20.0], "d002_nm": [0.38, 0.375, 0.37]})
    known = pd.DataFrame({"ice_pct": [70.0, 80.0, 90.0], "precursor": ["x", "y", "z"],
                          "htt_c": [1000.0, 1300.0, 1500.0], "ssa_m2_g": [50.0, 10.0, 3.0], "d002_nm": [0.38] * 3})

    def predict(p):
        return {"ice_pct": (np.array([85.0, 84.0, 84.5]), np.full(len(p), 1.0))}

    base = SuggestConfig(n=3, method="mean", min_distance=0.0, space=["d002_nm"])
    plain = suggest_batch(pool, predict, [Objective("ice_pct")], known, base)
    assert plain["htt_c"].tolist() == [1100.0, 1200.0, 1400.0]
    prior = SuggestConfig(n=3, method="mean", min_distance=0.0, space=["d002_nm"], series_column="precursor",
                          series_prior=0.25, series_trends={"ice_pct": {"htt_c": "increasing", "ssa_m2_g": "decreasing"}})
    ranked = suggest_batch(pool, predict, [Objective("ice_pct")], known, prior)
    assert ranked["htt_c"].tolist() == [1200.0, 1400.0, 1100.0]
    assert ranked["series_dominated"].tolist() == [False, False, True]
    assert ranked["pred_ice_pct"].tolist() == [84.5, 84.0, 85.0]  # the model's own prediction is reported
    # a measured sibling counts too: a known pine sample at 1500 degC and 5 m2/g dominates both pine candidates
    known_pine = pd.concat([known, pd.DataFrame({"ice_pct": [88.0], "precursor": ["pine"], "htt_c": [1500.0],
                                                 "ssa_m2_g": [5.0], "d002_nm": [0.37]})], ignore_index=True)
    ranked = suggest_batch(pool, predict, [Objective("ice_pct")], known_pine, prior)
    assert ranked["htt_c"].tolist()[0] == 1200.0 and ranked["series_dominated"].tolist() == [False, True, True]
    with pytest.raises(ConfigError, match="series.column='batch' is not a column"):
        suggest_batch(pool, predict, [Objective("ice_pct")], known,
                      SuggestConfig(n=2, series_column="batch", series_prior=0.25,
                                    series_trends={"ice_pct": {"htt_c": "increasing"}}, space=["d002_nm"]))
