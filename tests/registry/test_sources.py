"""``find_sources``: a shap.source the store cannot answer is a config error naming the key."""

from __future__ import annotations

import pytest

from nacarbon.errors import ConfigError
from nacarbon.registry.sources import find_sources
from nacarbon.tracking.store import connect


@pytest.fixture
def client(tmp_path):
    return connect(f"sqlite:///{tmp_path}/mlflow.db", str(tmp_path / "artifacts"))


def test_an_unknown_run_is_a_config_error_of_shap_source(client):
    with pytest.raises(ConfigError) as caught:
        find_sources(client, "0123abcd", ["ice"])
    err = caught.value
    assert (err.key, err.value) == ("shap.source", "0123abcd") and "champion" in err.allowed
    assert str(err).startswith("shap.source='0123abcd': no such run in the store") and "\n" not in str(err)


def test_best_without_runs_to_search_names_the_key(client):
    with pytest.raises(ConfigError, match=r"^shap.source='best': needs the experiment") as caught:
        find_sources(client, "best", ["ice"])
    assert caught.value.key == "shap.source"
