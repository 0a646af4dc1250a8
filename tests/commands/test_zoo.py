"""The zoo helpers: model names in order of complexity, and one (target, model) trained through them."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.commands.compose import compose_config
from nacarbon.commands.train import train_zoo
from nacarbon.models.catalog import model_names
from tests.conftest import CONF
from tests.mlflow_template import fresh_store


def test_model_names_sorted_by_complexity_then_name():
    names = model_names()
    keys = [(OmegaConf.load(CONF / "model" / f"{n}.yaml").complexity, n) for n in names]
    assert keys == sorted(keys) and len(names) == len(list((CONF / "model").glob("*.yaml")))
    assert "dummy" not in model_names(exclude=["dummy"])


def test_empty_config_folder_is_an_error(tmp_path):
    (tmp_path / "model").mkdir()
    with pytest.raises(ConfigError, match="no model configs"):
        model_names(tmp_path)


def test_train_zoo_runs_each_pair(tmp_store, tmp_path, tmp_path_factory):
    fresh_store(tmp_path / "mlruns", tmp_path_factory)  # where tmp_store points MLflow
    runs = train_zoo(["ice"], ["dummy"], tmp_store)
    assert [(r.target, r.model) for r in runs] == [("ice", "dummy")]
    assert runs[0].seconds > 0 and runs[0].cpu_seconds > 0
    assert runs[0].result.metrics["rmse_mean"] == pytest.approx(runs[0].result.metrics["baseline_rmse_mean"])
    assert compose_config("train", [*tmp_store, "model=svr"]).model.scale_target is True
