"""Pareto fronts, the weighted score and the chunk-mergeable accumulators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.errors import ConfigError
from nacarbon.screening.grid import CANDIDATE_ID
from nacarbon.screening.ranking import ParetoAccumulator, TopK, dominated_by, pareto_front, weighted_score


def _brute_force_front(values: np.ndarray, maximize: list[bool]) -> np.ndarray:
    gain = values * np.where(maximize, 1.0, -1.0)
    n = len(gain)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        for j in range(n):
            if np.all(gain[j] >= gain[i]) and np.any(gain[j] > gain[i]):
                keep[i] = False
                break
    return keep


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("maximize", [[True, True], [True, False], [False, True, True], [True, False, True, False]])
def test_pareto_front_matches_brute_force(seed, maximize):
    rng = np.random.default_rng(seed)
    continuous = rng.normal(size=(150, len(maximize)))
    ties = rng.integers(0, 4, size=(150, len(maximize))).astype(float)  # many duplicates and ties
    for values in (continuous, ties):
        np.testing.assert_array_equal(pareto_front(values, maximize), _brute_force_front(values, maximize))


@pytest.mark.parametrize("maximize", [[True, False], [False, True, True]])
def test_dominated_by_matches_brute_force(maximize):
    rng = np.random.default_rng(5)
    values = rng.integers(0, 5, size=(120, len(maximize))).astype(float)
    others = rng.integers(0, 5, size=(40, len(maximize))).astype(float)
    gain_v, gain_o = values * np.where(maximize, 1, -1), others * np.where(maximize, 1, -1)
    expected = [any(np.all(o >= v) and np.any(o > v) for o in gain_o) for v in gain_v]
    np.testing.assert_array_equal(dominated_by(values, others, maximize), expected)
    assert not dominated_by(values, others[:0], maximize).any()


def test_pareto_front_small_cases():
    values = np.array([[1.0, 5.0], [2.0, 4.0], [1.0, 4.0], [2.0, 4.0], [0.0, 0.0]])
    # maximise both: (1,4) is dominated by (1,5) and (2,4); the duplicate (2,4) rows both stay
    np.testing.assert_array_equal(pareto_front(values, [True, True]), [True, True, False, True, False])
    # minimise both: only the origin survives
    np.testing.assert_array_equal(pareto_front(values, [False, False]), [False, False, False, False, True])
    assert pareto_front(np.empty((0, 2)), [True, True]).shape == (0,)
    with pytest.raises(ValueError, match="finite"):
        pareto_front(np.array([[np.nan, 1.0]]), [True, True])
    with pytest.raises(ValueError, match="columns"):
        pareto_front(values, [True])


def test_weighted_score_by_hand():
    preds = pd.DataFrame({"cap": [300.0, 400.0, 500.0], "plateau": [0.2, 0.6, 1.0]})
    score = weighted_score(preds, {"cap": 3.0, "plateau": 1.0}, {"cap": "max", "plateau": "min"},
                           scale_from={"cap": (300.0, 500.0), "plateau": (0.2, 1.0)})
    # cap desirability 0, .5, 1; plateau 1, .5, 0 -> (3 d_cap + d_plat) / 4
    np.testing.assert_allclose(score, [0.25, 0.5, 0.75])


def test_weighted_score_is_chunk_independent_and_unclipped():
    rng = np.random.default_rng(1)
    preds = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    kw = dict(weights={"a": 1.0, "b": 2.0}, directions={"a": "max", "b": "min"},
              scale_from={"a": (-1.0, 1.0), "b": (0.0, 0.5)})
    whole = weighted_score(preds, **kw)
    parts = np.concatenate([weighted_score(preds.iloc[i:i + 7], **kw) for i in range(0, 100, 7)])
    np.testing.assert_array_equal(whole, parts)
    beyond = weighted_score(pd.DataFrame({"a": [2.0], "b": [0.0]}), **kw)
    assert beyond[0] > 1.0


@pytest.mark.parametrize(("weights", "directions", "message"), [
    ({"a": -1.0}, {"a": "max"}, "weight"),
    ({"a": float("nan")}, {"a": "max"}, "weight"),
    ({"a": 1.0}, {"a": "up"}, "direction"),
    ({"a": 0.0}, {"a": "max"}, "zero"),
])
def test_weighted_score_rejects_bad_config(weights, directions, message):
    with pytest.raises(ConfigError, match=message):
        weighted_score(pd.DataFrame({"a": [1.0]}), weights, directions, {"a": (0.0, 1.0)})


def test_weighted_score_needs_a_range_per_target():
    with pytest.raises(ConfigError, match="'a': no reference range"):
        weighted_score(pd.DataFrame({"a": [1.0]}), {"a": 1.0}, {"a": "max"}, {})


def _scored(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # coarse scores so that ties are common
    return pd.DataFrame({CANDIDATE_ID: np.arange(n), "score": rng.integers(0, 20, n) / 4,
                         "x": rng.normal(size=n), "y": rng.normal(size=n)})


@pytest.mark.parametrize("chunk", [1, 13, 1000])
def test_topk_chunked_equals_global_sort_with_id_tiebreak(chunk):
    frame = _scored(400, 0)
    acc = TopK(25)
    for i in range(0, len(frame), chunk):
        acc.update(frame.iloc[i:i + chunk])
    expected = frame.sort_values(["score", CANDIDATE_ID], ascending=[False, True]).head(25)
    result = acc.result()
    assert result[CANDIDATE_ID].tolist() == expected[CANDIDATE_ID].tolist()
    assert result["rank"].tolist() == list(range(1, 26))


def test_topk_merge_and_nan_scores():
    frame = _scored(100, 1)
    frame.loc[frame.index[:50], "score"] = np.nan  # infeasible rows carry no score
    left, right = TopK(10).update(frame.iloc[:60]), TopK(10).update(frame.iloc[60:])
    merged = left.merge(right).result()
    expected = frame.dropna().sort_values(["score", CANDIDATE_ID], ascending=[False, True]).head(10)
    assert merged[CANDIDATE_ID].tolist() == expected[CANDIDATE_ID].tolist()
    with pytest.raises(ConfigError):
        TopK(0)


@pytest.mark.parametrize("chunk", [3, 17, 400])
def test_pareto_accumulator_chunked_equals_global_front(chunk):
    frame = _scored(400, 2)
    acc = ParetoAccumulator(["x", "y"], [True, False])
    for i in range(0, len(frame), chunk):
        acc.update(frame.iloc[i:i + chunk])
    expected = frame[_brute_force_front(frame[["x", "y"]].to_numpy(), [True, False])]
    assert acc.result()[CANDIDATE_ID].tolist() == expected[CANDIDATE_ID].tolist()
