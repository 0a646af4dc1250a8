"""The performances an analysis covers, read from ``conf/target/*.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf

from nacarbon.errors import ConfigError


@dataclass(frozen=True)
class TargetSpec:
    """One performance: config name, database column, label, unit and direction."""

    name: str
    column: str
    label: str
    unit: str
    higher_is_better: bool
    datasets: tuple[str, ...]


def load_targets(names: list[str], conf_dir: str | Path, *, dataset: str) -> tuple[list[TargetSpec], list[str]]:
    """Read the named target configs and keep those the dataset carries.

    Parameters
    ----------
    names : list of str
        Target config names, e.g. ``["capacity", "rate"]``.
    conf_dir : str or Path
        The project's ``conf/`` folder.
    dataset : str
        Dataset name; a target whose ``datasets`` list lacks it is left out.

    Returns
    -------
    specs : list of TargetSpec
        The targets kept, in the order given.
    notes : list of str
        One line per target left out, saying why.

    Raises
    ------
    ConfigError
        If a name has no ``conf/target/<name>.yaml``.
    """
    specs, notes = [], []
    for name in names:
        path = Path(conf_dir, "target", f"{name}.yaml")
        if not path.is_file():
            known = sorted(p.stem for p in path.parent.glob("*.yaml"))
            raise ConfigError(f"conf/analyze.yaml: targets: unknown target {name!r}; known: {known}")
        node = OmegaConf.load(path)
        spec = TargetSpec(name=name, column=str(node.column), label=str(node.get("label", name)),
                          unit=str(node.get("unit", "")), higher_is_better=bool(node.higher_is_better),
                          datasets=tuple(node.get("datasets", ())))
        if dataset not in spec.datasets:
            notes.append(f"{name}: dataset {dataset!r} has no {spec.column}; skipped")
            continue
        specs.append(spec)
    return specs, notes
