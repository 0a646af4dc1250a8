"""The one reader of ``conf/target/*.yaml``: what a performance is (:class:`TargetSpec`).

Every target file states every key (:data:`KEYS`): a key left out is a ConfigError naming the file
and the key, not a silent default that differs from command to command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from nacarbon.errors import ConfigError
from nacarbon.paths import project_root


@dataclass(frozen=True)
class TargetSpec:
    """One performance, as ``conf/target/<name>.yaml`` states it.

    ``transform`` is ``none`` or ``log`` (of ``y``); ``filter`` maps a column to the allowed values of the
    training conditions (``{}``: all rows); ``lab_calibration["trend"]`` is ``auto`` (``predict`` may fit a
    within-lab trend where a cross-fitted check prefers it) or ``never``.
    """

    name: str
    column: str
    label: str
    unit: str
    higher_is_better: bool
    datasets: tuple[str, ...]
    transform: str
    filter: dict[str, list[str]]
    lab_calibration: dict[str, str]

    @classmethod
    def from_config(cls, node: DictConfig | Mapping, *, source: str | None = None) -> TargetSpec:
        """Build a spec from a target config node; a missing or mistyped key is a ConfigError naming ``source``."""
        values = OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else dict(node)
        source = source or f"conf/target/{values.get('name', '<name>')}.yaml"
        for key in KEYS:
            if key not in values or values[key] is None:
                raise ConfigError(f"{source} does not state it; every target file states every key: "
                                  f"{', '.join(KEYS)}", key=f"target.{key}", value=None)
        _check_types(values, source)
        return cls(name=str(values["name"]), column=str(values["column"]), label=str(values["label"]),
                   unit=str(values["unit"]), higher_is_better=values["higher_is_better"],
                   datasets=tuple(str(d) for d in values["datasets"]), transform=str(values["transform"]),
                   filter={str(c): [str(v) for v in allowed] for c, allowed in values["filter"].items()},
                   lab_calibration={str(k): str(v) for k, v in values["lab_calibration"].items()})


KEYS = tuple(f.name for f in fields(TargetSpec))
TRENDS = ("auto", "never")


def _check_types(values: dict, source: str) -> None:
    """Refuse a value of the wrong shape, naming the file and key (``true`` as a string is not a bool)."""
    shapes = {"higher_is_better": (bool, "true or false"), "datasets": (list, "a list of dataset names"),
              "filter": (dict, "a mapping column -> [allowed values], {} for none"),
              "lab_calibration": (dict, "a mapping with trend: auto | never")}
    for key, (kind, allowed) in shapes.items():
        if not isinstance(values[key], kind):
            raise ConfigError(f"in {source}", key=f"target.{key}", value=values[key], allowed=allowed)
    for column, allowed in values["filter"].items():
        if not isinstance(allowed, list):
            raise ConfigError(f"in {source}", key=f"target.filter.{column}", value=allowed,
                              allowed="a list of allowed values")
    trend = values["lab_calibration"].get("trend")
    if trend not in TRENDS:
        raise ConfigError(f"in {source}", key="target.lab_calibration.trend", value=trend, allowed=list(TRENDS))


def target_dir() -> Path:
    """The folder of the target configs: ``conf/target/``."""
    return project_root() / "conf" / "target"


def target_names() -> list[str]:
    """Target names with a config in ``conf/target/``."""
    return sorted(p.stem for p in target_dir().glob("*.yaml"))


def load_target(name: str) -> TargetSpec:
    """The spec in ``conf/target/<name>.yaml``; ConfigError if there is none (listing the known ones)."""
    path = target_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(f"unknown target {name!r}: no conf/target/{name}.yaml", allowed=target_names())
    return TargetSpec.from_config(OmegaConf.load(path), source=f"conf/target/{name}.yaml")


def targets_on_dataset(names: Iterable[str], dataset: str) -> tuple[list[TargetSpec], list[str]]:
    """The named targets (in order) the dataset carries, and one note per target left out saying why."""
    specs, notes = [], []
    for spec in map(load_target, names):
        if dataset in spec.datasets:
            specs.append(spec)
        else:
            notes.append(f"{spec.name}: dataset {dataset!r} has no {spec.column}; skipped")
    return specs, notes
