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


def test_every_group_has_configs():
    for g in GROUPS:
        assert list((CONF / g).glob("*.yaml")), g


def test_targets_declare_columns_and_datasets():
    datasets = {p.stem for p in (CONF / "dataset").glob("*.yaml")}
    for p in (CONF / "target").glob("*.yaml"):
        t = OmegaConf.load(p)
        assert t.column and t.unit is not None and isinstance(t.higher_is_better, bool)
        assert set(t.datasets) <= datasets, p.name


def test_unknown_choice_lists_the_options():
    proc = subprocess.run([sys.executable, "-m", "train", "model=nonsense"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Could not find 'model/nonsense'" in proc.stderr
    assert "xgboost" in proc.stderr  # Hydra lists the available options


def test_target_not_in_dataset_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "train", "dataset=literature", "target=rate",
                           f"paths.mlruns_dir={tmp_path}"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "target 'rate' (rate_factor) is not carried by dataset 'literature'" in proc.stderr
