"""Parity plot: out-of-fold predictions against measured values."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

_COLORS = {"hard": "#1f77b4", "soft": "#d62728"}


def identity_axes(ax, low: float, high: float) -> None:
    """Square axes over ``[low, high]`` (5 % padding) with the dashed y = x line of a parity plot."""
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], "k--", lw=1, label="y = x")
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)


def parity_plot(oof: pd.DataFrame, *, path: str | Path, label: str, unit: str,
                metrics: dict[str, float] | None = None, color_by: str = "material_class") -> Path:
    """Write a PNG of ``oof``'s ``y_pred`` vs ``y_true``, one colour per ``color_by`` category, with y = x.

    ``label``, ``unit`` are axis text (``"Reversible capacity"``, ``"mAh/g"``); ``metrics`` go in a corner.
    """
    path = Path(path)
    fig, ax = plt.subplots(figsize=(5.2, 5))
    cats = oof[color_by].fillna("unknown") if color_by in oof else pd.Series("all", index=oof.index)
    for cat in sorted(cats.unique()):
        sel = cats == cat
        ax.scatter(oof.loc[sel, "y_true"], oof.loc[sel, "y_pred"], s=28, alpha=0.8,
                   color=_COLORS.get(cat), edgecolor="k", linewidth=0.4, label=f"{cat} (n={int(sel.sum())})")
    lo = float(np.nanmin([oof["y_true"].min(), oof["y_pred"].min()]))
    hi = float(np.nanmax([oof["y_true"].max(), oof["y_pred"].max()]))
    identity_axes(ax, lo, hi)
    ax.set_xlabel(f"Measured {label} [{unit}]")
    ax.set_ylabel(f"Predicted (out-of-fold) [{unit}]")
    if metrics:
        ax.text(0.03, 0.97, "\n".join(f"{k.upper()} = {v:.3g}" for k, v in metrics.items()),
                transform=ax.transAxes, va="top", fontsize=9, bbox={"fc": "white", "alpha": 0.8})
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
