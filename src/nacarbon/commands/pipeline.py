"""``make run``: the whole job, step by step, from configs.

    python -m nacarbon.pipeline [plan=main] [targets=[ice,rate]] [models=[ridge,xgboost]] [steps=[validate,train]]

Plans ``main`` (promoted and screened) and ``paper`` (Liu et al. 2022, never promoted) by default. Each
step calls the same library function as its own command, so the pipeline is those commands in order.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig
from tqdm.auto import tqdm

from nacarbon.commands import analyze, compare, pipeline_train, promote, screen
from nacarbon.commands.compose import compose_config
from nacarbon.commands.plans import (families, groups, load_plan, plans, searches,  # noqa: F401
                                     store_overrides, target_overrides)
from nacarbon.errors import ConfigError, NacarbonError, PipelineError

log = logging.getLogger("nacarbon.pipeline")


def step_validate(cfg: DictConfig, state: dict) -> None:
    """Validate every dataset the plans use before anything trains."""
    from nacarbon.data.io import load_configured

    for name in sorted({str(s.dataset) for p in plans(cfg).values() for s in p.targets.values()}):
        ds = load_configured(compose_config("train", [*store_overrides(cfg), f"dataset={name}"]).dataset)
        state.setdefault("data_version", {})[name] = ds.version
        print(f"[validate] {name}: {len(ds.frame)} rows valid, data version {ds.version}")


def tunes(cfg: DictConfig) -> bool:
    """Whether the pipeline's ``search_preset`` tunes (``search_overrides`` only apply then)."""
    return bool(compose_config("train", [*store_overrides(cfg), f"search={cfg.search_preset}"]).search.enabled)


def train_jobs(cfg: DictConfig) -> dict[tuple[str, str, str, str], list[str]]:
    """The ``python -m train`` overrides of every plan x target x family x search, keyed by those four.

    ``search_overrides`` (the tuning budget) apply to the tuned jobs only, ``train_overrides`` to all.
    """
    budget = list(cfg.search_overrides) if tunes(cfg) else []
    jobs = {}
    for name, plan in plans(cfg).items():
        for target, spec in plan.targets.items():
            for family in families(cfg, spec):
                for search in searches(cfg, spec, family):
                    jobs[(name, str(target), family, search)] = [
                        *target_overrides(cfg, plan, target), f"target={target}", f"model={family}",
                        f"search={search}", *(budget if search != "none" else []),
                        *cfg.train_overrides, f"seed={cfg.seed}", "progress=false"]
    return jobs


def preflight(cfg: DictConfig) -> dict[tuple[str, str, str, str], DictConfig]:
    """Refuse a run that would fail later; return every training job's composed config by job key.

    So ``models=[xgbost]`` is one ConfigError now, not a traceback from a worker minutes on.
    """
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from nacarbon.settings import validate_settings

    validate_settings(cfg)
    if unknown := [s for s in cfg.steps if s not in STEPS]:
        raise ConfigError(f"unknown steps {unknown}", key="steps", value=list(cfg.steps), allowed=list(STEPS))
    planned = {str(t) for plan in cfg.plan.values() for t in plan.targets}   # unknown plans: Hydra refused them
    if cfg.targets is not None and (unknown := sorted(set(map(str, cfg.targets)) - planned)):
        raise ConfigError(f"{unknown} not in plans {list(cfg.plan)}", key="targets", value=list(cfg.targets),
                          allowed=sorted(planned))
    configs = {}
    for key, overrides in train_jobs(cfg).items():
        try:
            configs[key] = compose_config("train", overrides)
            validate_settings(configs[key])
        except (HydraException, OmegaConfBaseException) as err:
            raise ConfigError(f"plan {key[0]}, target {key[1]}, model {key[2]}: the training config does not "
                              f"compose: {str(err).splitlines()[0]}") from err
    return configs


def step_train(cfg: DictConfig, state: dict) -> None:
    """Train (tuned, nested CV) every plan x target x family not already done, ``n_jobs`` at a time.

    Skips a job with a FINISHED run of the same config and data (unless ``retrain=true``); failed jobs do
    not stop the others, and the step ends in one PipelineError listing them.
    """
    jobs = train_jobs(cfg)
    configs = state.get("train_configs") or {key: compose_config("train", over) for key, over in jobs.items()}
    pipeline_train.prepare_stores(configs)
    results = state.setdefault("train", {})
    if not cfg.retrain:
        versions = pipeline_train.data_versions(configs, state.get("data_version", {}))
        for key, metrics in pipeline_train.already_finished(configs, versions).items():
            results[key] = metrics
    todo = [key for key in jobs if key not in results]
    if len(todo) < len(jobs):
        print(f"[train] {len(jobs) - len(todo)} of {len(jobs)} jobs already have a FINISHED run of the same "
              f"config and data: not trained again (retrain=true to redo them)")
    # The bar redraws one line: on a terminal only (in a log file every redraw would be a line).
    bar = tqdm(total=len(todo), desc="train", disable=not cfg.progress or not sys.stderr.isatty())

    def done(key: tuple[str, str, str, str], metrics: dict) -> None:
        results[key] = metrics
        bar.update()
        tqdm.write(f"[train] {key[0]:5s} {key[1]:16s} {key[2]:18s} {key[3]:8s} RMSE {metrics['rmse_mean']:.4g} "
                   f"(baseline {metrics['baseline_rmse_mean']:.4g}), CPU {metrics.get('cpu_seconds', 0):.0f} s")

    # Longest first, so that the last jobs to finish are short and both workers stay busy: the
    # ~600-row datasets before the ~60-row seed ones, and within each the costlier families first.
    order = sorted(todo, key=lambda k: (str(configs[k].dataset.name).startswith("seed"),
                                        -int(configs[k].model.get("complexity", 1))))
    failures = pipeline_train.run_jobs(jobs, order, n_jobs=int(cfg.n_jobs), log_file=state.get("log_file"),
                                       on_done=done)
    bar.close()
    if failures:
        state["failed"] = failures
        lines = "\n".join(f"  {f.line()}" for f in failures)
        raise PipelineError(f"{len(failures)} of {len(jobs)} training jobs failed (the other {len(jobs) - len(failures)} "
                            f"are stored; run the same command again to redo only the failed ones; tracebacks in "
                            f"{state.get('log_file') or 'the log'}):\n{lines}")


def step_compare(cfg: DictConfig, state: dict) -> None:
    """Every trained family against the baseline under the one rule, per plan and target."""
    out = state.setdefault("compare", {})
    for name, plan in plans(cfg).items():
        for (dataset, features), targets in groups(plan).items():
            ccfg = compose_config("compare", [*target_overrides(cfg, plan, targets[0]), f"targets=[{','.join(targets)}]",
                                              "runs_search=null", f"seed={cfg.seed}",
                                              f"alpha={plan.significance.alpha}"])
            out.setdefault(name, []).append(compare.run(ccfg))
            print(f"[compare] {name}: {', '.join(targets)} on {dataset} ({features}): "
                  f"{out[name][-1].out_dir / 'table.md'}")


def step_promote(cfg: DictConfig, state: dict) -> None:
    """Promote the best significant run of every target of the promoted plan (or say why not)."""
    plan = plans(cfg).get(cfg.promote_plan)
    if plan is None:
        print(f"[promote] plan {cfg.promote_plan} is not run: nothing to promote")
        return
    for target in plan.targets:
        pcfg = compose_config("promote", [*target_overrides(cfg, plan, target), f"target={target}",
                                          "runs_search=null", f"seed={cfg.seed}",
                                          f"alpha={plan.significance.alpha}"])
        decision = promote.run(pcfg)
        state.setdefault("promote", {})[str(target)] = decision
        print("[promote] " + promote.format_decision(pcfg, decision).replace("\n", "\n          "))


def step_screen(cfg: DictConfig, state: dict) -> None:
    """Screen the default grid with the champions of the promoted plan's targets."""
    plan = plans(cfg).get(cfg.promote_plan)
    targets = list(plan.targets) if plan is not None else []
    scfg = compose_config("screening", [*store_overrides(cfg), f"targets=[{','.join(targets)}]",
                                        f"progress={bool(cfg.progress) and sys.stderr.isatty()}"])
    outcome = screen.run(scfg)
    state["screen"] = outcome
    print(f"[screen] {outcome.result.n_candidates:,} candidates, {outcome.result.n_passed:,} feasible; "
          f"ranked on {outcome.ranked}; tables in {outcome.out_dir}")


def step_analyze(cfg: DictConfig, state: dict) -> None:
    """Spearman, maps and SHAP of the reproduction (the pipeline's ``dataset``), reproduction report included."""
    acfg = compose_config("analyze", [*store_overrides(cfg), f"dataset={cfg.dataset.name}",
                                      f"features={cfg.features.name}", f"cv={cfg.cv.name}",
                                      f"targets=[{','.join(cfg.analyze_targets)}]", f"seed={cfg.seed}", "report=true"])
    result = analyze.run(acfg)
    state["analyze"] = result
    print("[analyze] " + analyze.format_summary(acfg, result).replace("\n", "\n          "))


def step_report(cfg: DictConfig, state: dict) -> None:
    """A one-page summary of the whole run under ``experiments/``."""
    from nacarbon.reporting.run_report import write_run_report

    path = write_run_report(cfg, state, plans(cfg))
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


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the step's workers)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run(cfg: DictConfig, *, log_file: str | Path | None = None) -> dict:
    """Check the whole run first (:func:`preflight`), then run the configured steps in order.

    ``state["timings"]`` and ``state["cpu"]`` hold each step's wall and CPU seconds (workers included)."""
    state: dict = {"timings": {}, "cpu": {}, "log_file": log_file, "train_configs": preflight(cfg)}
    for name in cfg.steps:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        try:
            STEPS[name](cfg, state)
        finally:
            state["timings"][name], state["cpu"][name] = time.perf_counter() - t0, _cpu_seconds() - c0
        print(f"[{name}] done in {state['timings'][name]:.1f} s (CPU {state['cpu'][name]:.0f} s)")
    return state


def log_path(cfg: DictConfig) -> Path:
    """This run's log file: ``<outputs>/pipeline/<date>_<time>_<pid>/pipeline.log``."""
    stamp = time.strftime("%Y-%m-%d_%H-%M-%S")
    return Path(cfg.paths.output_dir, "pipeline", f"{stamp}_{os.getpid()}", "pipeline.log")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: Hydra-style ``key=value`` overrides of ``conf/pipeline.yaml``."""
    overrides = list(sys.argv[1:] if argv is None else argv)
    # Progress lines as they happen when the output is a file (make run > log 2>&1), not at exit.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from nacarbon.logs import logging_to

    try:
        try:
            cfg = compose_config("pipeline", overrides)
        except (HydraException, OmegaConfBaseException) as err:
            from nacarbon.cli import composition_error

            raise composition_error(str(err), overrides) from err
        path = log_path(cfg)
        with logging_to(path):
            state = run(cfg, log_file=path)
    except NacarbonError as err:
        from nacarbon.cli import error_exit

        return error_exit(err)
    total = sum(state["timings"].values())
    print(f"pipeline finished in {total:.0f} s (CPU {sum(state['cpu'].values()):.0f} s): "
          + ", ".join(f"{k} {v:.0f} s" for k, v in state["timings"].items()))
    # Workers log to the same file: count there what every process kept off the console.
    warned = sum(" WARNING " in line for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    print(f"log: {path}" + (f" ({warned} library warnings kept off the console)" if warned else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
