"""Per-paper bias, the lab's share of the error, and ranking inside a paper, with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nacarbon.analysis.figures import oof_figures
from nacarbon.analysis.paper_error import (
    bias_summary, lab_share, per_paper_bias, ranking_summary, within_paper_spearman,
)
from nacarbon.uncertainty.lab_offset import variance_components

PNG = b"\x89PNG\r\n\x1a\n"


def oof_with_offsets(n_papers=60, rows=5, tau=3.0, sigma=2.0, n_single=0, seed=0, repeats=2) -> pd.DataFrame:
    """Residual = paper offset (sd tau) + noise (sd sigma); y_pred increases with y_true inside a paper."""
    rng = np.random.default_rng(seed)
    parts = []
    for rep in range(repeats):
        for p in range(n_papers + n_single):
            n = rows if p < n_papers else 1
            y = np.sort(rng.normal(70, 10, n))
            resid = rng.normal(0, tau) + rng.normal(0, sigma, n)
            parts.append(pd.DataFrame({"repeat": rep, "group": f"p{p}", "y_true": y, "y_pred": y - resid}))
    return pd.concat(parts, ignore_index=True)


def test_bias_is_the_mean_residual_of_each_paper_with_enough_rows():
    oof = pd.DataFrame({"repeat": 0, "group": ["a", "a", "b", "c", "c", "c"],
                        "y_true": [10, 12, 5, 1, 2, 3], "y_pred": [8, 8, 5, 2, 2, 2]})
    bias = per_paper_bias(oof).set_index("group")
    assert list(bias.index) == ["a", "c"]                  # b has one row
    assert bias.loc["a", "bias"] == pytest.approx(3.0) and bias.loc["c", "bias"] == pytest.approx(0.0)
    summary = bias_summary(per_paper_bias(oof), threshold=1.0)
    assert summary["median"] == pytest.approx(1.5) and summary["share_over"] == pytest.approx(0.5)


def test_anova_share_recovers_tau2_while_single_row_papers_inflate_the_naive_share():
    oof = oof_with_offsets(n_papers=150, tau=3.0, sigma=3.0, n_single=100, seed=1)
    share = lab_share(oof)
    assert share["anova"] == pytest.approx(0.5, abs=0.1)       # tau2 = sigma2
    assert share["naive"] > share["anova"] + 0.1   # one-row papers and small-paper means count as "lab" (expected 0.65)
    tau2, sigma2 = variance_components((oof["y_true"] - oof["y_pred"])[oof["repeat"] == 0],
                                       oof.loc[oof["repeat"] == 0, "group"])
    assert share["single_row_papers"] == 100
    assert 0 < tau2 and 0 < sigma2


def test_within_paper_rank_is_perfect_when_predictions_keep_the_order():
    oof = oof_with_offsets(tau=10.0, sigma=0.0)     # a pure offset: order inside each paper intact
    rhos = within_paper_spearman(oof)
    assert len(rhos) == 120 and np.allclose(rhos["rho"], 1.0)
    summary = ranking_summary(rhos)
    assert summary["median_rho"] == pytest.approx(1.0) and summary["share_positive"] == 1.0 and summary["papers"] == 60
    flipped = oof.assign(y_pred=-oof["y_pred"])
    assert np.allclose(within_paper_spearman(flipped)["rho"], -1.0)
    small = oof[oof.groupby(["repeat", "group"]).cumcount() < 2]       # 2 rows per paper: no rho
    assert within_paper_spearman(small).empty and np.isnan(ranking_summary(within_paper_spearman(small))["median_rho"])


def test_oof_figures_write_two_pngs_and_their_numbers(tmp_path):
    files, numbers = oof_figures(oof_with_offsets(), tmp_path, unit="%", label="ice")
    assert [f.name for f in files] == ["per_paper_error.png", "within_paper_ranking.png"]
    for f in files:
        assert f.read_bytes()[:8] == PNG
    assert 0 < numbers["paper_bias_abs_median"] < numbers["paper_bias_abs_p90"]
    assert numbers["within_paper_papers"] == 60 and numbers["within_paper_rho_median"] > 0.5
