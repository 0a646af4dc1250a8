"""What a suggestion optimizes: the ``objectives`` of ``conf/suggest.yaml`` as :class:`Objective` objects."""

from __future__ import annotations

from collections.abc import Mapping

from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.suggest.acquisition import Objective

KEYS = ("target", "weight", "goal", "low", "high")


def parse_objectives(raw: object) -> list[dict]:
    """``cfg.objectives`` as a list of ``{target, weight, goal, low, high}`` dicts (goal may be None).

    An item is a target name or a mapping; anything else is a ConfigError.
    """
    items = OmegaConf.to_container(raw, resolve=True) if OmegaConf.is_config(raw) else raw
    if isinstance(items, (str, dict)):
        items = [items]
    if not isinstance(items, list) or not items:
        raise ConfigError("give at least one target, e.g. objectives=[ice]", key="objectives", value=items)
    out = []
    for item in items:
        spec = {"target": item} if isinstance(item, str) else item
        if not isinstance(spec, dict) or not isinstance(spec.get("target"), str):
            raise ConfigError(f"objectives: {item!r} is neither a target name nor {{target: ..., weight: ...}}")
        unknown = set(spec) - set(KEYS)
        if unknown:
            raise ConfigError(f"objectives: '{spec['target']}' has unknown keys {sorted(unknown)}; "
                              f"allowed: {', '.join(KEYS)}")
        out.append(spec)
    return out


def make_objectives(specs: list[dict], higher_is_better: Mapping[str, bool]) -> list[Objective]:
    """Objectives with each missing goal taken from its target's ``higher_is_better`` (the champion's)."""
    return [Objective(target=s["target"], weight=float(s.get("weight", 1.0)),
                      goal=s.get("goal") or ("max" if higher_is_better[s["target"]] else "min"),
                      low=s.get("low"), high=s.get("high")) for s in specs]
