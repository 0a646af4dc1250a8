"""Beyond one machine: a shared MLflow tracking server and PostgreSQL-backed Optuna studies.

Modules
-------
mlflow_server
    :class:`MlflowServer`, a tracking server on a free port (wraps ``scripts/mlflow_server.sh``).
postgres
    :class:`PostgresServer`, a private PostgreSQL for shared studies (wraps ``scripts/postgres.sh``).
tuning_workers
    :func:`tune_in_processes`, several worker processes on one Optuna study.

This module holds what they share: the errors and the script runner.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from nacarbon.errors import NacarbonError
from nacarbon.paths import project_root
from nacarbon.tracking.redact import redact


class ServerError(NacarbonError):
    """A server could not be started, reached or stopped."""


class ServerUnavailable(ServerError):
    """The server software is missing and cannot be installed here (no root, no apt-get, no network)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Returns
    -------
    int
        The port the kernel handed out for an ephemeral bind. Another process could take it
        before the caller binds it; the scripts then fail loudly ("port ... is taken").
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def script_path(name: str) -> Path:
    """Path of ``scripts/<name>`` in the repository; raise :class:`ServerError` if it is missing."""
    path = project_root() / "scripts" / name
    if not path.is_file():
        raise ServerError(f"{path} not found: nacarbon.scale needs the repository's scripts/ folder")
    return path


def run_script(name: str, args: Sequence[str], *, env: Mapping[str, str] | None = None,
               unavailable_code: int | None = None) -> str:
    """Run ``bash scripts/<name> args...`` and return its stdout, stripped.

    Parameters
    ----------
    name : str
        Script file name under ``scripts/``.
    args : sequence of str
        Its arguments.
    env : mapping, optional
        Extra environment variables (added to the current environment).
    unavailable_code : int, optional
        The exit code by which the script says "cannot be installed here"; it raises
        :class:`ServerUnavailable` instead of :class:`ServerError`.

    Returns
    -------
    str
        The script's standard output (the URL, for ``start``).
    """
    proc = subprocess.run(["bash", str(script_path(name)), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=False)
    if proc.returncode != 0:
        tail = "\n".join(redact(proc.stderr).strip().splitlines()[-15:])
        cls = ServerUnavailable if proc.returncode == unavailable_code else ServerError
        raise cls(f"scripts/{name} {redact(' '.join(args))} failed with exit code {proc.returncode}:\n{tail}")
    return proc.stdout.strip()
