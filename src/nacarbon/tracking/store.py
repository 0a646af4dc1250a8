"""MLflow set-up: one tracking URI for every entry point, artifacts inside the project.

Every command opens the store through :func:`connect`, so that is where an unusable store is refused,
a moved ``mlruns/`` re-pointed and runs left RUNNING by a killed process marked FAILED.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import mlflow
from mlflow.entities import RunStatus
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.errors import StoreError
from nacarbon.paths import project_root, sqlite_path
from nacarbon.tracking.failures import store_errors
from nacarbon.tracking.redact import redact

PROBE_TIMEOUT_S = 5.0
HOST_TAG, PID_TAG, STALE_TAG = "nacarbon.host", "nacarbon.pid", "nacarbon.failed_because"
PROC_START_TAG = "nacarbon.proc_start"     # the process's start time (Linux clock ticks since boot): pids are reused


def is_local(uri: str) -> bool:
    """True for an embedded store (SQLite or another SQL URL), False for a tracking server."""
    return not uri.startswith(("http://", "https://", "databricks"))


def probe_server(uri: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise :class:`StoreError` unless the tracking server at ``uri`` answers its health check."""
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            if reply.status == 200:
                return
            reason = f"HTTP {reply.status}"
    except urllib.error.HTTPError as err:
        reason = f"HTTP {err.code}"
    except (urllib.error.URLError, OSError, socket.timeout) as err:
        reason = str(getattr(err, "reason", err))
    raise StoreError(f"MLflow tracking server {redact(uri)} cannot be reached ({reason}); start it "
                     f"(make server) or set tracking.uri to a running server or to the local store")


def check_writable(folder: str | Path) -> None:
    """Create ``folder`` if needed and prove a file can be written in it, else raise StoreError."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-probe-"):
            pass
    except OSError as err:
        raise StoreError(f"cannot write to {folder}: {err.strerror or err}; runs need a writable folder "
                         f"(check its permissions, or set paths.mlruns_dir)") from None


def _proc_start(pid: int) -> str | None:
    """When process ``pid`` started (field 22 of /proc/<pid>/stat), or None where /proc is not there."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _mark_owner() -> None:
    """Tag every run this process opens with its host, pid and start time (MLflow's MLFLOW_RUN_CONTEXT tags)."""
    tags = json.loads(os.environ.get("MLFLOW_RUN_CONTEXT") or "{}")
    tags.update({HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())})
    start = _proc_start(os.getpid())
    if start is not None:
        tags[PROC_START_TAG] = start
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps(tags)


def _alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` of this host still runs (and is the one that started at ``started``)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if started is not None:
        now = _proc_start(pid)
        return now is None or now == started     # another process under a reused pid: the owner is gone
    return True


def fail_stale_runs(client: MlflowClient) -> list[str]:
    """Mark FAILED (tag ``nacarbon.failed_because``) every RUNNING run whose process on this host is gone.

    The owner is read from the host/pid/start-time tags :func:`connect` arranges. Whether a process lives
    is only known on its host, so runs of other hosts or without those tags are left alone, however old.
    Returns the run ids marked.
    """
    host, marked = socket.gethostname(), []
    exp_ids = [e.experiment_id for e in client.search_experiments()]
    if not exp_ids:
        return marked
    running = client.search_runs(exp_ids, filter_string="attributes.status = 'RUNNING'", max_results=1000)
    for run in running:
        tags = run.data.tags
        if tags.get(HOST_TAG) != host or not str(tags.get(PID_TAG, "")).isdigit():
            continue
        pid = int(tags[PID_TAG])
        if pid == os.getpid() or _alive(pid, tags.get(PROC_START_TAG)):
            continue
        client.set_tag(run.info.run_id, STALE_TAG, f"process {pid} on {host} ended without closing the run")
        client.set_terminated(run.info.run_id, status=RunStatus.to_string(RunStatus.FAILED))
        marked.append(run.info.run_id)
    return marked


def relocate_store(db_path: str | Path, artifact_root: str | Path) -> dict[str, str]:
    """Point a copied or moved SQLite store at the artifacts beside it; return old -> new ``file://`` prefix.

    A copy of ``mlruns/`` keeps the original's absolute paths; where the experiment's folder exists under
    ``artifact_root``, every stored path under the old prefix is rewritten in one transaction. Raises
    StoreError if an experiment's artifacts are outside it with no copy there (runs would go to another tree).
    """
    root = Path(artifact_root).resolve()
    if not Path(db_path).is_file():
        return {}
    moved: dict[str, str] = {}
    with sqlite3.connect(db_path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "experiments" not in tables:
            return {}
        for name, location in con.execute("SELECT name, artifact_location FROM experiments").fetchall():
            if not str(location).startswith("file://"):
                continue
            old = Path(location.removeprefix("file://"))
            new = root / old.name
            if old == new or old.name != name:
                continue     # in place, or not a folder this project laid out
            if not new.is_dir() and old.is_dir():
                # Only the database was copied: its runs' files are in another tree.
                raise StoreError(
                    f"{db_path}: experiment '{name}' keeps its artifacts in {old}, outside this store's "
                    f"{root}; copy {old} to {new} (or set tracking.artifact_root={old.parent})")
            moved[old.as_uri()] = new.as_uri()
        if not moved:
            return {}
        columns = [("experiments", "artifact_location"), ("runs", "artifact_uri"),
                   ("logged_models", "artifact_location"), ("model_versions", "source"),
                   ("model_versions", "storage_location")]
        for old, new in moved.items():
            for table, column in columns:
                if table in tables:
                    con.execute(f"UPDATE {table} SET {column} = ? || substr({column}, ?) "  # noqa: S608 (fixed names)
                                f"WHERE {column} = ? OR {column} LIKE ? ESCAPE '\\'",
                                (new, len(old) + 1, old, old.replace("%", "\\%").replace("_", "\\_") + "/%"))
    return moved


def connect(uri: str, artifact_root: str | Path) -> MlflowClient:
    """Point MLflow at ``uri`` and return a client, after checking the store can be used.

    A SQLite store's folder is created (a fresh clone works) and must be writable, a moved store is
    re-pointed (:func:`relocate_store`), a server must answer within seconds (else StoreError); then
    stale runs of this host are marked FAILED (:func:`fail_stale_runs`).
    """
    db = sqlite_path(uri)
    if db is not None:
        check_writable(db.parent)
        check_writable(artifact_root)
        if db.exists() and not os.access(db, os.W_OK):
            raise StoreError(f"cannot write to {db}: the MLflow database is read-only")
        relocate_store(db, artifact_root)
    elif uri.startswith(("http://", "https://")):
        probe_server(uri)
        # MLflow retries a failed request (config.py sets how often); urllib3 logs each retry as a
        # warning. A server that stays down is one StoreError (store_errors), not a page of retries.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    _mark_owner()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    if db is None or db.exists():
        with store_errors(uri, "looking for runs left RUNNING by a killed process"):
            fail_stale_runs(client)
    return client


def ensure_experiment(name: str, *, uri: str, artifact_root: str | Path) -> str:
    """Create (or find) an experiment and make it active; return its id.

    An embedded store keeps its artifacts in ``artifact_root/<name>``; a tracking server chooses itself.
    """
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(name)
    if exp is None:
        location = Path(artifact_root, name).resolve().as_uri() if is_local(uri) else None
        try:
            exp_id = client.create_experiment(name, artifact_location=location)
        except MlflowException as err:
            # Another worker created it between our look-up and our create.
            if err.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            exp_id = client.get_experiment_by_name(name).experiment_id
    else:
        exp_id = exp.experiment_id
    mlflow.set_experiment(experiment_id=exp_id)
    return exp_id


def git_commit(root: Path | None = None) -> str:
    """The repository's HEAD commit (with ``-dirty`` if the tree has changes), or ``unknown``."""
    root = root or project_root()
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head
