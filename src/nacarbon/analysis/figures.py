"""The four figures of the methods audit: learning curve, importance stability, per-paper error,
within-paper ranking. Each takes the DataFrame its analysis function returns and writes one PNG.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from nacarbon.analysis.paper_error import (  # noqa: E402
    bias_summary, per_paper_bias, ranking_summary, within_paper_spearman,
)


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_learning_curve(curve: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """R² (mean ± sd over repeats) against the fraction of training papers."""
    agg = curve.groupby("fraction").agg(r2=("r2", "mean"), sd=("r2", "std"), papers=("n_papers", "mean")).reset_index()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.errorbar(agg["fraction"] * 100, agg["r2"], yerr=agg["sd"].fillna(0), marker="o", capsize=3)
    for _, r in agg.iterrows():
        ax.annotate(f"{r['papers']:.0f} papers", (r["fraction"] * 100, r["r2"]), textcoords="offset points",
                    xytext=(0, -14), ha="center", fontsize=7)
    ax.set_xlabel("training papers kept (%)")
    ax.set_ylabel("pooled out-of-fold R² (held-out papers)")
    ax.set_title(title or "Learning curve", fontsize=9)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_importance_stability(imp: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """Permutation importance of each feature over the outer splits (one box per feature)."""
    order = imp.groupby("feature")["importance"].mean().sort_values().index.tolist()
    fig, ax = plt.subplots(figsize=(5.5, 0.35 * len(order) + 1.2))
    ax.boxplot([imp.loc[imp["feature"] == f, "importance"] for f in order], orientation="horizontal",
               tick_labels=order)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"rise of test-fold RMSE when shuffled ({imp['split'].nunique()} splits)")
    ax.set_title(title or "Permutation importance across splits", fontsize=9)
    return _save(fig, path)


def plot_paper_bias(bias: pd.DataFrame, path: str | Path, *, unit: str = "", title: str = "") -> Path:
    """Histogram of per-paper mean residuals (papers with >= 2 rows, all repeats)."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.hist(bias["bias"], bins=30, color="#1f77b4", alpha=0.8)
    med = float(bias.groupby("repeat")["abs_bias"].median().mean())
    for x in (-med, med):
        ax.axvline(x, color="k", ls="--", lw=0.8)
    ax.set_xlabel(f"per-paper mean residual, measured − predicted{f' ({unit})' if unit else ''}")
    ax.set_ylabel("papers × repeats")
    ax.set_title(title or f"Per-paper bias (dashed: ± median |bias| {med:.3g})", fontsize=9)
    return _save(fig, path)


def plot_within_paper(rhos: pd.DataFrame, path: str | Path, *, title: str = "") -> Path:
    """Histogram of the within-paper Spearman ρ of predicted vs measured."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.hist(rhos["rho"], bins=np.linspace(-1, 1, 21), color="#2ca02c", alpha=0.8)
    if len(rhos):
        ax.axvline(float(rhos.groupby("repeat")["rho"].median().mean()), color="k", ls="--", lw=0.8, label="median")
        ax.legend(fontsize=8)
    ax.set_xlabel("Spearman ρ, predicted vs measured, within one paper")
    ax.set_ylabel("papers × repeats")
    ax.set_title(title or "Ranking inside a paper (papers with >= 3 rows)", fontsize=9)
    return _save(fig, path)


def oof_figures(oof: pd.DataFrame, out_dir: str | Path, *, unit: str = "", threshold: float | None = None,
                label: str = "") -> tuple[list[Path], dict[str, float]]:
    """Write ``per_paper_error.png`` and ``within_paper_ranking.png`` of a paper-grouped CV's ``oof``.

    Returns the PNGs and ``paper_bias_abs_median``, ``paper_bias_abs_p90``, ``paper_bias_share_over``,
    ``within_paper_rho_median``, ``within_paper_rho_positive``, ``within_paper_papers``. ``threshold``
    is the |bias| beyond which a paper counts as far off (default: the residuals' sd).
    """
    out_dir = Path(out_dir)
    bias, rhos = per_paper_bias(oof), within_paper_spearman(oof)
    if threshold is None:
        threshold = float(np.std(oof["y_true"] - oof["y_pred"]))
    files, numbers = [], {}
    if len(bias):
        b = bias_summary(bias, threshold=threshold)
        numbers |= {"paper_bias_abs_median": b["median"], "paper_bias_abs_p90": b["p90"],
                    "paper_bias_share_over": b["share_over"]}
        files.append(plot_paper_bias(bias, out_dir / "per_paper_error.png", unit=unit,
                                     title=f"{label}: per-paper bias, median |bias| {b['median']:.3g}, "
                                           f"{b['share_over']:.0%} beyond {threshold:.3g}"))
    if len(rhos):
        r = ranking_summary(rhos)
        numbers |= {"within_paper_rho_median": r["median_rho"], "within_paper_rho_positive": r["share_positive"],
                    "within_paper_papers": r["papers"]}
        files.append(plot_within_paper(rhos, out_dir / "within_paper_ranking.png",
                                       title=f"{label}: within-paper Spearman, median {r['median_rho']:.2f} "
                                             f"over {r['papers']:.0f} papers"))
    return files, numbers
