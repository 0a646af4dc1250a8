"""Real servers for the scale tests: one PostgreSQL and one MLflow tracking server per session."""

from __future__ import annotations

import pytest

from nacarbon.errors import ServerUnavailable
from nacarbon.distributed.mlflow_server import MlflowServer
from nacarbon.distributed.postgres import PostgresServer


@pytest.fixture(scope="session")
def postgres():
    """A started :class:`PostgresServer` (apt-get installs it if missing); skips if it cannot be."""
    server = PostgresServer()
    try:
        server.start()
    except ServerUnavailable as err:
        pytest.skip(f"PostgreSQL is not installed and cannot be installed here: {err}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server():
    """A started :class:`MlflowServer` on a free port, SQLite behind it, artifacts served."""
    server = MlflowServer()
    server.start()
    yield server
    server.stop()
