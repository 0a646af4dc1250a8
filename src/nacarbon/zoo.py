"""The model zoo: every ``conf/model/*.yaml``, trained on a target one config at a time."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf
from threadpoolctl import threadpool_limits

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.errors import ConfigError
from nacarbon.paths import project_root


@dataclass(frozen=True)
class ZooRun:
    """One trained (target, model) pair and how long it took (wall clock and this process's CPU)."""

    target: str
    model: str
    seconds: float
    cpu_seconds: float
    result: object          # nacarbon.training.TrainResult


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


def compose_train(overrides: Sequence[str]) -> DictConfig:
    """Compose ``conf/train.yaml`` as ``python -m train`` would.

    Parameters
    ----------
    overrides : sequence of str
        Hydra overrides (``target=ice``, ``model=svr``, ``search=optuna`` ...).

    Returns
    -------
    DictConfig

    Notes
    -----
    Inside a running Hydra app (whose search path is the same ``conf/``) the existing
    global Hydra is reused instead of being re-initialised under it.
    """
    if GlobalHydra.instance().is_initialized():
        return compose(config_name="train", overrides=list(overrides))
    with initialize_config_dir(config_dir=str(project_root() / "conf"), version_base="1.3"):
        return compose(config_name="train", overrides=list(overrides))


def train_zoo(targets: Sequence[str], models: Sequence[str] | None = None, overrides: Sequence[str] = (), *,
              threads: int | None = 1) -> list[ZooRun]:
    """Train every model on every target, each as its own MLflow run.

    Parameters
    ----------
    targets : sequence of str
        Target config names (``capacity``, ``ice``, ``rate``, ``plateau``).
    models : sequence of str, optional
        Model config names; default every ``conf/model/*.yaml``.
    overrides : sequence of str
        Extra overrides for every run (store paths, ``search=optuna``, ``dataset=...``).
    threads : int or None, default=1
        BLAS/OpenMP threads per fit; None leaves the libraries' defaults. On a few dozen rows
        threads only add overhead (HistGradientBoosting is ~10x slower with two).

    Returns
    -------
    list of ZooRun
        In the order trained: targets outer, models inner.
    """
    from nacarbon.training import run

    runs = []
    for target in targets:
        for model in models or model_names():
            cfg = compose_train([*overrides, f"target={target}", f"model={model}"])
            start, cpu = time.perf_counter(), time.process_time()
            if threads is None:
                result = run(cfg)
            else:
                with threadpool_limits(limits=threads):
                    result = run(cfg)
            runs.append(ZooRun(target, model, time.perf_counter() - start, time.process_time() - cpu, result))
    return runs
