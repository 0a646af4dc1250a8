"""Every config file in every group composes; unknown choices fail with Hydra's list."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from tests.conftest import CONF, compose_config

GROUPS = ["dataset", "target", "model", "cv", "features", "search", "paths", "tracking"]
CASES = [(g, p.stem) for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]


@pytest.mark.parametrize("group, choice", CASES, ids=[f"{g}={c}" for g, c in CASES])
def test_every_config_composes_and_resolves(group, choice):
    cfg = compose_config("train", [f"{group}={choice}"])
    resolved = OmegaConf.to_container(cfg, resolve=True)
    assert resolved[group]
    if group in {"dataset", "target", "model", "cv", "features", "search"}:
        assert cfg[group].name == choice


def _top_level_cases() -> list[tuple[str, str, str]]:
    """(top-level config, group, option) for every option of every group each top config uses."""
    from hydra import compose, initialize_config_dir

    cases = []
    for top in sorted(p.stem for p in CONF.glob("*.yaml")):
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            choices = compose(config_name=top, return_hydra_config=True).hydra.runtime.choices
        for group in sorted(g for g in choices if not g.startswith("hydra")):
            cases += [(top, group, p.stem) for p in sorted((CONF / group).glob("*.yaml"))]
    return cases


TOP_CASES = _top_level_cases()


@pytest.mark.parametrize("top, group, choice", TOP_CASES, ids=[f"{t}:{g}={c}" for t, g, c in TOP_CASES])
def test_every_option_composes_in_every_top_level_config(top, group, choice):
    cfg = compose_config(top, [f"{group}={choice}"])
    OmegaConf.to_container(cfg, resolve=True)  # interpolations resolve too, not only the merge
    if group == "setup":   # a global package: it chooses other groups instead of adding a node
        return
    node = OmegaConf.select(cfg, group.replace("/", "."))
    assert node is not None


def test_every_top_level_config_is_covered():
    assert {t for t, _, _ in TOP_CASES} == {p.stem for p in CONF.glob("*.yaml")}
    assert ("screening", "screen", "large") in TOP_CASES


def test_every_group_has_configs():
    for g in GROUPS:
        assert list((CONF / g).glob("*.yaml")), g


def test_unknown_choice_lists_the_options():
    proc = subprocess.run([sys.executable, "-m", "train", "model=nonsense"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Could not find 'model/nonsense'" in proc.stderr
    assert "xgboost" in proc.stderr  # Hydra lists the available options


@pytest.mark.parametrize("top", ["train", "promote"])
def test_unknown_setup_is_refused_not_ignored(top):
    from hydra.errors import MissingConfigException

    with pytest.raises(MissingConfigException, match="setup/nonsense"):
        compose_config(top, ["setup=nonsense"])


@pytest.mark.slow  # a fresh interpreter importing the training stack costs ~8 s of CPU
def test_target_not_in_dataset_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "train", "dataset=literature", "target=rate",
                           f"paths.mlruns_dir={tmp_path}"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "dataset='literature': target 'rate' (rate_factor) is not carried by it" in proc.stderr


def _choices(*overrides: str) -> tuple[str, str, str]:
    from nacarbon.commands.compose import compose_config as as_the_command_does   # no test setup pinned

    cfg = as_the_command_does("train", list(overrides))
    return str(cfg.dataset.name), str(cfg.features.name), str(cfg.cv.name)


@pytest.mark.parametrize("target", sorted(OmegaConf.load(CONF / "plan" / "main.yaml").targets))
def test_train_by_default_uses_what_the_main_plan_uses(target):
    from nacarbon.commands.pipeline import load_plan

    plan = load_plan(compose_config("pipeline", [f"targets=[{target}]"]), "main")
    spec = plan.targets[target]
    assert _choices(f"target={target}") == (spec.dataset, spec.features, plan.cv)


def test_first_command_trains_on_merged_data_and_the_paper_setup_is_one_override_away():
    assert _choices() == ("merged", "rich", "repeated")                        # target=capacity
    assert _choices("target=ice", "setup=paper") == ("seed", "default", "group")
    assert _choices("target=ice", "dataset=seed") == ("seed", "rich", "repeated")  # the command line wins
    assert _choices("target=ice", "setup=paper", "cv=repeated") == ("seed", "default", "repeated")


COMMANDS = ["analyze", "compare", "predict", "promote", "screening", "suggest", "train"]


@pytest.mark.parametrize("top", COMMANDS)
def test_hydra_settings_come_from_the_one_hydra_group(top):
    from hydra import compose, initialize_config_dir

    assert "hydra" not in OmegaConf.load(CONF / f"{top}.yaml"), "hydra settings belong in conf/hydra/"
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        hydra = compose(config_name=top, return_hydra_config=True).hydra
    assert hydra.runtime.choices.hydra == "default" and hydra.job.chdir is False
    assert hydra.callbacks.redact._target_ == "nacarbon.config.RedactSecrets"
    # The verb (Hydra's job name) keeps each command's runs in its own outputs/<verb>/ folder.
    assert OmegaConf.to_container(hydra.run)["dir"].startswith("${paths.output_dir}/${hydra.job.name}/")
