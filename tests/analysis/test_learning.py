"""Learning curve and importance stability on the real seed ICE rows (grouped by paper)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.analysis.figures import plot_importance_stability, plot_learning_curve
from nacarbon.analysis.learning import importance_by_split, learning_curve, stability_summary
from nacarbon.commands.train import load_for_target
from nacarbon.evaluation.splits import RepeatedGroupKFold
from tests.conftest import compose_config


@pytest.fixture(scope="module")
def ice():
    cfg = compose_config("train", ["target=ice", "model=extra_trees", "model.estimator.n_estimators=20",
                                   "features=with_process"])
    return cfg.model, load_for_target(cfg)[1]


def test_learning_curve_scores_held_out_papers_at_each_fraction(ice):
    model, d = ice
    splitter = RepeatedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    curve = learning_curve(model, d.X, d.y, d.groups, splitter, fractions=(0.3, 1.0), seed=0)
    assert set(curve["fraction"]) == {0.3, 1.0} and set(curve["repeat"]) == {0, 1}
    full = curve[curve["fraction"] == 1.0]["n_papers"].mean()
    assert curve[curve["fraction"] == 0.3]["n_papers"].mean() == pytest.approx(0.3 * full, rel=0.2)
    # Fewer training papers: worse on held-out papers (on average over the repeats).
    by = curve.groupby("fraction")["rmse"].mean()
    assert by[0.3] > by[1.0]
    assert np.isfinite(curve["r2"]).all()


def test_importances_per_split_and_their_agreement(ice, tmp_path):
    model, d = ice
    splitter = RepeatedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    imp = importance_by_split(model, d.X, d.y, d.groups, splitter, n_repeats=2)
    assert len(imp) == 6 * d.X.shape[1] and set(imp["feature"]) == set(d.X.columns)
    assert (imp.groupby("split")["rank"].min() == 1).all()
    table, overall = stability_summary(imp)
    assert list(table["mean"]) == sorted(table["mean"], reverse=True)
    assert table["top_share"].between(0, 1).all() and -1 <= overall["mean_pairwise_rho"] <= 1
    assert overall["splits"] == 6
    # HTT carries ICE across papers (science notes): it is among the top features in most splits.
    assert table.set_index("feature").loc["htt_c", "top_share"] >= 0.5
    for f in (plot_importance_stability(imp, tmp_path / "imp.png"),
              plot_learning_curve(pd.DataFrame({"fraction": [0.5, 1.0], "repeat": 0, "n_papers": [10, 20],
                                                "r2": [0.3, 0.4], "rmse": [2, 1]}), tmp_path / "lc.png")):
        assert f.stat().st_size > 1000


def test_identical_importance_rankings_agree_perfectly():
    imp = pd.DataFrame({"split": np.repeat([0, 1, 2], 3), "feature": list("abc") * 3,
                        "importance": [3.0, 2.0, 1.0] * 3, "rank": [1, 2, 3] * 3})
    table, overall = stability_summary(imp)
    assert overall["mean_pairwise_rho"] == pytest.approx(1.0)
    assert table.iloc[0]["feature"] == "a" and table.iloc[0]["top_share"] == 1.0
