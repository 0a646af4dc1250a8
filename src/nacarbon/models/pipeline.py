"""Turn a model config into a scikit-learn estimator: impute, (scale), regress."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from nacarbon.errors import ConfigError

TRANSFORMS = {"none", "log"}


def _as_config(model_cfg: DictConfig | Mapping) -> DictConfig:
    return model_cfg if isinstance(model_cfg, DictConfig) else OmegaConf.create(dict(model_cfg))


def make_regressor(model_cfg: DictConfig | Mapping) -> BaseEstimator:
    """The unfitted estimator of ``model_cfg.estimator`` (nested ``_target_`` nodes instantiated too).

    ConfigError if the config has no estimator or Hydra cannot build it (unknown class, bad argument).
    """
    cfg = _as_config(model_cfg)
    if cfg.get("estimator") is None or "_target_" not in cfg.estimator:
        raise ConfigError(f"model '{cfg.get('name')}': needs an 'estimator' with a '_target_'")
    try:
        return instantiate(cfg.estimator)
    except Exception as err:  # Hydra wraps import and argument errors alike
        raise ConfigError(f"model '{cfg.get('name')}': cannot build estimator {cfg.estimator.get('_target_')}: {err}") from err


def target_transformer(transform: str = "none", *, scale_target: bool = False) -> TransformerMixin | None:
    """The transformer fitted on ``y`` and inverted on predictions; None when ``y`` is fitted as measured.

    ``scale_target`` (the model's key) standardises ``y`` after any log: models whose penalties or
    tolerances are in target units (elastic-net alpha, SVR epsilon) or that fit no intercept (kernel
    ridge) then serve a capacity in mAh/g and a rate factor of order one with one set of defaults.
    """
    if transform not in TRANSFORMS:
        raise ConfigError(key="target.transform", value=transform, allowed=sorted(TRANSFORMS))
    steps: list[tuple[str, TransformerMixin]] = []
    if transform == "log":
        steps.append(("log", FunctionTransformer(np.log, inverse_func=np.exp, check_inverse=False)))
    if scale_target:
        steps.append(("standardize", StandardScaler()))
    if not steps:
        return None
    return steps[0][1] if len(steps) == 1 else Pipeline(steps)


def build_pipeline(model_cfg: DictConfig | Mapping, *, params: Mapping[str, Any] | None = None,
                   transform: str = "none") -> BaseEstimator:
    """The full, unfitted model: ``Pipeline(impute -> [scale] -> model)``, in a target transformer if needed.

    ``params`` override the estimator's defaults (named as in its ``get_params()``); ``transform`` is
    inverted before any metric sees predictions. ConfigError on an unknown transform, an estimator that
    cannot be built or a parameter it does not take. Imputation is inside so each CV fold learns its
    own medians; ``keep_empty_features`` keeps a column all-missing in one fold (same layout everywhere).
    """
    cfg = _as_config(model_cfg)
    y_transformer = target_transformer(transform, scale_target=bool(cfg.get("scale_target", False)))
    regressor = make_regressor(cfg)
    if params:
        try:
            regressor = clone(regressor).set_params(**dict(params))
        except ValueError as err:
            raise ConfigError(f"model '{cfg.get('name')}': {err}") from err
    steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if bool(cfg.scale):
        steps.append(("scale", StandardScaler()))
    steps.append(("model", regressor))
    pipe = Pipeline(steps)
    if y_transformer is not None:
        return TransformedTargetRegressor(regressor=pipe, transformer=y_transformer, check_inverse=False)
    return pipe
