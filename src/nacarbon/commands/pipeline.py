"""``make run``: the whole job, step by step, from configs.

    python -m nacarbon.pipeline [plans=[main]] [targets=[ice,rate]] [models=[ridge,xgboost]] [steps=[validate,train]]

The work is a list of plans (``conf/plan/<name>.yaml``): per target a dataset, a feature set and
model families, all on the plan's repeated grouped splits. ``main`` (the widest data, rich
features) is what gets promoted and screened; ``paper`` (seed only, five structure features) is
the reproduction of Liu et al. 2022, trained and compared beside it, never promoted. Each step
calls the same library function as its own command (``python -m train``, ``python -m promote``
...), with configs composed the same way, so the pipeline is nothing but those commands in order.
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

from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from nacarbon.commands import analyze, compare, promote, screen, train
from nacarbon.commands.compose import compose_config
from nacarbon.errors import ConfigError, NacarbonError

log = logging.getLogger("nacarbon.pipeline")


def store_overrides(cfg: DictConfig) -> list[str]:
    """Overrides every step inherits from the pipeline config (where things are stored)."""
    return [f"paths.root={cfg.paths.root}", f"paths.mlruns_dir={cfg.paths.mlruns_dir}",
            f"paths.output_dir={cfg.paths.output_dir}", f"paths.experiments_dir={cfg.paths.experiments_dir}",
            f"tracking.uri={cfg.tracking.uri}"]


def plan_path(cfg: DictConfig, name: str) -> Path:
    """Where plan ``name`` is defined: ``conf/plan/<name>.yaml``."""
    return Path(cfg.paths.root, "conf", "plan", f"{name}.yaml")


def load_plan(cfg: DictConfig, name: str) -> DictConfig:
    """``conf/plan/<name>.yaml``, restricted to the pipeline's ``targets`` (null = all of the plan).

    Raises
    ------
    ConfigError
        If the plan does not exist.
    """
    path = plan_path(cfg, name)
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ConfigError(f"conf/pipeline.yaml: plans: unknown plan '{name}'; known: {known}")
    plan = OmegaConf.load(path)
    if cfg.targets is not None:
        plan.targets = {t: s for t, s in plan.targets.items() if t in set(cfg.targets)}
    return plan


def plans(cfg: DictConfig) -> dict[str, DictConfig]:
    """Every plan of the run, by name (the promoted plan first)."""
    names = list(dict.fromkeys([cfg.promote_plan, *cfg.plans])) if cfg.promote_plan in cfg.plans else list(cfg.plans)
    return {name: load_plan(cfg, name) for name in names}


def families(cfg: DictConfig, spec: DictConfig) -> list[str]:
    """The families of one target: the plan's, or the pipeline's ``models`` override."""
    return list(cfg.models) if cfg.models is not None else list(spec.families)


def searches(cfg: DictConfig, spec: DictConfig, family: str) -> list[str]:
    """The search presets one family of a target is trained with.

    A plan target with a ``tuned`` list trains every family untuned (``none``) and those listed
    also with the pipeline's ``search_preset``: both runs compete, so a champion is never worse
    than its untuned family. Without the key, every family is trained with ``search_preset`` only.
    Families given on the command line (``models=[...]``) are all tuned, beside their untuned runs.
    """
    preset = str(cfg.search_preset)
    if "tuned" not in spec:
        return [preset]
    tuned = set(families(cfg, spec)) if cfg.models is not None else set(spec.tuned)
    return ["none"] + ([preset] if preset != "none" and family in tuned else [])


def target_overrides(cfg: DictConfig, plan: DictConfig, target: str) -> list[str]:
    """Store, dataset, features and splits of one target of a plan (train, compare and promote alike)."""
    spec = plan.targets[target]
    return [*store_overrides(cfg), f"dataset={spec.dataset}", f"features={spec.features}", f"cv={plan.cv}"]


def groups(plan: DictConfig) -> dict[tuple[str, str], list[str]]:
    """A plan's targets grouped by (dataset, features): one comparison per group."""
    out: dict[tuple[str, str], list[str]] = {}
    for target, spec in plan.targets.items():
        out.setdefault((str(spec.dataset), str(spec.features)), []).append(str(target))
    return out


def step_validate(cfg: DictConfig, state: dict) -> None:
    """Validate every dataset the plans use before anything trains."""
    from nacarbon.data.io import load_configured

    for name in sorted({str(s.dataset) for p in plans(cfg).values() for s in p.targets.values()}):
        ds = load_configured(compose_config("train", [*store_overrides(cfg), f"dataset={name}"]).dataset)
        state.setdefault("data_version", {})[name] = ds.version
        print(f"[validate] {name}: {len(ds.frame)} rows valid, data version {ds.version}")


def train_jobs(cfg: DictConfig) -> dict[tuple[str, str, str, str], list[str]]:
    """The ``python -m train`` overrides of every plan x target x family x search, keyed by those four."""
    jobs = {}
    for name, plan in plans(cfg).items():
        for target, spec in plan.targets.items():
            for family in families(cfg, spec):
                for search in searches(cfg, spec, family):
                    overrides = list(cfg.search_overrides) if search != "none" else []
                    jobs[(name, str(target), family, search)] = [
                        *target_overrides(cfg, plan, target), f"target={target}", f"model={family}",
                        f"search={search}", *overrides, f"seed={cfg.seed}", "progress=false"]
    return jobs


def preflight(cfg: DictConfig) -> None:
    """Refuse a run that would fail later: bad settings, unknown steps or targets, jobs that do not compose.

    Every training job's config is composed and its plain settings checked before any work starts,
    so ``models=[xgbost]`` or ``seed=abc`` is one message now, not a traceback from a worker minutes on.

    Raises
    ------
    ConfigError
        Naming the key, the value and what is allowed.
    """
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from nacarbon.settings import validate_settings

    validate_settings(cfg)
    if unknown := [s for s in cfg.steps if s not in STEPS]:
        raise ConfigError(f"conf/pipeline.yaml: unknown steps {unknown}; known: {list(STEPS)}")
    for name in cfg.plans:
        load_plan(cfg, name)  # an unknown plan is refused here
    planned = {str(t) for name in cfg.plans for t in OmegaConf.load(plan_path(cfg, name)).targets}
    if cfg.targets is not None and (unknown := sorted(set(map(str, cfg.targets)) - planned)):
        raise ConfigError(f"conf/pipeline.yaml: targets: {unknown} not in plans {list(cfg.plans)}; known: {sorted(planned)}")
    for key, overrides in train_jobs(cfg).items():
        try:
            validate_settings(compose_config("train", overrides))
        except (HydraException, OmegaConfBaseException) as err:
            raise ConfigError(f"plan {key[0]}, target {key[1]}, model {key[2]}: the training config does not "
                              f"compose: {str(err).splitlines()[0]}") from err


def _train_one(overrides: list[str]) -> dict:
    """Train one configuration (runs in a worker process when ``n_jobs > 1``)."""
    return train.run(compose_config("train", overrides)).metrics


def step_train(cfg: DictConfig, state: dict) -> None:
    """Train (tuned, nested CV) every plan x target x family, ``n_jobs`` at a time."""
    from nacarbon.tracking.runs import prepare_experiment
    from nacarbon.tracking.tags import experiment_name

    jobs = train_jobs(cfg)
    # Create the store and experiments once, before workers race to do it.
    for dataset in sorted({o.split("=", 1)[1] for over in jobs.values() for o in over if o.startswith("dataset=")}):
        prepare_experiment(experiment_name(dataset), uri=cfg.tracking.uri, artifact_root=cfg.tracking.artifact_root)
    results = state.setdefault("train", {})
    bar = tqdm(total=len(jobs), desc="train", disable=not cfg.progress)

    def done(key: tuple[str, str, str, str], metrics: dict) -> None:
        results[key] = metrics
        bar.update()
        tqdm.write(f"[train] {key[0]:5s} {key[1]:16s} {key[2]:18s} {key[3]:8s} RMSE {metrics['rmse_mean']:.4g} "
                   f"(baseline {metrics['baseline_rmse_mean']:.4g})")

    # The ~600-row datasets first, the ~60-row seed ones last, so the last jobs to finish are short.
    order = sorted(jobs, key=lambda k: any(o.startswith("dataset=seed") for o in jobs[k]))
    if int(cfg.n_jobs) <= 1:
        for key in order:
            done(key, _train_one(jobs[key]))
    else:
        # One BLAS/OpenMP thread per worker: the parallelism is across jobs.
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=int(cfg.n_jobs), mp_context=ctx) as pool:
            futures = {pool.submit(_train_one, jobs[key]): key for key in order}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    bar.close()


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
                                        f"progress={cfg.progress}"])
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


def run(cfg: DictConfig) -> dict:
    """Check the whole run first (:func:`preflight`), then run the configured steps in order."""
    preflight(cfg)
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
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        try:
            cfg = compose_config("pipeline", overrides)
        except (HydraException, OmegaConfBaseException) as err:
            raise ConfigError(f"conf/pipeline.yaml: {str(err).splitlines()[0]}") from err
        state = run(cfg)
    except NacarbonError as err:
        from nacarbon.cli import EXIT_ERROR
        from nacarbon.tracking.redact import redact

        print(f"error: {redact(str(err)).strip()}", file=sys.stderr)
        return EXIT_ERROR
    total = sum(state["timings"].values())
    print(f"pipeline finished in {total:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in state["timings"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
