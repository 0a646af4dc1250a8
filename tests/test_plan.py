"""conf/plan/*.yaml (the pipeline's ``plan`` group): every target names a dataset that carries it,
and existing configs; each plan composes on its own, under its own name."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from nacarbon.commands.pipeline import load_plan
from nacarbon.errors import ConfigError
from nacarbon.paths import project_root
from nacarbon.targets import load_target
from tests.conftest import compose_config

CONF = project_root() / "conf"
PLANS = sorted((CONF / "plan").glob("*.yaml"))


def _plan(name: str):
    """The plan as the pipeline reads it (a target without data or features gets its own setup's)."""
    return load_plan(compose_config("pipeline", [f"plan={name}"]), name)


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_each_plan_composes_under_its_own_name(path):
    cfg = compose_config("pipeline", [f"plan={path.stem}"])
    assert list(cfg.plan) == [path.stem] and cfg.plan[path.stem].name == path.stem


def test_the_pipeline_runs_both_plans_by_default_and_the_command_line_chooses():
    assert list(compose_config("pipeline").plan) == ["main", "paper"]
    assert list(compose_config("pipeline", ["plan=[paper,main]"]).plan) == ["paper", "main"]
    assert dict(compose_config("pipeline", ["plan=[]"]).plan) == {}


def test_load_plan_copies_and_refuses_a_plan_not_composed():
    cfg = compose_config("pipeline", ["plan=paper", "targets=[ice]"])
    assert list(load_plan(cfg, "paper").targets) == ["ice"]
    assert len(cfg.plan.paper.targets) == 4   # the composed config is left as it was
    with pytest.raises(ConfigError, match="unknown plan 'main'.*allowed: \\['paper'\\]"):
        load_plan(cfg, "main")


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_plan_names_existing_configs(path):
    plan = _plan(path.stem)
    assert (CONF / "cv" / f"{plan.cv}.yaml").is_file()
    for target, spec in plan.targets.items():
        assert spec.dataset in load_target(str(target)).datasets, (target, spec.dataset)
        assert (CONF / "features" / f"{spec.features}.yaml").is_file()
        for family in spec.families:
            assert (CONF / "model" / f"{family}.yaml").is_file(), family
        # `tuned` (optional) names families of the target that are also trained tuned.
        assert set(spec.get("tuned", [])) <= set(spec.families), (target, spec.get("tuned"))


def test_main_plan_uses_the_widest_data():
    plan = _plan("main")
    assert plan.targets.ice.dataset == plan.targets.capacity.dataset == "merged"
    assert plan.targets.plateau_capacity.dataset == "literature_contributed"
    assert plan.targets.rate.dataset == plan.targets.plateau_voltage.dataset == "seed_contributed"
    assert OmegaConf.load(CONF / "cv" / f"{plan.cv}.yaml").n_repeats >= 5
