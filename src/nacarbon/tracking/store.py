"""MLflow set-up: one tracking URI for every entry point, artifacts inside the project."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from nacarbon.paths import project_root


def is_local(uri: str) -> bool:
    """True for an embedded store (SQLite or another SQL URL), False for a tracking server."""
    return not uri.startswith(("http://", "https://", "databricks"))


def connect(uri: str, artifact_root: str | Path) -> MlflowClient:
    """Point MLflow at ``uri`` and return a client.

    For a SQLite store the database's folder is created first, so a fresh clone works.
    """
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        Path(artifact_root).mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(name: str, *, uri: str, artifact_root: str | Path) -> str:
    """Create (or find) an experiment and make it active; return its id.

    With an embedded store the experiment's artifacts go to ``artifact_root/<name>`` whatever
    the current directory is; a tracking server chooses the artifact location itself.
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
