"""Fig. S5-style plot: each model's fold metrics against the mean baseline."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from nacarbon.comparison.table import BASELINE  # noqa: E402
from nacarbon.evaluation.significance import BEATS, SMALL_EFFECT  # noqa: E402

# Fold R² on a few held-out papers can be far below zero; the axis stops here and such folds
# are drawn at the edge as "<" so the interesting range near 0..1 stays readable.
R2_FLOOR = -2.0
_PANELS = (("r2", "R²"), ("rmse", "RMSE"), ("mae", "MAE"))
_WIN, _SMALL, _LOSE, _BASE = "#2ca02c", "#ff7f0e", "#1f77b4", "#7f7f7f"


def _panel(ax, table: pd.DataFrame, folds: pd.DataFrame, metric: str, label: str) -> None:
    base = table[table["model"] == BASELINE].iloc[0]
    models = table[table["model"] != BASELINE]
    ypos = np.arange(len(models))[::-1]
    floor = R2_FLOOR if metric == "r2" else -np.inf
    ax.axvspan(base[f"{metric}_mean"] - base[f"{metric}_std"], base[f"{metric}_mean"] + base[f"{metric}_std"],
               color=_BASE, alpha=0.15, lw=0)
    ax.axvline(base[f"{metric}_mean"], color=_BASE, ls="--", lw=1.2, label="mean baseline ± std")
    for y, (_, row) in zip(ypos, models.iterrows()):
        color = {BEATS: _WIN, SMALL_EFFECT: _SMALL}.get(row["verdict"], _LOSE)
        vals = folds.loc[folds["run_id"] == row["run_id"], f"model_{metric}"].to_numpy(float)
        low = vals < floor
        jitter = np.linspace(-0.18, 0.18, len(vals)) if len(vals) > 1 else np.zeros(1)
        ax.scatter(vals[~low], y + jitter[~low], s=10, color=color, alpha=0.45, lw=0)
        ax.scatter(np.full(low.sum(), floor), y + jitter[low], s=22, marker="<", color=color, alpha=0.7)
        mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
        ax.errorbar(max(mean, floor), y, xerr=0 if not np.isfinite(std) else std, fmt="o", color=color,
                    ms=5, capsize=3, lw=1.2)
    lows = np.r_[folds[f"model_{metric}"].to_numpy(float), base[f"{metric}_mean"] - base[f"{metric}_std"]]
    if metric == "r2" and np.isfinite(lows).any():
        ax.set_xlim(max(np.nanmin(lows), R2_FLOOR) - 0.1, 1.0)
    ax.set_yticks(ypos)
    ax.set_yticklabels(models["model"].tolist())
    ax.set_xlabel(label)
    ax.grid(axis="x", alpha=0.3)


def comparison_plot(table: pd.DataFrame, folds: pd.DataFrame, *, path: str | Path, title: str,
                    unit: str = "") -> Path:
    """Draw R², RMSE and MAE of each model of one target (folds as dots, mean ± std as bars) into PNG ``path``.

    ``table`` is that target's rows of :func:`~nacarbon.comparison.table.comparison_table` (baseline
    included), ``folds`` its long per-fold metrics (``run_id``, ``model_r2``...), ``unit`` the unit of RMSE
    and MAE. Green: verdict ``beats-baseline`` (significant and relevant), orange ``small-effect``
    (significant, below the practical-effect rule); the grey dashed line and band are the baseline's fold
    mean ± std.
    """
    path = Path(path)
    n_models = int((table["model"] != BASELINE).sum())
    fig, axes = plt.subplots(1, 3, figsize=(12, 1.2 + 0.32 * max(n_models, 3)), sharey=True)
    show_unit = unit not in ("", "1")
    for ax, (metric, label) in zip(axes, _PANELS):
        _panel(ax, table, folds, metric, f"{label} ({unit})" if show_unit and metric != "r2" else label)
    handles = [plt.Line2D([], [], color=_BASE, ls="--", label="mean baseline ± std (band)"),
               plt.Line2D([], [], marker="o", ls="", color=_WIN, label=BEATS),
               plt.Line2D([], [], marker="o", ls="", color=_SMALL, label=SMALL_EFFECT),
               plt.Line2D([], [], marker="o", ls="", color=_LOSE, label="no-gain"),
               plt.Line2D([], [], marker=".", ls="", color=_LOSE, alpha=0.5, label="one outer fold"),
               plt.Line2D([], [], marker="<", ls="", color=_LOSE, label=f"fold R² below {R2_FLOOR:g}")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
