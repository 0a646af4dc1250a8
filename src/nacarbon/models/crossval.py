"""Outer cross-validation: fit (tuning inside each training fold when asked), predict, score.

Tuning scores never leave the inner loop: the numbers this module reports come from outer
test folds that neither the fit nor the tuning saw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from nacarbon.evaluation.metrics import regression_metrics, summarize_folds
from nacarbon.models.pipeline import build_pipeline

# (X_train, y_train, groups_train, fold_index) -> params; None means "use the defaults".
Tuner = Callable[[pd.DataFrame, np.ndarray, np.ndarray, int], Mapping[str, Any]]

BASELINE_CFG = OmegaConf.create({"name": "dummy", "scale": False,
                                 "estimator": {"_target_": "sklearn.dummy.DummyRegressor", "strategy": "mean"}})


@dataclass
class CVResult:
    """Everything one outer CV produced."""

    per_fold: list[dict[str, float]]
    baseline_per_fold: list[dict[str, float]]
    oof: pd.DataFrame
    fold_params: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        """Fold mean/std and pooled out-of-fold metrics (:func:`pooled_metrics`) for the model and the baseline."""
        out = summarize_folds(self.per_fold)
        out.update({f"baseline_{k}": v for k, v in summarize_folds(self.baseline_per_fold).items()})
        out.update(pooled_metrics(self.oof, "y_pred"))
        out.update({f"baseline_{k}": v for k, v in pooled_metrics(self.oof, "y_baseline").items()})
        return out


def pooled_metrics(oof: pd.DataFrame, column: str = "y_pred") -> dict[str, float]:
    """Pooled out-of-fold R², RMSE and MAE over the repeats of a CV, for ``y_pred`` or ``y_baseline``.

    ``<m>_pooled``: mean over repeats of the metric of a repeat's out-of-fold predictions (each repeat
    predicts every row once, from folds that did not see its paper); ``<m>_pooled_std``: their std
    (NaN with one repeat).
    """
    per_repeat = [regression_metrics(part["y_true"], part[column]) for _, part in oof.groupby("repeat", sort=True)]
    return summarize_folds(per_repeat, mean="pooled", std="pooled_std")


def cross_validate(model_cfg: DictConfig, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, splitter, *,
                   transform: str = "none", tuner: Tuner | None = None, progress: bool = False,
                   on_fold: Callable[[int, dict, dict], None] | None = None) -> CVResult:
    """Run the outer CV of one model and of the mean baseline on the same folds.

    ``X`` may hold missing values (imputed per fold); ``groups`` is each row's source, never on both
    sides of a split. ``tuner`` chooses hyperparameters on each outer training part (nested CV);
    ``on_fold(k, model_metrics, baseline_metrics)`` is called after each fold. ``oof`` has one row per
    (repeat, test row): row, fold, repeat, y_true, y_pred, y_baseline, group.
    """
    per_fold, base_fold, params_out, parts = [], [], [], []
    n_splits_repeat = getattr(splitter, "n_splits", None) or splitter.get_n_splits()
    splits = list(splitter.split(X, y, groups))
    for k, (tr, te) in enumerate(tqdm(splits, desc=f"outer CV {model_cfg.name}", disable=not progress)):
        params = dict(tuner(X.iloc[tr], y[tr], groups[tr], k) or {}) if tuner else {}
        model = build_pipeline(model_cfg, params=params, transform=transform).fit(X.iloc[tr], y[tr])
        pred = model.predict(X.iloc[te])
        base = build_pipeline(BASELINE_CFG).fit(X.iloc[tr], y[tr]).predict(X.iloc[te])
        per_fold.append(regression_metrics(y[te], pred))
        base_fold.append(regression_metrics(y[te], base))
        if on_fold is not None:
            on_fold(k, per_fold[-1], base_fold[-1])
        params_out.append(params)
        parts.append(pd.DataFrame({"row": X.index[te], "fold": k, "repeat": k // n_splits_repeat,
                                   "y_true": y[te], "y_pred": pred, "y_baseline": base, "group": groups[te]}))
    oof = pd.concat(parts, ignore_index=True)
    return CVResult(per_fold, base_fold, oof, params_out)
