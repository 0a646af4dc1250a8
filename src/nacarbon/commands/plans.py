"""The pipeline's plans (``conf/plan/<name>.yaml``, composed under ``plan.<name>``) and the overrides
each step composes its config with."""

from __future__ import annotations

import functools

from omegaconf import DictConfig, OmegaConf

from nacarbon.commands.compose import compose_config
from nacarbon.errors import ConfigError


def store_overrides(cfg: DictConfig) -> list[str]:
    """Overrides every step inherits from the pipeline config (where things are stored)."""
    return [f"paths.root={cfg.paths.root}", f"paths.mlruns_dir={cfg.paths.mlruns_dir}",
            f"paths.output_dir={cfg.paths.output_dir}", f"paths.experiments_dir={cfg.paths.experiments_dir}",
            f"tracking.uri={cfg.tracking.uri}"]


def load_plan(cfg: DictConfig, name: str) -> DictConfig:
    """A plain copy of plan ``name`` as composed, restricted to the pipeline's ``targets`` (null: all),
    with every target's setup filled in; ConfigError if the plan was not composed (``plan=[...]``)."""
    if name not in cfg.plan:
        raise ConfigError(f"unknown plan {name!r}: not among the composed plans", key="plan",
                          value=name, allowed=list(cfg.plan))
    plan = OmegaConf.create(OmegaConf.to_container(cfg.plan[name], resolve=True))
    if cfg.targets is not None:
        plan.targets = {t: s for t, s in plan.targets.items() if t in set(cfg.targets)}
    return with_setups(plan)


def plan_target(plan: str, target: str) -> DictConfig:
    """One target of plan ``plan`` (dataset, features, families) as ``make run`` composes it.

    ConfigError if the plan has no such target, listing the ones it has."""
    cfg = compose_config("pipeline", [f"plan={plan}", f"targets=[{target}]"])
    if target not in cfg.plan[plan].targets:   # checked on the plan as composed, before any setup is filled in
        raise ConfigError(f"plan {plan!r} has no such target", key="target", value=target,
                          allowed=sorted(map(str, cfg.plan[plan].targets)))
    return load_plan(cfg, plan).targets[target]


def with_setups(plan: DictConfig) -> DictConfig:
    """``plan`` with each target's missing ``dataset`` and ``features`` taken from ``train target=<t>``."""
    for target, spec in plan.targets.items():
        setup = target_setup(str(target)) if spec.get("dataset") is None or spec.get("features") is None else {}
        spec.dataset = spec.get("dataset") or setup["dataset"]
        spec.features = spec.get("features") or setup["features"]
    return plan


@functools.lru_cache(maxsize=None)
def target_setup(target: str) -> dict[str, str]:
    """The dataset and features ``python -m train target=<target>`` trains on by default."""
    tcfg = compose_config("train", [f"target={target}"])
    return {"dataset": str(tcfg.dataset.name), "features": str(tcfg.features.name)}


def plans(cfg: DictConfig) -> dict[str, DictConfig]:
    """Every plan of the run, by name (the promoted plan first)."""
    names = list(dict.fromkeys([cfg.promote_plan, *cfg.plan])) if cfg.promote_plan in cfg.plan else list(cfg.plan)
    return {name: load_plan(cfg, name) for name in names}


def families(cfg: DictConfig, spec: DictConfig) -> list[str]:
    """The families of one target: the plan's, or the pipeline's ``models`` override."""
    return list(cfg.models) if cfg.models is not None else list(spec.families)


def searches(cfg: DictConfig, spec: DictConfig, family: str) -> list[str]:
    """The search presets one family of a target is trained with (``search_preset`` only, without ``tuned``).

    With a ``tuned`` list every family is trained untuned and those listed (all of ``models=[...]``)
    also tuned: both compete, so a champion is never worse than its untuned family.
    """
    preset = str(cfg.search_preset)
    if "tuned" not in spec:
        return [preset]
    tuned = set(families(cfg, spec)) if cfg.models is not None else set(spec.tuned)
    return ["none"] + ([preset] if preset != "none" and family in tuned else [])


def target_overrides(cfg: DictConfig, plan: DictConfig, target: str) -> list[str]:
    """Store, dataset, features and splits of one target of a plan (train, compare and promote alike)."""
    spec = plan.targets[target]
    return [*store_overrides(cfg), f"dataset={spec.dataset}", f"features={spec.features}", f"cv={plan.cv}"]


def groups(plan: DictConfig) -> dict[tuple[str, str], list[str]]:
    """A plan's targets grouped by (dataset, features): one comparison per group."""
    out: dict[tuple[str, str], list[str]] = {}
    for target, spec in plan.targets.items():
        out.setdefault((str(spec.dataset), str(spec.features)), []).append(str(target))
    return out
