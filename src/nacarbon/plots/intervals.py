"""Parity plot with prediction intervals: a lab's measured values against the models' answers."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nacarbon.plots.parity import identity_axes  # noqa: E402


def parity_with_intervals(measured, pred, lo, hi, *, path: str | Path, label: str, unit: str,
                          reference=None, metrics: dict[str, float] | None = None) -> Path:
    """Write a PNG of predicted vs measured with each interval as a vertical bar, and y = x.

    Only rows with a measured value; ``reference`` marks the lab's reference rows (open markers);
    ``metrics`` ``r2``, ``rmse``, ``coverage``, ``mean_width`` are shown in the corner.
    """
    path = Path(path)
    y, p, a, b = (np.asarray(v, dtype=float) for v in (measured, pred, lo, hi))
    ref = np.zeros(len(y), dtype=bool) if reference is None else np.asarray(reference, dtype=bool)
    inside = (a <= y) & (y <= b)
    fig, ax = plt.subplots(figsize=(5.2, 5))
    for mask, color, name in ((inside, "#1f77b4", "interval covers"), (~inside, "#d62728", "interval misses")):
        if mask.any():
            ax.errorbar(y[mask], p[mask], yerr=[p[mask] - a[mask], b[mask] - p[mask]], fmt="o", ms=5, color=color,
                        ecolor=color, elinewidth=1, capsize=2, alpha=0.85, label=f"{name} (n={int(mask.sum())})")
    if ref.any():
        ax.scatter(y[ref], p[ref], s=90, facecolor="none", edgecolor="k", label="lab reference rows")
    low = float(np.nanmin([y.min(), a.min()]))
    high = float(np.nanmax([y.max(), b.max()]))
    identity_axes(ax, low, high)
    ax.set_xlabel(f"Measured {label} ({unit})")
    ax.set_ylabel(f"Predicted {label} ({unit})")
    if metrics:
        text = "\n".join(f"{k} = {v:.3g}" for k, v in metrics.items() if k in ("r2", "rmse", "coverage", "mean_width"))
        ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", fontsize=9,
                bbox={"boxstyle": "round", "fc": "white", "alpha": 0.8})
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
