"""Where the project lives on disk, so every entry point resolves the same files."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root (holding ``conf/`` and ``data/``): ``NACARBON_ROOT``, else found from this file
    (which holds for the editable install the Makefile makes)."""
    env = os.environ.get("NACARBON_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "conf").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd().resolve()


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (MLflow's or Optuna's store), else None."""
    return Path(uri.removeprefix("sqlite:///")) if uri.startswith("sqlite:///") else None
