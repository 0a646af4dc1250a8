"""Shared fixtures: compose real configs, with every store redirected into tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.paths import project_root

ROOT = project_root()
CONF = ROOT / "conf"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


# Tests train on the quick setup (seed rows, five features, 5 grouped folds) unless they choose a
# dataset, features or cv themselves (a choice given here wins over the setup's): a target's
# best-known default setup (merged data, 25 splits) would make every fast test slow.
QUICK_SETUP = "setup=paper"


def compose_config(name: str, overrides: list[str] | tuple[str, ...] = ()):
    """Compose ``conf/<name>.yaml`` with overrides, as the entry points do (train and promote on the quick setup)."""
    overrides = list(overrides)
    if name in ("train", "promote") and not any(o.startswith("setup=") for o in overrides):
        overrides.insert(0, QUICK_SETUP)
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


@pytest.fixture
def tmp_store(tmp_path: Path) -> list[str]:
    """Overrides that put MLflow, Optuna and outputs under tmp_path."""
    return [f"paths.mlruns_dir={tmp_path / 'mlruns'}", f"paths.output_dir={tmp_path / 'outputs'}",
            f"paths.experiments_dir={tmp_path / 'experiments'}", "progress=false"]


@pytest.fixture
def make_cfg(tmp_store):
    """Compose ``train.yaml`` (or another top config) with the tmp store applied."""

    def _make(*overrides: str, name: str = "train"):
        return compose_config(name, [*tmp_store, *overrides])

    return _make


@pytest.hookimpl(tryfirst=True)   # before -m 'not slow' deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that starts a real server (PostgreSQL, an MLflow tracking server, a Dask cluster) is also slow.

    Starting them costs minutes of the fast suite; CI runs them all in ``make test-slow-only``.
    """
    for item in items:
        if item.get_closest_marker("server") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def compare_store(tmp_path_factory):
    """One throwaway MLflow store for the comparison tests (building its SQLite schema is the slow part).

    The folder's ``mlruns/`` holds the store; each test module uses its own experiments.
    """
    from tests.mlflow_template import fresh_store

    folder = tmp_path_factory.mktemp("compare-store")
    fresh_store(folder / "mlruns", tmp_path_factory)
    return folder
