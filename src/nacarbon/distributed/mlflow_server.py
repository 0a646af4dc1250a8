"""An MLflow tracking server on a free local port, started and stopped from Python."""

from __future__ import annotations

import sys
from pathlib import Path

from nacarbon.distributed import ScriptServer, free_port, run_script
from nacarbon.errors import ServerError
from nacarbon.tracking.redact import redact

_SCRIPT = "mlflow_server.sh"


class MlflowServer(ScriptServer):
    """Context manager running ``scripts/mlflow_server.sh`` with its own store and port.

    ``with MlflowServer() as uri:`` yields ``http://127.0.0.1:<port>`` (artifacts served through it), ready
    for ``tracking.uri=<uri>``; leaving the block stops it and deletes its stores. ``base_dir`` holds
    ``server/`` (pid, log, SQLite) and ``artifacts/``; ``backend_store_uri`` (e.g.
    ``postgresql+psycopg2://``) replaces the SQLite; ``workers``: one keeps start-up short, a team server
    wants more; ``start_timeout``: seconds to wait for ``/health``.
    """

    _dir_prefix = "nacarbon-mlflow-"

    def __init__(self, base_dir: str | Path | None = None, *, port: int | None = None,
                 backend_store_uri: str | None = None, workers: int = 1, start_timeout: int = 300):
        super().__init__(base_dir, port=port)
        self.backend_store_uri = backend_store_uri
        self.workers = workers
        self.start_timeout = start_timeout
        self._port: int | None = None

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        if self._dir is None:
            raise ServerError("MlflowServer is not started")
        return self._dir / "server" / "server.log"

    @property
    def artifacts_dir(self) -> Path:
        """Where the server stores uploaded artifacts."""
        if self._dir is None:
            raise ServerError("MlflowServer is not started")
        return self._dir / "artifacts"

    def _env(self) -> dict[str, str]:
        env = {"PORT": str(self._port), "SERVER_DIR": str(self._dir / "server"),
               "ARTIFACTS_DIR": str(self.artifacts_dir), "WORKERS": str(self.workers),
               "START_TIMEOUT": str(self.start_timeout)}
        # The mlflow next to this interpreter: the same install the clients use.
        mlflow_exe = Path(sys.executable).with_name("mlflow")
        if mlflow_exe.is_file():
            env["MLFLOW"] = str(mlflow_exe)
        if self.backend_store_uri:
            env["BACKEND_STORE_URI"] = self.backend_store_uri
        return env

    def _launch(self) -> str:
        """Run ``start``; return ``http://127.0.0.1:<port>``, or stop and raise with the log's tail."""
        self._port = self.port or free_port()
        try:
            return run_script(_SCRIPT, ["start"], env=self._env()).splitlines()[-1]
        except ServerError as err:
            log = self._log_tail()
            self.stop()
            raise ServerError(f"{err}\n--- server log ---\n{log}") from None

    def _log_tail(self, n: int = 30) -> str:
        try:
            return redact("\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:]))
        except OSError:
            return "(no log)"

    def _halt(self) -> None:
        """Run ``stop``: the script ends the server's whole process group."""
        run_script(_SCRIPT, ["stop"], env=self._env())
