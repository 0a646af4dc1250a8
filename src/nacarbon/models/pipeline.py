"""Turn a model config into a scikit-learn estimator: impute, (scale), regress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from nacarbon.errors import ConfigError

TRANSFORMS = {"none", "log"}


def make_regressor(model_cfg: DictConfig | Mapping) -> BaseEstimator:
    """Instantiate the bare estimator named by ``model_cfg.estimator._target_``."""
    cfg = model_cfg if isinstance(model_cfg, DictConfig) else OmegaConf.create(dict(model_cfg))
    try:
        return instantiate(cfg.estimator)
    except Exception as err:  # Hydra wraps import and argument errors alike
        raise ConfigError(f"model '{cfg.get('name')}': cannot build estimator {cfg.estimator.get('_target_')}: {err}") from err


def build_pipeline(model_cfg: DictConfig | Mapping, *, params: Mapping[str, Any] | None = None,
                   transform: str = "none") -> BaseEstimator:
    """Build the full, unfitted model for one config.

    Parameters
    ----------
    model_cfg : DictConfig
        A ``conf/model/*.yaml`` node: ``estimator`` (``_target_`` and defaults) and ``scale``.
    params : mapping, optional
        Hyperparameters overriding the defaults (an Optuna trial's draw).
    transform : {"none", "log"}, default="none"
        Target transform; predictions are transformed back before any metric sees them.

    Returns
    -------
    sklearn estimator
        ``Pipeline(impute -> [scale] -> model)``, wrapped in a ``TransformedTargetRegressor``
        when ``transform`` is not ``none``.

    Notes
    -----
    Imputation is inside the pipeline so each CV fold learns its medians from its own
    training rows only. ``keep_empty_features`` keeps a column that is all-missing in one
    fold, so every fold sees the same feature layout.
    """
    if transform not in TRANSFORMS:
        raise ConfigError(f"target transform must be one of {sorted(TRANSFORMS)}; got {transform!r}")
    regressor = make_regressor(model_cfg)
    if params:
        regressor = clone(regressor).set_params(**dict(params))
    steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if bool(model_cfg.get("scale", False)):
        steps.append(("scale", StandardScaler()))
    steps.append(("model", regressor))
    pipe = Pipeline(steps)
    if transform == "log":
        return TransformedTargetRegressor(regressor=pipe, func=np.log, inverse_func=np.exp, check_inverse=False)
    return pipe


def final_estimator(model: BaseEstimator) -> BaseEstimator:
    """The fitted regressor inside a built pipeline (unwrapping a target transform)."""
    if isinstance(model, TransformedTargetRegressor):
        model = model.regressor_
    return model.named_steps["model"] if isinstance(model, Pipeline) else model
