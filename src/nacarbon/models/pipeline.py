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
    """Instantiate the bare estimator named by ``model_cfg.estimator._target_``.

    Parameters
    ----------
    model_cfg : DictConfig or mapping
        A ``conf/model/*.yaml`` node; nested ``_target_`` nodes (a GP kernel, AdaBoost's base
        tree) are instantiated too.

    Returns
    -------
    sklearn estimator
        Unfitted, with the config's defaults.

    Raises
    ------
    ConfigError
        If the config has no estimator or Hydra cannot build it (unknown class, bad argument).
    """
    cfg = _as_config(model_cfg)
    if cfg.get("estimator") is None or "_target_" not in cfg.estimator:
        raise ConfigError(f"model '{cfg.get('name')}': needs an 'estimator' with a '_target_'")
    try:
        return instantiate(cfg.estimator)
    except Exception as err:  # Hydra wraps import and argument errors alike
        raise ConfigError(f"model '{cfg.get('name')}': cannot build estimator {cfg.estimator.get('_target_')}: {err}") from err


def target_transformer(transform: str = "none", *, scale_target: bool = False) -> TransformerMixin | None:
    """The transformer applied to ``y`` before fitting (and inverted on predictions).

    Parameters
    ----------
    transform : {"none", "log"}
        The target's transform (``conf/target/*.yaml``).
    scale_target : bool
        The model's ``scale_target`` key: standardise ``y`` (after the log, if any).

    Returns
    -------
    transformer or None
        None when ``y`` is fitted as measured.

    Notes
    -----
    Models whose penalties or tolerances are in target units (elastic-net alpha, SVR epsilon)
    or that fit no intercept (kernel ridge) need a standardised target so that one set of
    defaults serves a capacity in mAh/g and a rate factor of order one alike.
    """
    if transform not in TRANSFORMS:
        raise ConfigError(f"target transform must be one of {sorted(TRANSFORMS)}; got {transform!r}")
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
    """Build the full, unfitted model for one config.

    Parameters
    ----------
    model_cfg : DictConfig
        A ``conf/model/*.yaml`` node: ``estimator`` (``_target_`` and defaults), ``scale`` and
        optionally ``scale_target``.
    params : mapping, optional
        Hyperparameters overriding the defaults (an Optuna trial's draw), named as in the bare
        estimator's ``get_params()`` (nested ones with ``__``).
    transform : {"none", "log"}, default="none"
        Target transform; predictions are transformed back before any metric sees them.

    Returns
    -------
    sklearn estimator
        ``Pipeline(impute -> [scale] -> model)``, wrapped in a ``TransformedTargetRegressor``
        when the target is transformed or standardised.

    Raises
    ------
    ConfigError
        Unknown transform, an estimator that cannot be built, or a parameter it does not take.

    Notes
    -----
    Imputation is inside the pipeline so each CV fold learns its medians from its own
    training rows only. ``keep_empty_features`` keeps a column that is all-missing in one
    fold, so every fold sees the same feature layout.
    """
    y_transformer = target_transformer(transform, scale_target=bool(model_cfg.get("scale_target", False)))
    regressor = make_regressor(model_cfg)
    if params:
        try:
            regressor = clone(regressor).set_params(**dict(params))
        except ValueError as err:
            raise ConfigError(f"model '{model_cfg.get('name')}': {err}") from err
    steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if bool(model_cfg.scale):
        steps.append(("scale", StandardScaler()))
    steps.append(("model", regressor))
    pipe = Pipeline(steps)
    if y_transformer is not None:
        return TransformedTargetRegressor(regressor=pipe, transformer=y_transformer, check_inverse=False)
    return pipe
