"""How ``make test`` spreads the fast suite over two workers (pytest-xdist, ``--dist loadscope``).

A module's tests stay on one worker, so each module-scoped fixture (a trained store, the
bad-input corpus run once for the whole module) is built once, as in a serial run. The server
tests under ``tests/distributed/`` share one worker too: their session fixtures start one
PostgreSQL and one MLflow server, which would otherwise start once per worker.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

# Scopes larger than one module: every test under the prefix is one unit of work.
SHARED_SCOPES = ("tests/distributed/",)


class ModuleScheduling(LoadScopeScheduling):
    """``loadscope`` with every module under :data:`SHARED_SCOPES` in one scope."""

    def _split_scope(self, nodeid: str) -> str:
        """The scope of ``nodeid``: a shared prefix if it has one, else its module (as loadscope does)."""
        for prefix in SHARED_SCOPES:
            if nodeid.startswith(prefix):
                return prefix
        return super()._split_scope(nodeid)


class ScopesPlugin:
    """Registered by ``tests/conftest.py`` only when pytest-xdist is installed (its hook is xdist's)."""

    @pytest.hookimpl
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: object) -> LoadScopeScheduling | None:
        """Use :class:`ModuleScheduling` for ``--dist loadscope``; leave other modes to xdist."""
        if config.getoption("dist") == "loadscope":
            return ModuleScheduling(config, log)
        return None
