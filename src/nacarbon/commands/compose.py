"""Compose a top-level config exactly as its ``python -m <verb>`` entry point would."""

from __future__ import annotations

from collections.abc import Sequence

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.paths import project_root


def compose_config(name: str, overrides: Sequence[str] = ()) -> DictConfig:
    """Compose ``conf/<name>.yaml`` with Hydra ``overrides`` (inside a running Hydra app, with its global Hydra)."""
    if GlobalHydra.instance().is_initialized():
        return compose(config_name=name, overrides=list(overrides))
    with initialize_config_dir(config_dir=str(project_root() / "conf"), version_base="1.3"):
        return compose(config_name=name, overrides=list(overrides))
