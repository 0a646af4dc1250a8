"""``make run``: the whole job, step by step, from configs.

    python -m nacarbon.pipeline [targets=[ice,rate]] [models=[ridge,xgboost]] [steps=[validate,train]]

Each step calls the same library function as its own command (``python -m train``,
``python -m promote`` ...), with configs composed the same way, so the pipeline is nothing
but those commands in order.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from collections.abc import Callable
from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

import nacarbon.config  # noqa: F401  (resolvers)
from nacarbon.errors import NacarbonError
from nacarbon.paths import project_root

log = logging.getLogger("nacarbon.pipeline")


def compose_config(name: str, overrides: list[str]) -> DictConfig:
    """Compose ``conf/<name>.yaml`` exactly as its command-line entry point would."""
    with initialize_config_dir(config_dir=str(project_root() / "conf"), version_base="1.3"):
        return compose(config_name=name, overrides=overrides)


def shared_overrides(cfg: DictConfig) -> list[str]:
    """Overrides every step inherits from the pipeline config (store, dataset, protocol)."""
    return [f"paths.root={cfg.paths.root}", f"paths.mlruns_dir={cfg.paths.mlruns_dir}",
            f"paths.output_dir={cfg.paths.output_dir}", f"paths.experiments_dir={cfg.paths.experiments_dir}",
            f"tracking.uri={cfg.tracking.uri}", f"dataset={cfg.dataset.name}", f"cv={cfg.cv.name}",
            f"features={cfg.features.name}"]


def step_validate(cfg: DictConfig, state: dict) -> None:
    """Validate every file of the dataset before anything trains."""
    from nacarbon.data.io import load_configured

    ds = load_configured(cfg.dataset)
    state["data_version"] = ds.version
    print(f"[validate] {cfg.dataset.name}: {len(ds.frame)} rows valid, data version {ds.version}")


def _train_one(overrides: list[str]) -> dict:
    """Train one configuration (runs in a worker process when ``n_jobs > 1``)."""
    from nacarbon.training import run

    return run(compose_config("train", overrides)).metrics


def step_train(cfg: DictConfig, state: dict) -> None:
    """Train (tuned, nested CV) every target x model, ``n_jobs`` at a time."""
    from nacarbon.tracking.store import connect, ensure_experiment
    from nacarbon.tracking.train_run import experiment_name

    # Create the store and experiment once, before workers race to do it.
    connect(cfg.tracking.uri, cfg.tracking.artifact_root)
    ensure_experiment(experiment_name(cfg), uri=cfg.tracking.uri, artifact_root=cfg.tracking.artifact_root)
    jobs = {(t, m): [*shared_overrides(cfg), f"target={t}", f"model={m}", f"search={cfg.search_preset}",
                     *cfg.search_overrides, f"seed={cfg.seed}", "progress=false"]
            for t in cfg.targets for m in cfg.models}
    results = state.setdefault("train", {})
    bar = tqdm(total=len(jobs), desc="train", disable=not cfg.progress)

    def done(key: tuple[str, str], metrics: dict) -> None:
        results[key] = metrics
        bar.update()
        tqdm.write(f"[train] {key[0]:9s} {key[1]:18s} RMSE {metrics['rmse_mean']:.4g} "
                   f"(baseline {metrics['baseline_rmse_mean']:.4g})")

    if int(cfg.n_jobs) <= 1:
        for key, over in jobs.items():
            done(key, _train_one(over))
    else:
        # One BLAS/OpenMP thread per worker: the parallelism is across jobs.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=int(cfg.n_jobs), mp_context=ctx) as pool:
            futures = {pool.submit(_train_one, over): key for key, over in jobs.items()}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    bar.close()


def step_promote(cfg: DictConfig, state: dict) -> None:
    """Promote the best run of every target (or say why not)."""
    from nacarbon.promoting import format_decision, run

    for target in cfg.targets:
        pcfg = compose_config("promote", [*shared_overrides(cfg), f"target={target}"])
        decision = run(pcfg)
        state.setdefault("promote", {})[target] = decision
        print("[promote] " + format_decision(pcfg, decision).replace("\n", "\n          "))


def _optional(module: str, func: str) -> Callable[[DictConfig, dict], None]:
    """A step implemented in another module, imported only when it runs."""

    def step(cfg: DictConfig, state: dict) -> None:
        mod = __import__(module, fromlist=[func])
        getattr(mod, func)(cfg, state, compose_config, shared_overrides(cfg))

    return step


STEPS: dict[str, Callable[[DictConfig, dict], None]] = {
    "validate": step_validate,
    "train": step_train,
    "compare": _optional("nacarbon.steps", "step_compare"),
    "promote": step_promote,
    "screen": _optional("nacarbon.steps", "step_screen"),
    "analyze": _optional("nacarbon.steps", "step_analyze"),
    "report": _optional("nacarbon.steps", "step_report"),
}


def run(cfg: DictConfig) -> dict:
    """Run the configured steps in order; return what they produced."""
    unknown = [s for s in cfg.steps if s not in STEPS]
    if unknown:
        raise NacarbonError(f"conf/pipeline.yaml: unknown steps {unknown}; known: {list(STEPS)}")
    state: dict = {"timings": {}}
    for name in cfg.steps:
        t0 = time.perf_counter()
        STEPS[name](cfg, state)
        state["timings"][name] = time.perf_counter() - t0
        print(f"[{name}] done in {state['timings'][name]:.1f} s")
    return state


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: Hydra-style ``key=value`` overrides of ``conf/pipeline.yaml``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    overrides = list(sys.argv[1:] if argv is None else argv)
    try:
        cfg = compose_config("pipeline", overrides)
        state = run(cfg)
    except NacarbonError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    total = sum(state["timings"].values())
    print(f"pipeline finished in {total:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in state["timings"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
