"""One validation path for the plain scalar settings of every command (Hydra composes ``seed=foo`` as is).

One table of rules serves every command (keys a config does not carry are skipped); library classes
keep their own argument checks for callers outside Hydra.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from nacarbon.errors import ConfigError

_MISSING = object()


@dataclass(frozen=True)
class Setting:
    """A typed scalar setting: its dotted key, type, an allowed range and how to say it."""

    key: str
    kind: type                       # int, float, bool or str
    check: Callable[[Any, DictConfig], bool] = lambda v, cfg: True
    allowed: str = ""
    nullable: bool = False


def _ge(low: float) -> Callable[[Any, DictConfig], bool]:
    return lambda v, cfg: v >= low


def _open_unit(v: float, cfg: DictConfig) -> bool:
    return 0 < v < 1


def _n_splits_ok(v: int, cfg: DictConfig) -> bool:
    # The holdout protocol is one 8:2 split; every k-fold protocol needs two folds at least.
    return v >= 1 if OmegaConf.select(cfg, "cv.name") == "holdout" else v >= 2


SETTINGS: tuple[Setting, ...] = (
    Setting("seed", int, _ge(0), "an integer >= 0"),
    Setting("progress", bool, allowed="true or false"),
    Setting("cv.n_splits", int, _n_splits_ok, "an integer >= 2 (1 only with cv=holdout)"),
    Setting("cv.n_repeats", int, _ge(1), "an integer >= 1"),
    Setting("cv.test_size", float, _open_unit, "a fraction in (0, 1)", nullable=True),
    Setting("search.n_trials", int, _ge(1), "an integer >= 1"),
    Setting("search.inner_splits", int, _ge(2), "an integer >= 2"),
    Setting("search.timeout", float, lambda v, cfg: v > 0, "seconds > 0, or null", nullable=True),
    Setting("search.worker", int, _ge(0), "an integer >= 0"),
    Setting("search.min_gain", float, lambda v, cfg: 0 <= v < 1, "a relative RMSE gain in [0, 1), e.g. 0.01"),
    Setting("search.progress", bool, allowed="true or false"),
    Setting("search.sampler.n_startup_trials", int, _ge(0), "an integer >= 0"),
    Setting("screen.chunk_size", int, _ge(1), "an integer >= 1"),
    Setting("screen.top_k", int, _ge(1), "an integer >= 1"),
    Setting("screen.table_rows", int, _ge(1), "an integer >= 1"),
    Setting("screen.rank_by", str, lambda v, cfg: v in ("mean", "lcb"), "mean or lcb"),
    Setting("screen.mode", str, lambda v, cfg: v in ("grid", "optimize"), "grid or optimize"),
    Setting("predictor.alpha", float, _open_unit, "a miscoverage in (0, 1), e.g. 0.1"),
    Setting("predictor.n_splits", int, _ge(2), "an integer >= 2"),
    Setting("predictor.difficulty", str, lambda v, cfg: v in ("knn", "none", "spread", "residual"),
            "knn, none, spread or residual"),
    Setting("predictor.domain_neighbors", int, _ge(1), "an integer >= 1"),
    Setting("predictor.domain_quantile", float, lambda v, cfg: 0 < v <= 1, "a quantile in (0, 1]"),
    Setting("predictor.domain_min_structure", float, lambda v, cfg: 0 <= v <= 1, "a share in [0, 1]"),
    Setting("predictor.n_nearest", int, _ge(1), "an integer >= 1"),
    Setting("lab_calibration", bool, allowed="true or false"),
    Setting("screen.require_in_domain", bool, allowed="true or false"),
    Setting("screen.optimize.n_trials", int, _ge(1), "an integer >= 1"),
    Setting("screen.optimize.population_size", int, _ge(2), "an integer >= 2"),
    Setting("alpha", float, _open_unit, "a significance level in (0, 1), e.g. 0.05"),
    Setting("shap.top_k", int, _ge(1), "an integer >= 1"),
    Setting("shap.max_background", int, _ge(1), "an integer >= 1"),
    Setting("shap.permutation_repeats", int, _ge(1), "an integer >= 1"),
    Setting("map.grid", int, _ge(2), "an integer >= 2"),
    Setting("map.min_rows", int, _ge(3), "an integer >= 3"),
    Setting("n_jobs", int, _ge(1), "an integer >= 1"),
    Setting("retrain", bool, allowed="true or false"),
    # python -m suggest
    Setting("n", int, _ge(1), "a batch size, an integer >= 1"),
    Setting("kappa", float, _ge(0), "a number >= 0"),
    Setting("xi", float, allowed="a number"),
    Setting("min_distance", float, _ge(0), "a distance >= 0 (standardized units)"),
    Setting("max_per_group", int, _ge(1), "an integer >= 1, or null", nullable=True),
    Setting("n_nearest", int, _ge(1), "an integer >= 1"),
    Setting("require_in_domain", bool, allowed="true or false"),
    Setting("series.prior", float, _ge(0), "a strength >= 0 (standard deviations of the known values)"),
    # python -m promote: a string "maybe" is not a yes; the metric decides a ranking whose
    # significance rule and printout are about RMSE, so only the outer-CV mean RMSE ranks
    Setting("force", bool, allowed="true or false"),
    Setting("dry_run", bool, allowed="true or false"),
    Setting("metric", str, lambda v, cfg: v in ("rmse_mean", "mae_mean"),
            "rmse_mean or mae_mean (an outer-CV mean error: lower is better, compared with the baseline's)"),
)


def _coerce(value: Any, kind: type) -> Any:
    """``value`` as ``kind``, accepting what YAML/the command line may give; raise ValueError if not."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError
    if isinstance(value, bool):        # True is an int to Python, never a count here
        raise ValueError
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueError
    if kind is float:
        if isinstance(value, (int, float)) and math.isfinite(float(value)):
            return float(value)
        raise ValueError
    return kind(value)


def _select(cfg: DictConfig, key: str) -> Any:
    try:
        return OmegaConf.select(cfg, key, default=_MISSING, throw_on_missing=True)
    except OmegaConfBaseException as err:      # an interpolation that does not resolve
        raise ConfigError(f"{key}: cannot be resolved: {err}".splitlines()[0]) from None


def validate_settings(cfg: DictConfig, settings: tuple[Setting, ...] = SETTINGS) -> dict[str, Any]:
    """Check every known setting the composed ``cfg`` carries; return the checked values by dotted key.

    ConfigError names the first bad key, its value and what is allowed. Also normalizes list settings in
    ``cfg`` itself and checks the estimator's parameters and the ``target`` node.
    """
    checked: dict[str, Any] = {}
    for s in settings:
        raw = _select(cfg, s.key)
        if raw is _MISSING:
            continue
        if raw is None and s.nullable:
            checked[s.key] = None
            continue
        try:
            value = _coerce(raw, s.kind)
            ok = s.check(value, cfg)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ConfigError(key=s.key, value=raw, allowed=s.allowed or s.kind.__name__)
        checked[s.key] = value
    from nacarbon.settings_lists import check_estimator, normalize_lists, validate_mappings

    checked |= normalize_lists(cfg)
    checked |= validate_mappings(cfg)
    check_estimator(cfg)
    if isinstance(cfg.get("target"), DictConfig):   # every key of conf/target/<t>.yaml, typed
        from nacarbon.targets import TargetSpec

        TargetSpec.from_config(cfg.target)
    return checked
