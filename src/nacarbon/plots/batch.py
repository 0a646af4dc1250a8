"""A suggested batch among its candidates: where the picks sit in the predicted objectives."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def batch_plot(pool: pd.DataFrame, picks: pd.DataFrame, targets: Sequence[str], *, path: str | Path,
               labels: dict[str, str] | None = None) -> Path:
    """Write a PNG scatter of the ``pool``'s predictions with the ``picks`` marked, their intervals as bars.

    Two or more targets: the first two against each other. One target: its prediction against the
    ``domain_score`` (1 = the domain's edge). ``picks`` also need ``lo_/hi_<t>`` and ``rank``;
    ``labels`` give the axis text per target.
    """
    path = Path(path)
    labels = labels or {}
    x_t = targets[0]
    y_col = f"pred_{targets[1]}" if len(targets) > 1 else "domain_score"
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    sample = pool.sample(min(len(pool), 20_000), random_state=0) if len(pool) > 20_000 else pool
    size, alpha = (3, 0.4) if len(sample) > 2_000 else (16, 0.7)  # a lab's few samples must stay visible
    ax.scatter(sample[f"pred_{x_t}"], sample[y_col], s=size, c="0.6", alpha=alpha, lw=0,
               label=f"candidates ({len(pool):,}{', 20,000 shown' if len(pool) > 20_000 else ''})")
    xerr = np.abs(np.vstack([picks[f"pred_{x_t}"] - picks[f"lo_{x_t}"], picks[f"hi_{x_t}"] - picks[f"pred_{x_t}"]]))
    yerr = None
    if len(targets) > 1:
        t = targets[1]
        yerr = np.abs(np.vstack([picks[f"pred_{t}"] - picks[f"lo_{t}"], picks[f"hi_{t}"] - picks[f"pred_{t}"]]))
    ax.errorbar(picks[f"pred_{x_t}"], picks[y_col], xerr=xerr, yerr=yerr, fmt="o", ms=6, c="C3", ecolor="C3",
                elinewidth=0.8, capsize=2, label="picks (90 % intervals)")
    for i, (_, row) in enumerate(picks.iterrows()):
        # tree models give many picks the same prediction: stagger the labels so each rank stays readable
        ax.annotate(str(int(row["rank"])), (row[f"pred_{x_t}"], row[y_col]), xytext=(5 + 9 * (i % 4), 5 + 9 * (i // 4)),
                    textcoords="offset points", fontsize=8)
    ax.set_xlabel(f"predicted {labels.get(x_t, x_t)}")
    ax.set_ylabel(f"predicted {labels.get(targets[1], targets[1])}" if len(targets) > 1
                  else "domain score (1 = the domain's edge)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
