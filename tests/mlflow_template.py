"""Empty MLflow stores for tests, copied from one migrated template.

Creating an MLflow SQLite store runs every schema migration (seconds each time); copying an
already-migrated empty database gives the same fresh store at once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from nacarbon.tracking.store import connect

_TEMPLATE: list[Path] = []


def fresh_store(mlruns_dir: Path, tmp_path_factory) -> str:
    """Put an empty, migrated ``mlflow.db`` into ``mlruns_dir``; return its tracking URI.

    Parameters
    ----------
    mlruns_dir : Path
        What ``paths.mlruns_dir`` will point at.
    tmp_path_factory : pytest.TempPathFactory
        Where the session's template lives.

    Returns
    -------
    str
        ``sqlite:///<mlruns_dir>/mlflow.db``.
    """
    if not _TEMPLATE:
        folder = tmp_path_factory.mktemp("mlflow-template")
        client = connect(f"sqlite:///{folder}/mlflow.db", folder / "artifacts")
        client.search_experiments()  # the store (and its schema) is built on first use
        _TEMPLATE.append(folder / "mlflow.db")
    mlruns_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE[0], mlruns_dir / "mlflow.db")
    return f"sqlite:///{mlruns_dir}/mlflow.db"
