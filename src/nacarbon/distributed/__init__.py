"""Work spread over processes and machines: a tracking server, PostgreSQL-backed studies, workers.

:mod:`.mlflow_server` (:class:`MlflowServer`), :mod:`.postgres` (:class:`PostgresServer`) and
:mod:`.tuning_workers` (:func:`tune_in_processes`); this module holds what they share: the script runner and
:class:`ScriptServer`. (Not feature scaling, ``scale: true`` in conf/model/.)
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path

from nacarbon.errors import ServerError, ServerUnavailable
from nacarbon.paths import project_root
from nacarbon.tracking.redact import redact


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Another process could take it first; the scripts then fail loudly ("port ... is taken").
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def script_path(name: str) -> Path:
    """Path of ``scripts/<name>`` in the repository; raise :class:`ServerError` if it is missing."""
    path = project_root() / "scripts" / name
    if not path.is_file():
        raise ServerError(f"{path} not found: nacarbon.distributed needs the repository's scripts/ folder")
    return path


def run_script(name: str, args: Sequence[str], *, env: Mapping[str, str] | None = None,
               unavailable_code: int | None = None) -> str:
    """Run ``bash scripts/<name> args...`` with ``env`` added to the environment; return its stdout, stripped.

    Raises ServerError on a non-zero exit, ServerUnavailable when the code is ``unavailable_code`` (the
    script's "cannot be installed here").
    """
    proc = subprocess.run(["bash", str(script_path(name)), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    if proc.returncode != 0:
        tail = "\n".join(redact(proc.stderr).strip().splitlines()[-15:])
        cls = ServerUnavailable if proc.returncode == unavailable_code else ServerError
        raise cls(f"scripts/{name} {redact(' '.join(args))} failed with exit code {proc.returncode}:\n{tail}")
    return proc.stdout.strip()


class ScriptServer(ABC):
    """A server run by a ``scripts/`` wrapper on a directory of its own; ``with`` yields its URL.

    :meth:`start` picks the directory (``base_dir``, or a new temporary one this object owns, removed on
    stop) and calls :meth:`_launch`; :meth:`stop` calls :meth:`_halt`, then forgets the URL and deletes an
    owned directory, even when halting failed. ``port`` on 127.0.0.1 defaults to a free one.
    """

    _dir_prefix = "nacarbon-server-"
    #: Mode given to a directory this object creates; None keeps mkdtemp's 0700.
    _dir_mode: int | None = None

    def __init__(self, base_dir: str | Path | None = None, *, port: int | None = None):
        self.base_dir = base_dir
        self.port = port
        self._dir: Path | None = None
        self._owns_dir = False
        self.url: str | None = None

    @abstractmethod
    def _launch(self) -> str:
        """Start the server in ``self._dir``; return its URL. On failure, stop and raise."""

    @abstractmethod
    def _halt(self) -> None:
        """Stop the server running in ``self._dir`` (which is set)."""

    def start(self) -> str:
        """Start the server and wait until it answers; return its URL (again, if already started)."""
        if self.url is not None:
            return self.url
        if self.base_dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix=self._dir_prefix))
            self._owns_dir = True
            if self._dir_mode is not None:
                os.chmod(self._dir, self._dir_mode)
        else:
            self._dir = Path(self.base_dir).resolve()
        self.url = self._launch()
        return self.url

    def stop(self) -> None:
        """Stop the server; delete its directory if this object created it."""
        if self._dir is None:
            return
        try:
            self._halt()
        finally:
            self.url = None
            if self._owns_dir:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir, self._owns_dir = None, False

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
