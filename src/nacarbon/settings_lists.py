"""One override parser for list and mapping settings, and the estimator's own parameter rules.

A bare name (``targets=ice``, which Python would iterate letter by letter) becomes a one-item list
*in the config itself*, so every command reads the same list."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict

from nacarbon.errors import ConfigError
from nacarbon.paths import project_root

_MISSING = object()


def _names(group: str) -> Callable[[], list[str]]:
    """The config names of ``conf/<group>/`` (read when a check runs, so a new file counts)."""
    return lambda: sorted(p.stem for p in (project_root() / "conf" / group).glob("*.yaml"))


@dataclass(frozen=True)
class ListSetting:
    """A list setting: its key, the type of its items and (optionally) the allowed items."""

    key: str
    kind: type                                   # str or float
    choices: Callable[[], list[str]] | None = None
    example: str = ""
    nullable: bool = False


# Names are checked by each command where it says best what is wrong (an unknown target, plan,
# model or electrolyte has its own message there); here only the shape, except for a setting no
# command checks: an unknown name in exclude_models would silently exclude nothing.
LISTS: tuple[ListSetting, ...] = (
    ListSetting("targets", str, None, "[ice,capacity]", nullable=True),
    ListSetting("analyze_targets", str, None, "[ice,capacity]"),
    ListSetting("exclude_models", str, _names("model"), "[dummy,ridge]"),
    ListSetting("models", str, None, "[ridge,extra_trees]", nullable=True),
    ListSetting("steps", str, None, "[validate,train]"),
    ListSetting("search_overrides", str, None, "[search.n_trials=3]"),
    ListSetting("train_overrides", str, None, "[model.estimator.n_jobs=1]"),
    ListSetting("space", str, None, "[d002_nm,ssa_m2_g]"),
    ListSetting("process.htt_c", float, None, "[1100,1300]"),
    ListSetting("process.current_ma_g", float, None, "[30]"),
    ListSetting("process.electrolyte", str, None, "[ester]"),
)


def _item(value: Any, kind: type) -> Any:
    """One list item as ``kind``; ValueError if it is not one."""
    if isinstance(value, bool) or isinstance(value, (list, dict, ListConfig, DictConfig)):
        raise ValueError
    if kind is float:
        number = float(value) if isinstance(value, (int, float)) else _MISSING
        if number is _MISSING or not math.isfinite(number):
            raise ValueError
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value


def _parse(s: ListSetting, raw: Any) -> list:
    """``raw`` as the list ``s`` describes, or ConfigError."""
    what = "names" if s.kind is str else "numbers"
    allowed = f"a list of {what}, e.g. {s.key}={s.example}"
    items = list(raw) if isinstance(raw, ListConfig) else [raw] if isinstance(raw, str) else None
    if items is None:          # a number, a mapping, a boolean: not a list of names
        raise ConfigError(key=s.key, value=raw, allowed=allowed)
    value = OmegaConf.to_container(raw) if isinstance(raw, ListConfig) else raw
    try:
        parsed = [_item(v, s.kind) for v in items]
    except (TypeError, ValueError):
        raise ConfigError(key=s.key, value=value, allowed=allowed) from None
    if s.choices is not None:
        known = s.choices()
        unknown = [v for v in parsed if v not in known]
        if unknown:
            raise ConfigError(f"unknown {unknown[0]!r}", key=s.key, value=value, allowed=known)
    return parsed


def normalize_lists(cfg: DictConfig, settings: tuple[ListSetting, ...] = LISTS) -> dict[str, list]:
    """Check every list setting ``cfg`` carries, store it back as a list; return them by dotted key."""
    out: dict[str, list] = {}
    for s in settings:
        raw = OmegaConf.select(cfg, s.key, default=_MISSING)
        if raw is _MISSING or (raw is None and s.nullable):
            continue
        parsed = _parse(s, raw)
        if not isinstance(raw, ListConfig):    # a bare name: one item, in the config every step reads
            with open_dict(cfg):
                OmegaConf.update(cfg, s.key, parsed, merge=False)
        out[s.key] = parsed
    return out


def validate_mappings(cfg: DictConfig) -> dict[str, float]:
    """The per-target screen weights: each a finite number >= 0 (``screen.weights.ice=heavy`` is not)."""
    weights = OmegaConf.select(cfg, "screen.weights", default=None)
    if not isinstance(weights, DictConfig):
        return {}
    out = {}
    for name, value in weights.items():
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0
        if not ok:
            raise ConfigError(key=f"screen.weights.{name}", value=value,
                              allowed=f"a number >= 0 (the weight of target {name} in the ranking)")
        out[f"screen.weights.{name}"] = float(value)
    return out


_SKLEARN_PARAM = re.compile(r"The '(\w+)' parameter of (\w+) must be (.*?)\. Got (.*) instead\.", re.S)


def check_estimator(cfg: DictConfig) -> None:
    """Build ``model.estimator`` and check its parameters with the library's own rules, before any fit.

    scikit-learn checks them only at ``fit``, deep inside training; here its message is a ConfigError.
    """
    node = OmegaConf.select(cfg, "model.estimator", default=None)
    if not isinstance(node, DictConfig) or "_target_" not in node:
        return
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        estimator = instantiate(node)
    except InstantiationException as err:     # an unknown parameter name, a wrong class path
        cause = str(err.__cause__ or err).splitlines()[0]
        raise ConfigError(f"model.estimator: cannot be built from the config: {cause}") from None
    validate = getattr(estimator, "_validate_params", None)
    if validate is None or not hasattr(estimator, "_parameter_constraints"):
        return                                # not a scikit-learn estimator: the library checks at fit
    try:
        validate()
    except (ValueError, TypeError) as err:    # sklearn's InvalidParameterError is both
        match = _SKLEARN_PARAM.search(str(err))
        if match is None:
            raise ConfigError(f"model.estimator: {err}") from None
        param, cls, allowed, got = match.groups()
        raise ConfigError(f"model.estimator.{param}={got} is not allowed: expected {allowed} "
                          f"({cls}'s own rule)") from None
