"""Tuning throughput (finished trials per second) with 1, 2 and 4 worker processes on one
PostgreSQL-backed Optuna study.

    .venv/bin/python benchmarks/bench_distributed_tuning.py                 # throwaway server
    .venv/bin/python benchmarks/bench_distributed_tuning.py --model ridge --trials 60
    NACARBON_OPTUNA_STORAGE=postgresql+psycopg2://... .venv/bin/python benchmarks/bench_distributed_tuning.py

Each measurement is a fresh study tuned with the project's search config (TPE + median pruner,
4 inner grouped folds) on the seed data; the clock runs from "every worker imported and ready"
to "every worker done", so process start-up is left out. Without NACARBON_OPTUNA_STORAGE a
throwaway PostgreSQL (durable settings: fsync on) is started and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from omegaconf import OmegaConf


def measure(storage: str, *, model: str, n_trials: int, workers: list[int], target: str) -> list[dict]:
    """Tune one fresh study per worker count; return one row of figures per count."""
    from hydra import compose, initialize_config_dir

    import nacarbon.config  # noqa: F401  (resolvers)
    from nacarbon.models.tuning import settings_from_config
    from nacarbon.paths import project_root
    from nacarbon.distributed.tuning_workers import tune_in_processes
    from nacarbon.commands.train import load_for_target

    overrides = [f"target={target}", f"model={model}", "search=optuna", f"search.n_trials={n_trials}"]
    with initialize_config_dir(config_dir=str(project_root() / "conf"), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    _, design = load_for_target(cfg)
    space = OmegaConf.to_container(cfg.model.search_space, resolve=True)
    settings = settings_from_config(cfg.search, seed=int(cfg.seed), storage=storage)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    rows = []
    for n in workers:
        res = tune_in_processes(n, model_cfg=cfg.model, space=space, X=design.X, y=design.y, groups=design.groups,
                                settings=settings, study_name=f"bench-{stamp}-{model}-{n}w")
        finished = sum(t.state.is_finished() for t in res.study.trials)
        rows.append({"workers": n, "trials": finished, "seconds": res.seconds, "per_s": finished / res.seconds})
        print(f"  {model}: {n} worker(s): {finished} trials in {res.seconds:.1f} s", file=sys.stderr)
    return rows


def table(model: str, rows: list[dict]) -> str:
    """Markdown table of one model's figures, speed-up relative to the first row."""
    base = rows[0]["per_s"]
    lines = ["| model | workers | finished trials | seconds | trials/s | speed-up |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {model} | {r['workers']} | {r['trials']} | {r['seconds']:.1f} | {r['per_s']:.2f} | "
              f"{r['per_s'] / base:.2f}x |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a markdown table per model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", help="model config(s) to tune (default: ridge, random_forest)")
    parser.add_argument("--trials", type=int, action="append",
                        help="trials per study, one per --model (default: 48 for ridge, 16 otherwise)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--target", default="capacity")
    args = parser.parse_args(argv)
    models = args.model or ["ridge", "random_forest"]
    trials = args.trials or [48 if m == "ridge" else 16 for m in models]
    if len(trials) != len(models):
        parser.error("give one --trials per --model")

    from nacarbon.errors import NacarbonError
    from nacarbon.distributed.postgres import PostgresServer

    storage = os.environ.get("NACARBON_OPTUNA_STORAGE")
    server = None if storage else PostgresServer(durable=True)
    try:
        if server is not None:
            storage = server.start()
        print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        for model, n in zip(models, trials):
            print()
            print(table(model, measure(storage, model=model, n_trials=n, workers=args.workers, target=args.target)))
    except NacarbonError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
