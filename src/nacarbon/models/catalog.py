"""The model catalogue: every ``conf/model/*.yaml``, simplest first."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.paths import project_root


def model_names(conf_dir: str | Path | None = None, *, exclude: Sequence[str] = ()) -> list[str]:
    """Names of the model configs in ``conf_dir``/model (default the project's), simplest first.

    Sorted by ``complexity``, then name, without ``exclude`` (e.g. ``["dummy"]``, the baseline).
    """
    folder = Path(conf_dir or project_root() / "conf") / "model"
    entries = []
    for path in folder.glob("*.yaml"):
        node = OmegaConf.load(path)
        entries.append((int(node.get("complexity", 99)), path.stem))
    if not entries:
        raise ConfigError(f"no model configs in {folder}")
    return [name for _, name in sorted(entries) if name not in set(exclude)]
