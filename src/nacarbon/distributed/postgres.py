"""A private PostgreSQL server for shared Optuna studies, started and stopped from Python."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from nacarbon.distributed import ScriptServer, free_port, run_script
from nacarbon.errors import ServerError

_SCRIPT = "postgres.sh"
_CANNOT_INSTALL = 4  # scripts/postgres.sh: PostgreSQL missing and not installable


class PostgresServer(ScriptServer):
    """Context manager running ``scripts/postgres.sh`` on a directory of its own.

    ``with PostgresServer() as url:`` installs PostgreSQL if needed (root and apt-get), starts a fresh
    cluster on a free 127.0.0.1 port and yields the SQLAlchemy URL of ``database`` (``optuna``; ``mlflow``
    also exists); leaving the block stops it and deletes the directory. A default ``base_dir`` stays
    traversable because as root the server runs as ``postgres``. ``durable=False`` turns fsync off: for
    throwaway servers only. Raises ServerUnavailable when PostgreSQL is neither installed nor installable,
    ServerError otherwise.
    """

    _dir_prefix = "nacarbon-pg-"
    # mkdtemp makes it 0700; the postgres user must be able to pass through it.
    _dir_mode = 0o711

    def __init__(self, base_dir: str | Path | None = None, *, port: int | None = None,
                 database: str = "optuna", durable: bool = False):
        super().__init__(base_dir, port=port)
        self.database = database
        self.durable = durable

    @property
    def password(self) -> str:
        """The database password inside :attr:`url` (for checks that it never leaks)."""
        if self.url is None:
            raise ServerError("PostgresServer is not started")
        return urlsplit(self.url).password or ""

    def _args(self, command: str) -> list[str]:
        return [command, "--dir", str(self._dir), "--db", self.database]

    def _launch(self) -> str:
        """Run ``start`` (installing PostgreSQL first if needed); return the database URL."""
        args = [*self._args("start"), "--port", str(self.port or free_port())]
        if not self.durable:
            args.append("--fast")
        try:
            return run_script(_SCRIPT, args, unavailable_code=_CANNOT_INSTALL).splitlines()[-1]
        except ServerError:
            # A start that failed after pg_ctl (say, creating the role) must not leave a server behind.
            self.stop()
            raise

    def _halt(self) -> None:
        """Run ``stop`` if a cluster was ever created here."""
        if (self._dir / "data" / "PG_VERSION").is_file():
            run_script(_SCRIPT, self._args("stop"))
