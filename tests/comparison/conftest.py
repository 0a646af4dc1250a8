"""One throwaway MLflow store for the comparison tests: building its SQLite schema is the slow part."""

from __future__ import annotations

import pytest

from tests.mlflow_template import fresh_store


@pytest.fixture(scope="session")
def compare_store(tmp_path_factory):
    """Folder whose ``mlruns/`` holds the store; each test module uses its own experiments."""
    folder = tmp_path_factory.mktemp("compare-store")
    fresh_store(folder / "mlruns", tmp_path_factory)
    return folder
