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

from omegaconf import DictConfig
from tqdm.auto import tqdm

from nacarbon.commands import analyze, compare, promote, screen, train
from nacarbon.commands.compose import compose_config
from nacarbon.errors import NacarbonError

log = logging.getLogger("nacarbon.pipeline")


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
    return train.run(compose_config("train", overrides)).metrics


def step_train(cfg: DictConfig, state: dict) -> None:
    """Train (tuned, nested CV) every target x model, ``n_jobs`` at a time."""
    from nacarbon.tracking.runs import prepare_experiment
    from nacarbon.tracking.tags import experiment_name

    # Create the store and experiment once, before workers race to do it.
    prepare_experiment(experiment_name(cfg.dataset.name), uri=cfg.tracking.uri,
                       artifact_root=cfg.tracking.artifact_root)
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
    for target in cfg.targets:
        pcfg = compose_config("promote", [*shared_overrides(cfg), f"target={target}"])
        decision = promote.run(pcfg)
        state.setdefault("promote", {})[target] = decision
        print("[promote] " + promote.format_decision(pcfg, decision).replace("\n", "\n          "))


def step_compare(cfg: DictConfig, state: dict) -> None:
    """The Fig. S5 comparison of every trained family, per target."""
    ccfg = compose_config("compare", [*shared_overrides(cfg), f"targets=[{','.join(cfg.targets)}]",
                                      f"runs_search={cfg.search_preset}", f"seed={cfg.seed}"])
    state["compare"] = compare.run(ccfg)
    print(f"[compare] tables written under {ccfg.paths.experiments_dir}/compare")


def step_screen(cfg: DictConfig, state: dict) -> None:
    """Screen the default grid with whatever champions exist."""
    keep = [o for o in shared_overrides(cfg) if o.startswith(("paths.", "tracking."))]
    scfg = compose_config("screening", [*keep, f"targets=[{','.join(cfg.targets)}]", f"progress={cfg.progress}"])
    outcome = screen.run(scfg)
    state["screen"] = outcome
    print(f"[screen] {outcome.result.n_candidates:,} candidates, {outcome.result.n_passed:,} feasible; "
          f"ranked on {outcome.ranked}; tables in {outcome.out_dir}")


def step_analyze(cfg: DictConfig, state: dict) -> None:
    """Spearman, maps and SHAP of the pipeline's dataset and targets, reproduction report included."""
    acfg = compose_config("analyze", [*shared_overrides(cfg), f"targets=[{','.join(cfg.targets)}]",
                                      f"seed={cfg.seed}", "report=true"])
    result = analyze.run(acfg)
    state["analyze"] = result
    print("[analyze] " + analyze.format_summary(acfg, result).replace("\n", "\n          "))


def step_report(cfg: DictConfig, state: dict) -> None:
    """A one-page summary of the whole run under ``experiments/``."""
    from nacarbon.reporting.run_report import write_run_report

    path = write_run_report(cfg, state)
    print(f"[report] {path}")


STEPS: dict[str, Callable[[DictConfig, dict], None]] = {
    "validate": step_validate,
    "train": step_train,
    "compare": step_compare,
    "promote": step_promote,
    "screen": step_screen,
    "analyze": step_analyze,
    "report": step_report,
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
