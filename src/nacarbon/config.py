"""Hydra/OmegaConf glue shared by the entry points."""

from __future__ import annotations

import os

from omegaconf import OmegaConf

from nacarbon.paths import project_root


def register_resolvers() -> None:
    """Register ``${nacarbon.root:}`` so configs can name files relative to the repository."""
    if not OmegaConf.has_resolver("nacarbon.root"):
        OmegaConf.register_new_resolver("nacarbon.root", lambda: str(project_root()))


def quiet_environment() -> None:
    """Keep MLflow from phoning home: the machines reach package registries only."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")


register_resolvers()
quiet_environment()
