"""The reproduction report: its statistics on data with known answers, and what it prints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from nacarbon.analysis.correlation import spearman_table
from nacarbon.targets import TargetSpec
from nacarbon.reporting import paper
from nacarbon.reporting.agreement import compare_correlations, implied_n, main_factor, p_value, rho_interval
from nacarbon.reporting.md_html import markdown_to_html, md_table
from nacarbon.reporting.ranges import best_rows, box_vs_rest, inside, model_agreement, range_counts
from nacarbon.reporting.repro_facts import ReportInputs, fmt, p_eq
from nacarbon.reporting.reproduction import write_report

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
TARGETS = [TargetSpec("capacity", "capacity_mah_g", "Capacity", "mAh/g", True, ("seed",), "none", {}, {"trend": "auto"}),
           TargetSpec("rate", "rate_factor", "Rate", "1", True, ("seed",), "none", {}, {"trend": "auto"}),
           TargetSpec("plateau_voltage", "plateau_v", "Plateau", "V", False, ("seed",), "none", {}, {"trend": "auto"}),
           TargetSpec("ice", "ice_pct", "ICE", "%", True, ("seed",), "none", {}, {"trend": "auto"})]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """40 'hard' and 15 'soft' rows: capacity rises with La, the rate falls with ID/IG, noise elsewhere."""
    rng = np.random.default_rng(7)
    n = 55
    df = pd.DataFrame({"material_class": ["hard"] * 40 + ["soft"] * 15,
                       "d002_nm": rng.uniform(0.34, 0.41, n), "la_nm": rng.uniform(1.5, 5.5, n),
                       "lc_nm": rng.uniform(0.5, 2.6, n), "id_ig": rng.uniform(0.7, 1.6, n),
                       "ssa_m2_g": rng.uniform(1, 900, n)})
    df["capacity_mah_g"] = 150 + 30 * df["la_nm"] + rng.normal(0, 20, n)
    df["rate_factor"] = 1.0 - 0.5 * df["id_ig"] + rng.normal(0, 0.1, n)
    df["plateau_v"] = rng.uniform(0.4, 1.2, n)
    df["ice_pct"] = rng.uniform(30, 90, n)
    df.loc[3, "la_nm"] = np.nan   # pairwise-complete n must drop it for La only
    return df


@pytest.fixture(scope="module")
def spearman(frame) -> pd.DataFrame:
    return spearman_table(frame, FEATURES, [t.column for t in TARGETS], group_col="material_class")


def test_compare_correlations_equal_scipy(frame, spearman):
    corr = compare_correlations(spearman, paper.FIG2A, TARGETS, ["hard", "soft", "all"])
    assert len(corr) == 9
    for r in corr.itertuples():
        sub = frame if r.group == "all" else frame[frame["material_class"] == r.group]
        column = {t.name: t.column for t in TARGETS}[r.target]
        ok = sub[[r.feature, column]].dropna()
        expected = spearmanr(ok[r.feature], ok[column])
        assert r.n == len(ok)
        assert r.rho == pytest.approx(expected.statistic, abs=1e-12)
        assert r.p == pytest.approx(expected.pvalue, rel=1e-9)
        assert r.paper_rho == {"capacity": 0.223, "rate": 0.296, "plateau_voltage": 0.201}[r.target]
    hard_cap = corr[(corr["target"] == "capacity") & (corr["group"] == "hard")].iloc[0]
    assert hard_cap.n == 39 and hard_cap.same_sign and hard_cap.significant
    hard_rate = corr[(corr["target"] == "rate") & (corr["group"] == "hard")].iloc[0]
    assert not hard_rate.same_sign and hard_rate.rho < -0.5


@pytest.mark.parametrize("n", [12, 47, 130])
def test_implied_n_inverts_scipy_p_value(n):
    rng = np.random.default_rng(n)
    x = rng.normal(size=n)
    res = spearmanr(x, x + 2.0 * rng.normal(size=n))
    assert p_value(res.statistic, n) == pytest.approx(res.pvalue, rel=1e-9)
    assert implied_n(res.statistic, res.pvalue) == pytest.approx(n, abs=1e-3)


def test_paper_coefficients_imply_about_100_to_130_rows():
    ns = [implied_n(c.rho, c.p) for c in paper.FIG2A]
    assert [round(v) for v in ns] == [102, 121, 134]
    assert np.isnan(implied_n(0.0, 0.5)) and np.isnan(implied_n(0.9, 0.99))  # no n gives p=0.99 for rho 0.9


def test_rho_interval_known_values():
    # atanh(0.5) -/+ 1.96 sqrt(1.125 / 25), back through tanh
    lo, hi = rho_interval(0.5, 28)
    assert (lo, hi) == pytest.approx((0.13275, 0.74653), abs=1e-4)
    assert all(np.isnan(rho_interval(0.5, 3)))


def test_main_factor_is_largest_absolute_rho(spearman):
    assert main_factor(spearman, "capacity_mah_g", "hard")["feature"] == "la_nm"
    assert main_factor(spearman, "rate_factor", "all")["feature"] == "id_ig"
    assert main_factor(spearman, "missing_column", "all") is None


def test_ranges_count_rows_inside():
    df = pd.DataFrame({"la_nm": [2.0, 2.5, 5.0, 6.0, np.nan], "ssa_m2_g": [10.0, 400.0, 300.0, 50.0, 20.0],
                       "capacity_mah_g": [100.0, 400.0, 300.0, 200.0, 500.0]})
    ranges = {"la_nm": (2.5, 5.0), "ssa_m2_g": (None, 300.0)}
    assert inside(df["la_nm"], ranges["la_nm"]).tolist() == [False, True, True, False, False]
    counts = range_counts(df, ranges, {"all": pd.Series(True, index=df.index)}).set_index("feature")
    assert counts.loc["la_nm", ["n_measured", "n_inside"]].tolist() == [4, 2]
    assert counts.loc["ssa_m2_g", ["n_measured", "n_inside"]].tolist() == [5, 4]
    assert counts.loc["all five", ["n_measured", "n_inside"]].tolist() == [4, 1]   # only row 2
    spec = TargetSpec("capacity", "capacity_mah_g", "C", "mAh/g", True, (), "none", {}, {"trend": "auto"})
    best = best_rows(df, spec, ranges, k=3).set_index("feature")
    assert best.loc["la_nm", "values"] == "–, 2.5, 5"        # rows 4, 1, 2: best capacity first
    assert best.loc["la_nm", ["n_inside", "n_measured"]].tolist() == [2, 2]
    box = box_vs_rest(df, spec, ranges)
    assert (box["n_inside"], box["n_outside"], box["median_inside"], box["median_outside"]) == (1, 3, 300.0, 200.0)


class _Peak:
    """Predicts the closeness of La to 3.75 nm: best in the middle of the recommended range."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return -np.abs(X["la_nm"].to_numpy() - 3.75)


@pytest.mark.parametrize(("higher_is_better", "agrees"), [(True, 1.0), (False, 0.0)])
def test_model_agreement_follows_the_direction(higher_is_better, agrees):
    ref = pd.DataFrame({"la_nm": [1.0, 7.0], "lc_nm": [0.5, 3.0]})
    spec = TargetSpec("capacity", "capacity_mah_g", "C", "mAh/g", higher_is_better, (), "none", {}, {"trend": "auto"})
    a = model_agreement(_Peak(), ref, spec, {"la_nm": (2.5, 5.0), "d002_nm": (0.36, 0.4)}, levels=7)
    assert a["n_grid"] == 49 and a["share_inside"] == pytest.approx(3 / 7)   # La levels 1..7: 3, 4, 5 inside
    assert a["agrees"] == agrees
    assert a["share_inside_top"] == (1.0 if higher_is_better else 0.0)


def _inputs(frame, spearman, runs=None) -> ReportInputs:
    return ReportInputs(dataset="toy", data_version="abc123", frame=frame, targets=TARGETS, spearman=spearman,
                        runs=runs, provenance={"git": "deadbeef", "n_results": "0"})


def test_report_sets_paper_numbers_beside_computed_ones(tmp_path, frame, spearman):
    path = write_report(_inputs(frame, spearman), tmp_path / "repro")
    text = path.read_text()
    hard = frame[frame["material_class"] == "hard"][["la_nm", "capacity_mah_g"]].dropna()
    res = spearmanr(hard["la_nm"], hard["capacity_mah_g"])
    row = next(line for line in text.splitlines() if line.startswith("| Fig. 2a: capacity ~ La"))
    assert "ρ = 0.223, p = 0.024" in row
    assert f"ρ = {fmt(res.statistic)}, {p_eq(res.pvalue)}, n = {len(hard)}" in row
    assert "reproduced (same sign, p < α)" in row
    assert "n ≈ 102, 121, 134" in text
    assert "no training runs found; run `make run`" in text
    assert "SHAP skipped" in text
    assert "contradicts itself on rate ~ ID/IG" in text and "agreeing with the text" in text
    assert (tmp_path / "repro" / "figures" / "fig2a_comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert "![Paper vs this project](figures/fig2a_comparison.png)" in text
    html = (tmp_path / "repro" / "README.html").read_text()
    n_tables = sum(line.startswith("|---|") for line in text.splitlines())
    assert html.count("<table>") == n_tables > 5 and '<img alt="Paper vs this project"' in html
    csv = pd.read_csv(tmp_path / "repro" / "tables" / "fig2a_comparison.csv")
    assert csv.loc[(csv["target"] == "capacity") & (csv["group"] == "hard"), "rho"].item() == pytest.approx(
        res.statistic)


def test_report_ranks_the_papers_model_picks(tmp_path, frame, spearman):
    runs = pd.DataFrame({"target": ["capacity", "capacity", "rate"], "model": ["ridge", "xgboost", "gradient_boosting"],
                         "search": ["optuna", "optuna", "none"],
                         "run_id": ["a", "b", "c"], "rmse_mean": [30.0, 33.0, 0.1], "rmse_std": [5.0, 4.0, 0.02],
                         "baseline_rmse_mean": [40.0, 40.0, 0.2], "r2_pooled": [0.3, 0.2, 0.5],
                         "baseline_paired_p": [0.01, 0.04, 0.001], "beats_baseline": [True, True, True],
                         "rank": [1, 2, 1], "champion": ["1", "", "1"]})
    text = write_report(_inputs(frame, spearman, runs), tmp_path / "r").read_text()
    cap = next(line for line in text.splitlines() if line.startswith("| Best model for capacity"))
    assert "ridge: RMSE 30 ± 5" in cap and "paper's pick ranks 2 of 2, RMSE 33 vs 30 (within one fold-SD" in cap
    rate = next(line for line in text.splitlines() if line.startswith("| Best model for rate"))
    assert rate.endswith("| same pick |")
    assert "| capacity | 2 | xgboost (paper) | optuna |" in text
    ice = next(line for line in text.splitlines() if line.startswith("| Best model for ice"))
    assert "no training runs found" in ice


def test_markdown_to_html_subset():
    md = "\n".join(["# Title", "", "Some **bold** and *it* with `a<b`.", "", "- one", "- two [x](y.html)", "",
                    *md_table(["a", "b|c"], [[1, "<2>"]]), "![alt](figures/p.png)"])
    html = markdown_to_html(md, title="t")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<code>a&lt;b</code>" in html and "<ul><li>one</li><li>two <a href=\"y.html\">x</a></li></ul>" in html
    assert "<th>b|c</th>" in html and "<td>&lt;2&gt;</td>" in html
    assert '<img alt="alt" src="figures/p.png"' in html
