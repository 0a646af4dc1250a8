"""Time tuning and a full zoo sweep on the seed database.

    python benchmarks/bench_tuning.py --target capacity --trials 10        # trials/s per family
    python benchmarks/bench_tuning.py --sweep --store /tmp/bench            # + every family x 4 targets
    python benchmarks/bench_tuning.py --versus --trials 3 --inner-splits 2  # tuned vs untuned, main plan

``--versus``: per target of ``conf/plan/main.yaml`` and family, the untuned defaults and the nested
tuning (an Optuna study per outer split, defaults as its first trial) on the same 5 x 5 repeated
paper-grouped splits: pooled R² and RMSE (mean over repeats), and the paired ΔRMSE tuned − untuned
with the Nadeau–Bengio interval. Where the interval does not lie below zero, tuning does not pay.

Prints Markdown tables to paste into benchmarks/README.md. Run with OMP_NUM_THREADS=1 (as
`make` does): on 2 cores, threaded OpenMP fits of ~50 rows are slower, not faster.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import optuna
from omegaconf import OmegaConf

from nacarbon.commands.compose import compose_config
from nacarbon.commands.plans import with_setups
from nacarbon.commands.train import TrainResult, load_for_target
from nacarbon.commands.train import run as train_run
from nacarbon.models.catalog import model_names
from nacarbon.models.search_space import model_space
from nacarbon.models.tuning import settings_from_config, tune

TARGETS = ["capacity", "ice", "rate", "plateau_voltage"]


@dataclass(frozen=True)
class ZooRun:
    """One trained (target, model) pair and how long it took (wall clock and this process's CPU)."""

    target: str
    model: str
    seconds: float
    cpu_seconds: float
    result: TrainResult


def train_zoo(targets: Sequence[str], models: Sequence[str] | None = None, overrides: Sequence[str] = (), *,
              threads: int | None = 1) -> list[ZooRun]:
    """Train every model on every target, each as its own MLflow run.

    Parameters
    ----------
    targets : sequence of str
        Target config names (``capacity``, ``ice``, ``rate``, ``plateau_voltage``).
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
    from threadpoolctl import threadpool_limits

    runs = []
    for target in targets:
        for model in models or model_names():
            cfg = compose_config("train", [*overrides, f"target={target}", f"model={model}"])
            start, cpu = time.perf_counter(), time.process_time()
            if threads is None:
                result = train_run(cfg)
            else:
                with threadpool_limits(limits=threads):
                    result = train_run(cfg)
            runs.append(ZooRun(target, model, time.perf_counter() - start, time.process_time() - cpu, result))
    return runs


def time_tuning(target: str, models: list[str], n_trials: int, inner_splits: int, storage: str | None) -> list[dict]:
    """Run one study per model on all rows of ``target``; return trials/s per model."""
    rows = []
    for model in models:
        cfg = compose_config("train", [f"target={target}", f"model={model}", "search=optuna",
                             f"search.n_trials={n_trials}", f"search.inner_splits={inner_splits}"])
        space = model_space(cfg.model, where=f"conf/model/{model}.yaml")
        if not space:
            continue
        _, design = load_for_target(cfg)
        settings = settings_from_config(cfg.search, seed=int(cfg.seed), storage=storage)
        start, cpu = time.perf_counter(), time.process_time()
        study = tune(cfg.model, space, design.X, design.y, design.groups, settings=settings,
                     study_name=f"bench-{target}-{model}-{time.time_ns()}", transform=str(cfg.target.transform))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        n = len(study.trials)
        rows.append({"model": model, "trials": n, "pruned": sum(t.state.name == "PRUNED" for t in study.trials),
                     "seconds": wall, "cpu": cpu, "trials_per_s": n / wall})
        print(f"  tuned {model:24s} {n} trials in {wall:6.1f} s", flush=True)
    return rows


def versus(targets: list[str] | None, families: list[str] | None, n_trials: int, inner_splits: int,
           min_gain: float, seed: int) -> list[dict]:
    """Tuned vs untuned per target x family on the same repeated grouped splits (see module doc)."""
    from _targets_common import design_for, load, node, pooled_r2

    from nacarbon.evaluation.metrics import regression_metrics
    from nacarbon.evaluation.significance import corrected_ttest
    from nacarbon.evaluation.splits import RepeatedGroupKFold
    from nacarbon.models.crossval import cross_validate
    from nacarbon.models.search_space import chosen_params

    search = OmegaConf.merge(compose_config("train", ["search=optuna", f"seed={seed}"]).search, {"n_trials": n_trials, "inner_splits": inner_splits,
                                                              "min_gain": min_gain})
    settings = settings_from_config(search, seed=seed, storage=None)
    rows = []
    for target, spec in with_setups(node("plan", "main")).targets.items():
        if targets and target not in targets:
            continue
        dataset, transform = load(spec.dataset), str(node("target", target).get("transform", "none"))
        for family in families or list(spec.families):
            cfg, design = node("model", family, seed), design_for(dataset, target, spec.features, family, seed)
            space = model_space(cfg, where=f"conf/model/{family}.yaml")
            splitter = RepeatedGroupKFold(n_splits=5, n_repeats=5, random_state=seed)

            def tuner(X, y, groups, k, cfg=cfg, space=space):
                return chosen_params(tune(cfg, space, X, y, groups, settings=settings, transform=transform,
                                          study_name=f"versus-{target}-{family}-{k}"))

            t0 = time.perf_counter()
            plain = cross_validate(cfg, design.X, design.y, design.groups, splitter, transform=transform)
            t1 = time.perf_counter()
            tuned = cross_validate(cfg, design.X, design.y, design.groups, splitter, transform=transform, tuner=tuner)
            t2 = time.perf_counter()
            n_test = tuned.oof.groupby("fold").size().to_numpy()
            diff = [a["rmse"] - b["rmse"] for a, b in zip(tuned.per_fold, plain.per_fold)]
            test = corrected_ttest(diff, test_train_ratio=float(np.mean(n_test / (len(design.y) - n_test))))
            kept = sum(p == {} or all(p.get(k) == v for k, v in
                                      _defaults(cfg, space).items()) for p in tuned.fold_params)
            rmse = [np.mean([regression_metrics(g["y_true"], g["y_pred"])["rmse"] for _, g in cv.oof.groupby("repeat")])
                    for cv in (plain, tuned)]
            rows.append({"target": target, "family": family, "rows": len(design.y),
                         "r2_untuned": pooled_r2(plain), "r2_tuned": pooled_r2(tuned),
                         "rmse_untuned": rmse[0], "rmse_tuned": rmse[1], "delta_rmse": test["mean"],
                         "ci": f"[{test['ci_low']:.3g}, {test['ci_high']:.3g}]", "defaults_kept": f"{kept}/25",
                         "s_untuned": t1 - t0, "s_tuned": t2 - t1})
            print(rows[-1], flush=True)
    return rows


def _defaults(cfg, space) -> dict:
    from nacarbon.models.search_space import default_params

    return default_params(cfg, space, where=cfg.name)


def time_sweep(store: str, models: list[str]) -> tuple[float, list]:
    """Train every model on every target with search=none; return wall time and the runs."""
    overrides = [f"paths.mlruns_dir={store}/mlruns", f"paths.experiments_dir={store}/experiments",
                 f"paths.output_dir={store}/outputs", "progress=false", "search=none"]
    start = time.perf_counter()
    runs = train_zoo(TARGETS, models, overrides)
    return time.perf_counter() - start, runs


def main() -> None:
    """Parse arguments, time, print Markdown."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="capacity")
    parser.add_argument("--models", default="", help="comma-separated; default every conf/model/*.yaml")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--inner-splits", type=int, default=4)
    parser.add_argument("--sweep", action="store_true", help="also time every family x 4 targets, search=none")
    parser.add_argument("--store", default=None, help="throwaway folder for MLflow/Optuna (default: a temp dir)")
    parser.add_argument("--versus", action="store_true", help="tuned vs untuned per target of the main plan")
    parser.add_argument("--targets", nargs="*", default=None, help="--versus: these targets only")
    parser.add_argument("--families", nargs="*", default=None, help="--versus: override the plan's families")
    parser.add_argument("--min-gain", type=float, default=0.01, help="--versus: search.min_gain")
    parser.add_argument("--seed", type=int, default=42, help="--versus: the pipeline's seed (its splits)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.versus:
        from _targets_common import fmt_table

        rows = versus(args.targets, args.families, args.trials, args.inner_splits, args.min_gain, args.seed)
        print(f"\n### Tuned vs untuned: {args.trials} trials, {args.inner_splits} inner folds, min_gain "
              f"{args.min_gain}, seed {args.seed}, 5 x 5 repeated paper-grouped splits\n")
        print(fmt_table(rows, list(rows[0])))
        return
    models = [m for m in args.models.split(",") if m] or model_names()
    store = args.store or tempfile.mkdtemp(prefix="nacarbon-bench-")
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, date {date.today()}, store {store}")

    storage = f"sqlite:///{store}/optuna.db"
    rows = time_tuning(args.target, models, args.trials, args.inner_splits, storage)
    print(f"\n### Tuning: {args.trials} trials, {args.inner_splits} inner folds, target {args.target}, SQLite storage\n")
    print("| model | trials (pruned) | wall s | CPU s | trials/s (wall) |\n|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: -r["trials_per_s"]):
        print(f"| {r['model']} | {r['trials']} ({r['pruned']}) | {r['seconds']:.1f} | {r['cpu']:.1f} "
              f"| {r['trials_per_s']:.2f} |")

    if args.sweep:
        wall, runs = time_sweep(store, models)
        per = defaultdict(dict)
        for r in runs:
            per[r.model][r.target] = (r.seconds, r.cpu_seconds)
        print(f"\n### Sweep: {len(models)} families x {len(TARGETS)} targets, search=none: {wall:.0f} s wall\n")
        print("| model | " + " | ".join(TARGETS) + " | mean wall s/run | mean CPU s/run |\n|---|"
              + "---|" * (len(TARGETS) + 2))
        for model in models:
            secs = [per[model][t] for t in TARGETS]
            print(f"| {model} | " + " | ".join(f"{w:.1f}" for w, _ in secs)
                  + f" | {sum(w for w, _ in secs) / len(secs):.1f} | {sum(c for _, c in secs) / len(secs):.1f} |")
    print("\nconfig of the search:", OmegaConf.to_yaml(compose_config("train", ["search=optuna"]).search).replace("\n", "; "))


if __name__ == "__main__":
    main()
