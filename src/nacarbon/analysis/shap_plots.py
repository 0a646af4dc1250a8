"""The plots of a SHAP explanation (paper Fig. S6): beeswarm, bar and the top features' dependence."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import shap

from nacarbon.analysis.explain import shap_summary


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "feature"


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return path


def shap_plots(expl: shap.Explanation, out_dir: str | Path, *, top_k: int = 3) -> list[Path]:
    """Write ``shap_beeswarm.png``, ``shap_bar.png`` and ``shap_dependence_<rank>_<feature>.png`` files.

    Dependence plots are for the ``top_k`` features by mean |SHAP|, coloured by the feature shap finds
    interacting most; their x axis is the value the estimator saw (after imputation/scaling).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    top = shap_summary(expl)["feature"].head(max(int(top_k), 0)).tolist()
    max_display = len(expl.feature_names)
    paths = []

    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max_display + 1.6))
    shap.plots.beeswarm(expl, max_display=max_display, ax=ax, show=False, plot_size=None)
    paths.append(_save(fig, out / "shap_beeswarm.png"))

    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max_display + 1.6))
    shap.plots.bar(expl, max_display=max_display, ax=ax, show=False)
    paths.append(_save(fig, out / "shap_bar.png"))

    for rank, name in enumerate(top, start=1):
        fig, ax = plt.subplots(figsize=(5.6, 4.2))
        color = expl if max_display > 1 else "#1E88E5"
        shap.plots.scatter(expl[:, name], color=color, ax=ax, show=False)
        paths.append(_save(fig, out / f"shap_dependence_{rank}_{_slug(name)}.png"))
    return paths
