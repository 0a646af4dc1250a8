"""A private PostgreSQL server for shared Optuna studies, started and stopped from Python."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from nacarbon.scale import ServerError, free_port, run_script

_SCRIPT = "postgres.sh"
_CANNOT_INSTALL = 4  # scripts/postgres.sh: PostgreSQL missing and not installable


class PostgresServer:
    """Context manager running ``scripts/postgres.sh`` on a directory of its own.

    ``with PostgresServer() as url:`` installs PostgreSQL if needed (root and apt-get), creates
    a cluster in a fresh temporary directory, starts it on a free 127.0.0.1 port and yields the
    SQLAlchemy URL of the ``optuna`` database; leaving the block stops the server and deletes
    the directory.

    Parameters
    ----------
    base_dir : str or Path, optional
        Where the cluster lives. Default: a new directory under the system temp folder (kept
        traversable, because as root the server runs as the ``postgres`` user), removed on stop.
    port : int, optional
        Port on 127.0.0.1; default a free one.
    database : str
        Database the URL names (``optuna``; ``mlflow`` also exists).
    durable : bool
        False turns fsync off: fine for a throwaway test server, never for real studies.

    Notes
    -----
    Raises :class:`nacarbon.scale.ServerUnavailable` when PostgreSQL is neither installed nor
    installable, :class:`nacarbon.scale.ServerError` for any other failure.
    """

    def __init__(self, base_dir: str | Path | None = None, *, port: int | None = None,
                 database: str = "optuna", durable: bool = False):
        self.base_dir = base_dir
        self.port = port
        self.database = database
        self.durable = durable
        self._dir: Path | None = None
        self._owns_dir = False
        self.url: str | None = None

    @property
    def password(self) -> str:
        """The database password inside :attr:`url` (for checks that it never leaks)."""
        if self.url is None:
            raise ServerError("PostgresServer is not started")
        return urlsplit(self.url).password or ""

    def _args(self, command: str) -> list[str]:
        return [command, "--dir", str(self._dir), "--db", self.database]

    def start(self) -> str:
        """Start the server (installing PostgreSQL first if needed); return the database URL.

        Returns
        -------
        str
            ``postgresql+psycopg2://nacarbon:<password>@127.0.0.1:<port>/<database>``.
        """
        if self.url is not None:
            return self.url
        if self.base_dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="nacarbon-pg-"))
            self._owns_dir = True
            # mkdtemp makes it 0700; the postgres user must be able to pass through it.
            os.chmod(self._dir, 0o711)
        else:
            self._dir = Path(self.base_dir).resolve()
        args = [*self._args("start"), "--port", str(self.port or free_port())]
        if not self.durable:
            args.append("--fast")
        try:
            self.url = run_script(_SCRIPT, args, unavailable_code=_CANNOT_INSTALL).splitlines()[-1]
        except ServerError:
            # A start that failed after pg_ctl (say, creating the role) must not leave a server behind.
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stop the server; delete its directory if this object created it."""
        if self._dir is None:
            return
        try:
            if (self._dir / "data" / "PG_VERSION").is_file():
                run_script(_SCRIPT, self._args("stop"))
        finally:
            self.url = None
            if self._owns_dir:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir, self._owns_dir = None, False

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
