"""Optuna search spaces declared in a model's YAML, checked before any trial runs.

A space maps a hyperparameter of the estimator to a distribution::

    learning_rate: {type: float, low: 0.01, high: 0.3, log: true}
    max_depth:     {type: int, low: 2, high: 8}
    kernel:        {type: categorical, choices: [rbf, linear]}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nacarbon.errors import ConfigError

_KEYS = {
    "int": ({"low", "high"}, {"step", "log"}),
    "float": ({"low", "high"}, {"step", "log"}),
    "categorical": ({"choices"}, set()),
}


def validate_space(space: Mapping[str, Mapping[str, Any]] | None, *, estimator_params: set[str],
                   where: str) -> dict[str, dict[str, Any]]:
    """Check a search space and return it as plain dicts.

    Parameters
    ----------
    space : mapping or None
        Hyperparameter name -> distribution spec. None or empty means nothing to tune.
    estimator_params : set of str
        ``estimator.get_params().keys()``: a name outside it is an unknown hyperparameter.
    where : str
        Where the space came from (e.g. ``conf/model/xgboost.yaml``), for error messages.

    Returns
    -------
    dict

    Raises
    ------
    ConfigError
        Naming the file and key: unknown hyperparameter, unknown distribution type, missing or
        extra keys, ``low > high``, ``log`` with ``low <= 0``, empty ``choices``.
    """
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
            if not list(spec["choices"]):
                raise ConfigError(f"{key}.choices: must not be empty")
            spec["choices"] = list(spec["choices"])
        else:
            low, high = spec["low"], spec["high"]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
                raise ConfigError(f"{key}: low and high must be numbers; got low={low!r}, high={high!r}")
            if low > high:
                raise ConfigError(f"{key}: low ({low}) > high ({high})")
            if spec.get("log") and low <= 0:
                raise ConfigError(f"{key}: a log distribution needs low > 0; got low={low}")
            if spec.get("log") and spec.get("step") is not None:
                raise ConfigError(f"{key}: step and log cannot be combined")
        out[name] = {"type": kind, **spec}
    return out


def suggest(trial, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Draw one value per hyperparameter from an Optuna trial.

    Parameters
    ----------
    trial : optuna.trial.Trial
    space : mapping
        A space returned by :func:`validate_space`.

    Returns
    -------
    dict
        Hyperparameter name -> value.
    """
    params: dict[str, Any] = {}
    for name, spec in space.items():
        kind = spec["type"]
        if kind == "int":
            params[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]),
                                             step=int(spec.get("step") or 1), log=bool(spec.get("log", False)))
        elif kind == "float":
            params[name] = trial.suggest_float(name, float(spec["low"]), float(spec["high"]),
                                               step=spec.get("step"), log=bool(spec.get("log", False)))
        else:
            params[name] = trial.suggest_categorical(name, spec["choices"])
    return params
