"""The model catalog: model names in order of complexity."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.commands.compose import compose_config
from nacarbon.models.catalog import model_names
from tests.conftest import CONF


def test_model_names_sorted_by_complexity_then_name():
    names = model_names()
    keys = [(OmegaConf.load(CONF / "model" / f"{n}.yaml").complexity, n) for n in names]
    assert keys == sorted(keys) and len(names) == len(list((CONF / "model").glob("*.yaml")))
    assert "dummy" not in model_names(exclude=["dummy"])


def test_empty_config_folder_is_an_error(tmp_path):
    (tmp_path / "model").mkdir()
    with pytest.raises(ConfigError, match="no model configs"):
        model_names(tmp_path)


def test_svr_scales_its_target(tmp_store):
    assert compose_config("train", [*tmp_store, "model=svr"]).model.scale_target is True
