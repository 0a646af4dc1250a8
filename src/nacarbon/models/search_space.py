"""Optuna search spaces declared in a model's YAML, checked before any trial runs.

A space maps a hyperparameter of the estimator to a distribution::

    learning_rate: {type: float, low: 0.01, high: 0.3, log: true}
    max_depth:     {type: int, low: 2, high: 8}
    kernel:        {type: categorical, choices: [rbf, linear]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.models.pipeline import make_regressor

DEFAULTS_ATTR = "defaults"   # Optuna user attribute marking the enqueued trial of the family's defaults

_KEYS = {
    "int": ({"low", "high"}, {"step", "log"}),
    "float": ({"low", "high"}, {"step", "log"}),
    "categorical": ({"choices"}, set()),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_numeric(key: str, kind: str, spec: dict[str, Any]) -> None:
    """Bounds, step and log of an int or float distribution."""
    low, high, step = spec["low"], spec["high"], spec.get("step")
    if not (_is_number(low) and _is_number(high)):
        raise ConfigError(f"{key}: low and high must be numbers; got low={low!r}, high={high!r}")
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        raise ConfigError(f"{key}: an int distribution needs whole-number bounds; got low={low}, high={high}")
    if low > high:
        raise ConfigError(f"{key}: low ({low}) > high ({high})")
    if "log" in spec and not isinstance(spec["log"], bool):
        raise ConfigError(key=f"{key}.log", value=spec["log"], allowed="true or false")
    if spec.get("log") and low <= 0:
        raise ConfigError(f"{key}: a log distribution needs low > 0; got low={low}")
    if step is not None:
        if spec.get("log"):
            raise ConfigError(f"{key}: step and log cannot be combined")
        if not _is_number(step) or step <= 0 or (kind == "int" and not float(step).is_integer()):
            whole = "whole " if kind == "int" else ""
            raise ConfigError(key=f"{key}.step", value=step, allowed=f"a positive {whole}number")


def _check_choices(key: str, choices: Any) -> list[Any]:
    """Choices must be a non-empty list of scalars (what Optuna can store)."""
    if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
        raise ConfigError(f"{key}.choices: must be a list; got {choices!r}")
    if not choices:
        raise ConfigError(f"{key}.choices: must not be empty")
    bad = [c for c in choices if c is not None and not isinstance(c, (bool, int, float, str))]
    if bad:
        raise ConfigError(f"{key}.choices: only null, booleans, numbers and strings can be choices; got {bad!r}")
    return list(choices)


def validate_space(space: Mapping[str, Mapping[str, Any]] | None, *, estimator_params: set[str],
                   where: str) -> dict[str, dict[str, Any]]:
    """Check a search space (name -> distribution spec; None: nothing to tune) and return it as plain dicts.

    ``estimator_params`` are the estimator's ``get_params()`` names; ``where`` (the model file) starts
    every ConfigError, which names the key: unknown hyperparameter or type, missing or extra keys, bad
    bounds (non-numeric, fractional for int, ``low > high``, log with ``low <= 0``), step or choices.
    """
    if isinstance(space, DictConfig):
        space = OmegaConf.to_container(space, resolve=True)
    if space is not None and not isinstance(space, Mapping):
        raise ConfigError(f"{where}: search_space must map hyperparameter names to distributions; got {space!r}")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in dict(space or {}).items():
        key = f"{where}: search_space.{name}"
        if name not in estimator_params:
            raise ConfigError(f"{key}: unknown hyperparameter '{name}' for this estimator; "
                              f"known: {sorted(estimator_params)}")
        if not isinstance(spec, Mapping) or "type" not in spec:
            raise ConfigError(f"{key}: expected a mapping with a 'type' (int, float or categorical); got {spec!r}")
        spec = dict(spec)
        kind = spec.pop("type")
        if kind not in _KEYS:
            raise ConfigError(f"{key}.type: unknown distribution '{kind}'; expected one of {sorted(_KEYS)}")
        required, optional = _KEYS[kind]
        missing = required - spec.keys()
        extra = spec.keys() - required - optional
        if missing:
            raise ConfigError(f"{key}: missing {sorted(missing)} for a {kind} distribution")
        if extra:
            raise ConfigError(f"{key}: unexpected {sorted(extra)} for a {kind} distribution")
        if kind == "categorical":
            spec["choices"] = _check_choices(key, spec["choices"])
        else:
            _check_numeric(key, kind, spec)
        out[name] = {"type": kind, **spec}
    return out


def model_space(model_cfg: DictConfig, *, where: str) -> dict[str, dict[str, Any]]:
    """Validate a model config's ``search_space`` against the estimator it builds (``where``: its file)."""
    return validate_space(model_cfg.get("search_space"), estimator_params=set(make_regressor(model_cfg).get_params()),
                          where=where)


def _on_grid(value: Any, spec: Mapping[str, Any]) -> bool:
    """Whether ``value`` is a point the distribution ``spec`` can draw."""
    if spec["type"] == "categorical":
        return any(value == c and type(value) is type(c) or (value is None and c is None) for c in spec["choices"])
    if not _is_number(value) or not spec["low"] <= value <= spec["high"]:
        return False
    if spec["type"] == "int" and not float(value).is_integer():
        return False
    step = spec.get("step")
    return step is None or abs((value - spec["low"]) / step - round((value - spec["low"]) / step)) < 1e-9


def default_params(model_cfg: DictConfig, space: Mapping[str, Mapping[str, Any]], *,
                   where: str) -> dict[str, Any]:
    """The model's configured defaults (the built estimator's ``get_params()``), named as ``space`` names them.

    They are the first trial of every study, so a search only replaces them with settings its inner CV
    scores better. ConfigError when a default lies outside its own space (bounds, step grid, choices):
    such a search could never return to it.
    """
    current = make_regressor(model_cfg).get_params()
    out: dict[str, Any] = {}
    for name, spec in space.items():
        value = current[name]
        if spec["type"] == "float" and _is_number(value):
            value = float(value)
        elif spec["type"] == "int" and _is_number(value) and float(value).is_integer():
            value = int(value)
        if not _on_grid(value, spec):
            allowed = spec["choices"] if spec["type"] == "categorical" else \
                f"{spec['low']}..{spec['high']}" + (f" step {spec['step']}" if spec.get("step") else "")
            raise ConfigError(f"{where}: the default {name}={value!r} is outside search_space.{name} "
                              f"({allowed}); set the default inside the space or widen it")
        out[name] = value
    return out


def suggest(trial, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Draw one value per hyperparameter of ``space`` (from :func:`validate_space`) from an Optuna trial."""
    params: dict[str, Any] = {}
    for name, spec in space.items():
        kind = spec["type"]
        if kind == "int":
            params[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]),
                                             step=int(spec.get("step") or 1), log=bool(spec.get("log", False)))
        elif kind == "float":
            step = spec.get("step")
            params[name] = trial.suggest_float(name, float(spec["low"]), float(spec["high"]),
                                               step=None if step is None else float(step),
                                               log=bool(spec.get("log", False)))
        else:
            params[name] = trial.suggest_categorical(name, spec["choices"])
    return params


def chosen_params(study, min_gain: float | None = None) -> dict[str, Any]:
    """The hyperparameters a study hands to the fit: its best trial, unless the defaults are as good.

    The defaults' trial (trial 0, see :func:`~nacarbon.models.tuning.tune`) is kept unless a completed
    trial's inner RMSE is lower by the relative ``min_gain`` (default: the study's ``search.min_gain``):
    the best of a few noisy inner-CV scores is optimistic (winner's curse).
    """
    from optuna.trial import TrialState

    gain = float(study.user_attrs.get("min_gain", 0.0) if min_gain is None else min_gain)
    best = study.best_trial
    base = [t for t in study.trials if t.user_attrs.get(DEFAULTS_ATTR) and t.state == TrialState.COMPLETE]
    if base and best.number != base[0].number and best.value > base[0].value * (1.0 - gain):
        return dict(base[0].params)
    return dict(best.params)
