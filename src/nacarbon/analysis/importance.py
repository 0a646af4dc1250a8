"""Explain one trained model: SHAP values, plots and permutation importance, written as files.

The model explained is the run's full-data fit on its own training rows, so both are in-sample:
out-of-fold explanations would need each outer fold's model, which training runs do not store.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from nacarbon.analysis.explain import (
    is_tree_model, permutation_importance_table, shap_summary, shap_values, split_model,
)
from nacarbon.analysis.shap_plots import shap_plots
from nacarbon.analysis.sources import EXPLAINED_ON, ModelSource
_ELEMENTWISE = (StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler)


@dataclass
class Explained:
    """What :func:`explain_source` wrote for one model."""

    importance: pd.DataFrame     # feature, mean_abs_shap, perm_mean, perm_std (+ provenance)
    files: list[Path]
    explainer: str


def _in_units(model: object, X: pd.DataFrame) -> pd.DataFrame | None:
    """The imputed, unscaled matrix when the pipeline only imputes and rescales per feature, else None.

    A per-feature affine rescaling changes neither which rows a tree splits together nor the values
    a background row substitutes, so SHAP values are the same and plots can show d002 in nm.
    """
    if not isinstance(model, Pipeline) or len(model.steps) < 2:
        return None
    first, *rest = [step for _, step in model.steps[:-1]]
    if not hasattr(first, "statistics_") or not all(isinstance(s, _ELEMENTWISE) for s in rest):
        return None
    return pd.DataFrame(first.transform(X), columns=X.columns, index=X.index)


def explain_source(src: ModelSource, out_dir: str | Path, *, top_k: int = 3, max_background: int = 100,
                   n_repeats: int = 20, seed: int = 0) -> Explained:
    """Write ``shap_values.csv``, ``importance.csv`` (sorted by mean |SHAP|) and SHAP PNGs of one model.

    ``top_k`` dependence plots; ``seed`` drives background sampling, explainer and shuffles. Trees get
    TreeExplainer (exact, path-dependent); all else, bagging and target-transformed pipelines included,
    KernelExplainer over ``predict``, exact for the five structural features (2^5 coalitions).
    Permutation importance is the RMSE increase when one feature is shuffled, as in paper Fig. S6.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    final, _ = split_model(src.estimator, src.X)
    explainer = "TreeExplainer" if is_tree_model(final) else "KernelExplainer"
    expl = shap_values(src.estimator, src.X, max_background=max_background, seed=seed)
    shown = _in_units(src.estimator, src.X)
    if shown is not None and list(shown.columns) == list(expl.feature_names):
        expl.data = shown.to_numpy(float)

    values = pd.DataFrame(np.asarray(expl.values, dtype=float), columns=[f"shap_{f}" for f in expl.feature_names])
    values.insert(0, "base_value", np.broadcast_to(np.asarray(expl.base_values, dtype=float), len(values)))
    data = pd.DataFrame(np.asarray(expl.data, dtype=float), columns=[f"value_{f}" for f in expl.feature_names])
    ids = src.meta[["sample_id"]].reset_index(drop=True) if "sample_id" in src.meta else None
    rows = pd.concat([t for t in (ids, values, data) if t is not None], axis=1)
    rows[f"measured_{src.target_column}"] = src.y
    rows.to_csv(out / "shap_values.csv", index=False)

    perm = permutation_importance_table(src.estimator, src.X, src.y, n_repeats=n_repeats, seed=seed)
    table = shap_summary(expl).merge(perm.rename(columns={"mean": "perm_rmse_increase_mean",
                                                          "std": "perm_rmse_increase_std"}), on="feature", how="left")
    table.insert(0, "rank", range(1, len(table) + 1))
    for key, value in (("target", src.ref.target), ("run_id", src.ref.run_id), ("model", src.model_family),
                       ("registry_version", src.ref.version or ""), ("explainer", explainer),
                       ("explained_on", EXPLAINED_ON)):
        table[key] = value
    table.to_csv(out / "importance.csv", index=False)
    plots = shap_plots(expl, out, top_k=top_k)
    return Explained(table, [out / "shap_values.csv", out / "importance.csv", *plots], explainer)
