"""The LPO domain: log-scaled skewed features, NaN-aware distance, threshold on papers, flag semantics,
and a sample without structure data (issue 22, F2): out of the domain with a reason, in predict and the served model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.uncertainty.domain import PaperDomain

FEATS = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]


@pytest.fixture(scope="module")
def fitted(literature):
    X = literature[FEATS].to_numpy(float)
    return PaperDomain().fit(X, groups=literature["source"].to_numpy()), X


def test_ssa_is_log_scaled_and_d002_is_not(fitted):
    dom, _ = fitted
    logged = dict(zip(FEATS, dom.space_.log_))
    assert logged["ssa_m2_g"] and not logged["d002_nm"]


def test_threshold_is_the_quantile_of_new_papers_distances(fitted):
    dom, _ = fitted
    share = np.mean(dom.lpo_distances_ <= dom.threshold_)
    assert 0.94 <= share <= 0.96
    # Training rows queried against all rows are closer than against the other papers only.
    assert np.median(dom.distance(fitted[1])) < np.median(dom.lpo_distances_)


def test_flag_score_and_percentile_agree(fitted):
    dom, X = fitted
    near = np.nanmedian(X, axis=0)[None]
    far = near.copy()
    far[0, 4] = 3400.0                       # SSA far above the data but physically possible
    far[0, 0] = 0.49
    q = np.vstack([near, far])
    score, flag, pct = dom.score(q), dom.predict(q), dom.percentile(q)
    assert flag.tolist() == [True, False]
    assert score[0] <= 1 < score[1] and pct[0] < pct[1] and pct[1] == 1.0
    assert "95%" in dom.describe(FEATS) and "ssa_m2_g" in dom.describe(FEATS)


def test_missing_features_are_scored_not_dropped(fitted):
    dom, X = fitted
    row = np.nanmedian(X, axis=0)[None].copy()
    row[0, 1:3] = np.nan                     # La and Lc unknown (half the literature lacks them)
    d = dom.distance(row)
    assert np.isfinite(d).all()
    nothing = np.full((1, len(FEATS)), np.nan)
    assert not dom.predict(nothing)[0]


def test_needs_groups():
    with pytest.raises(ValueError, match="groups"):
        PaperDomain().fit(np.random.default_rng(0).random((20, 3)))


def test_flags_are_not_log_scaled():
    from nacarbon.uncertainty.space import LogStandardScaler

    flag = np.r_[np.zeros(90), np.ones(10)]          # skew ~2.7, but a 0/1 flag
    ssa = np.random.default_rng(0).lognormal(3, 1.5, 100)
    assert LogStandardScaler().fit(np.c_[flag, ssa]).log_.tolist() == [False, True]


# --- A sample without structure data (issue 22, F2) ---------------------------------------------

RICH = [*FEATS, "htt_c", "is_soft", "is_ether", "current_ma_g"]
INPUT = ["sample_id", "material_class", "htt_c", "electrolyte", "current_ma_g", *FEATS]


@pytest.fixture(scope="module")
def rich_predictor(literature):
    from sklearn.ensemble import ExtraTreesRegressor

    from nacarbon.uncertainty.conformal import GroupConformalRegressor
    from nacarbon.uncertainty.predictor import SamplePredictor

    reg = GroupConformalRegressor(ExtraTreesRegressor(n_estimators=30, random_state=0))
    return SamplePredictor("ice", "ice_pct", RICH, regressor=reg).fit(literature)


@pytest.fixture(scope="module")
def f2_rows(literature):
    """A fully characterised literature sample (L-0012) as typed by a user, then with gaps."""
    row = literature.loc[literature["sample_id"] == "L-0012", INPUT].astype(object).iloc[0].to_dict()
    rows = {"normal": dict(row), "one_empty": {**row, "d002_nm": None}, "two_empty": {**row, "la_nm": None, "lc_nm": None},
            "three_empty": {**row, "la_nm": None, "lc_nm": None, "id_ig": None},
            "all_empty": {**row, **dict.fromkeys(FEATS)}}
    return pd.DataFrame([{**r, "sample_id": k} for k, r in rows.items()]).astype(str).replace("None", "")


def test_a_row_without_structure_is_out_of_domain_and_says_why(rich_predictor, f2_rows):
    out = rich_predictor.predict_frame(f2_rows).set_index("sample_id")
    assert out.loc[["normal", "one_empty", "two_empty"], "in_domain"].all()
    assert (out.loc[["normal", "one_empty", "two_empty"], "domain_note"] == "").all()
    empty = out.loc["all_empty"]
    assert not empty["in_domain"] and empty["domain_score"] == np.inf and empty["domain_percentile"] == 1.0
    assert "only 0 of the 5 structure features" in empty["domain_note"] and "at least 3" in empty["domain_note"]
    assert empty["nearest1_sample_id"] == "" and empty["nearest1_distance"] == np.inf
    assert not out.loc["three_empty", "in_domain"] and "only 2 of the 5" in out.loc["three_empty", "domain_note"]
    assert np.isfinite(out["pred_ice"]).all()                    # the model still answers; the flag says how far to trust it
    assert "fewer than 3 of the structure features" in rich_predictor.describe()


def test_rows_with_enough_structure_keep_todays_distance(rich_predictor, f2_rows):
    """One empty cell: the same NaN-aware distance as without the rule (nothing moves)."""
    from nacarbon.uncertainty.domain import nearest
    from nacarbon.uncertainty.predictor import build_features, check_input

    dom = rich_predictor.domain
    X = build_features(check_input(f2_rows, RICH), RICH)[RICH].to_numpy(float)
    plain, _ = nearest(dom.space_.transform(X), dom.Z_, dom.n_neighbors)
    got = dom.distance(pd.DataFrame(X, columns=RICH))
    np.testing.assert_allclose(got[:3], plain[:3].mean(axis=1))
    assert plain[4].mean() / dom.threshold_ < 0.1               # the bug: all-empty looked closest of all
    assert got[4] == np.inf


def test_the_rule_moves_no_training_number_when_every_sample_has_enough_structure(literature):
    X = literature[FEATS]
    groups = literature["source"].to_numpy()
    ruled, plain = PaperDomain().fit(X, groups=groups), PaperDomain(min_structure=0.0).fit(X, groups=groups)
    assert ruled.min_known_ == 3 and plain.min_known_ == 0
    np.testing.assert_array_equal(ruled.lpo_distances_, plain.lpo_distances_)
    assert ruled.threshold_ == plain.threshold_


def test_served_model_flags_the_row_as_predict_does(rich_predictor, f2_rows):
    import io

    from mlflow.pyfunc.scoring_server import predictions_to_json

    from nacarbon.tracking.pyfunc_model import SamplePredictorModel

    request = f2_rows.replace("", None)                          # JSON nulls
    answer = SamplePredictorModel(rich_predictor).predict(None, request)
    assert answer["in_domain"].tolist() == [True, True, True, False, False]
    body = io.StringIO()
    predictions_to_json(answer, body)
    assert '"in_domain": false' in body.getvalue() and "only 0 of the 5 structure features" in body.getvalue()


def test_answer_names_the_reason_per_target(rich_predictor, f2_rows):
    from nacarbon.uncertainty.answer import answer_frame

    out = answer_frame(f2_rows, {"ice": rich_predictor})
    assert out["domain_note_ice"].str.startswith("only 0 of").tolist() == [False] * 4 + [True]
    assert out["in_domain"].tolist() == [True, True, True, False, False]


def test_min_structure_is_checked_and_an_unnamed_fit_counts_every_feature(literature):
    with pytest.raises(ConfigError, match=r"PaperDomain.min_structure=.* expected a share in \[0, 1\]"):
        PaperDomain(min_structure=1.5).fit(literature[FEATS], groups=literature["source"].to_numpy())
    dom = PaperDomain().fit(literature[FEATS[:4]].to_numpy(float), groups=literature["source"].to_numpy())
    assert dom.structure_.tolist() == [0, 1, 2, 3] and dom.min_known_ == 2


def test_a_domain_pickled_before_the_rule_still_answers(literature):
    dom = PaperDomain().fit(literature[FEATS].to_numpy(float), groups=literature["source"].to_numpy())
    for name in ("structure_", "min_known_"):
        delattr(dom, name)
    row = np.full((1, len(FEATS)), np.nan)
    row[0, 4] = 20.0
    assert np.isfinite(dom.score(row)).all() and dom.reasons(row).shape == (1,)
