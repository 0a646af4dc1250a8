"""The model catalogue: every ``conf/model/*.yaml``, simplest first."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.paths import project_root


def model_names(conf_dir: str | Path | None = None, *, exclude: Sequence[str] = ()) -> list[str]:
    """Names of the model configs, simplest first.

    Parameters
    ----------
    conf_dir : path, optional
        The config root (default: the project's ``conf/``).
    exclude : sequence of str
        Names to leave out (e.g. ``["dummy"]``, which is the baseline itself).

    Returns
    -------
    list of str
        Sorted by the configs' ``complexity``, then by name.
    """
    folder = Path(conf_dir or project_root() / "conf") / "model"
    entries = []
    for path in folder.glob("*.yaml"):
        node = OmegaConf.load(path)
        entries.append((int(node.get("complexity", 99)), path.stem))
    if not entries:
        raise ConfigError(f"no model configs in {folder}")
    return [name for _, name in sorted(entries) if name not in set(exclude)]
