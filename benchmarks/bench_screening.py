"""Screening throughput (candidates x targets per second) and peak memory, local and on Dask.

    .venv/bin/python benchmarks/bench_screening.py                      # 100k, 1M, 10M; local and dask
    .venv/bin/python benchmarks/bench_screening.py --quick              # 100k and 1M, local only
    .venv/bin/python benchmarks/bench_screening.py --sizes 100k --backends local   # the smallest
    .venv/bin/python benchmarks/bench_screening.py --sizes 1m --backends local,dask --workers 2
    .venv/bin/python benchmarks/bench_screening.py --profile            # where one 200k chunk spends its time

The models are the ones ``python -m screen`` would use, trained here rather than read from the
registry so the benchmark needs no promoted champions: per target (capacity, ice, rate, plateau_voltage)
a whole :class:`~nacarbon.uncertainty.predictor.SamplePredictor`, built exactly as ``python -m
train`` builds the registered model (``nacarbon.commands.train.fit_predictor``: the
``conf/model/<--model>.yaml`` pipeline, normalized CV+ intervals over paper-grouped folds and a
``PaperDomain``, all from ``conf/train.yaml``'s ``predictor`` block), on ``--dataset`` with
``--features`` (default: the seed table, the five structure descriptors). As in ``python -m
screen``, each predictor brings its own interval and domain; ``domain_score`` is the largest of
theirs. Rules, weights, ``require_in_domain``, top-k, conditions and score ranges (the measured
training range) follow ``conf/screen/grid.yaml``; every target is ranked (as with
``screen.rank_below_baseline=true``).

Grids: ``100k`` (alias ``20k``) is ``conf/screen/grid.yaml`` (20,160 structures x 5 HTT =
100,800 candidates, chunk 50,000, every row written to Parquet as that config asks); ``10m`` is
``conf/screen/large.yaml`` (10,000,000, one HTT, chunk 200,000); ``1m`` is the large grid's
ranges at 20 x 25 x 20 x 20 x 5 points (1,000,000, chunk 200,000). Every grid carries
``grid.yaml``'s standard test ``conditions`` as constant axes. Each measurement runs in a fresh
process whose peak-RSS counter is reset just before the screen starts, so the peak (VmHWM)
belongs to that grid size alone; on Dask the workers' own peaks are read from the workers.
Children run with one BLAS/OpenMP thread, so ``local`` uses one core and ``dask`` uses
``--workers`` single-threaded worker processes.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = ["capacity", "ice", "rate", "plateau_voltage"]
SIZES = {"20k": "100k", "100k": "100k", "1m": "1m", "10m": "10m"}  # 20k: the grid's old name (20,160 structures)
# The large grid's ranges with fewer points per axis: 20 * 25 * 20 * 20 * 5 = 1,000,000.
ONE_MILLION_NUM = {"d002_nm": 20, "la_nm": 25, "lc_nm": 20, "id_ig": 20, "ssa_m2_g": 5}
ROOT = Path(__file__).resolve().parents[1]


def screen_config(name: str):
    """The composed ``screen`` node of ``conf/screening.yaml`` with ``screen=<name>``."""
    from hydra import compose, initialize_config_dir

    from nacarbon.config import register_resolvers

    register_resolvers()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(config_name="screening", overrides=[f"screen={name}"]).screen


def grid_job(size: str) -> dict:
    """Grid spec (with grid.yaml's condition axes), chunk size and Parquet setting of one size."""
    from omegaconf import OmegaConf

    from nacarbon.screening.grid import condition_axes

    grid = screen_config("grid")
    if size == "100k":
        sc = grid
    elif size in ("1m", "10m"):
        # large.yaml's own node: one HTT and 10 M structures, no Parquet.
        sc = OmegaConf.load(ROOT / "conf/screen/large.yaml")
    else:
        raise ValueError(f"unknown size {size!r}; expected one of {sorted(SIZES)}")
    spec = OmegaConf.to_container(sc.grid, resolve=True)
    if size == "1m":
        spec = {f: ({"start": a["start"], "stop": a["stop"], "num": ONE_MILLION_NUM[f]} if f in ONE_MILLION_NUM else a)
                for f, a in spec.items()}
    spec |= condition_axes(OmegaConf.to_container(grid.conditions) if grid.get("conditions") else None)
    return {"size": size, "spec": spec, "chunk_size": int(sc.chunk_size), "keep_all": bool(sc.keep_all)}


def train_config(target: str, model: str, dataset: str, features: str, seed: int,
                 n_estimators: int | None):
    """The composed ``conf/train.yaml`` of one target, as ``python -m train`` would see it."""
    from hydra import compose, initialize_config_dir

    from nacarbon.config import register_resolvers

    register_resolvers()
    overrides = [f"target={target}", f"model={model}", f"dataset={dataset}", f"features={features}", f"seed={seed}"]
    if n_estimators is not None:
        overrides.append(f"model.estimator.n_estimators={n_estimators}")
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(config_name="train", overrides=overrides)


def train_models(model: str, dataset: str, features: str, n_estimators: int | None, seed: int) -> dict:
    """Fit one whole predictor (model, CV+ intervals, domain) per target, as ``train`` registers it.

    Returns
    -------
    dict
        Everything :func:`nacarbon.screening.engine.screen` needs besides the grid, plus
        out-of-fold R^2 per target (from the CV+ folds) as a sanity check that the models are real.
    """
    from omegaconf import OmegaConf
    from sklearn.metrics import r2_score

    from nacarbon.commands.screen import active_rules
    from nacarbon.commands.train import fit_predictor, load_for_target
    from nacarbon.models.pipeline import build_pipeline

    sc = screen_config("grid")
    bundle: dict = {"predictors": {}, "ranges": {}, "directions": {}, "oof_r2": {}, "rows": {}, "papers": {}}
    for target in TARGETS:
        cfg = train_config(target, model, dataset, features, seed, n_estimators)
        _, design = load_for_target(cfg)
        predictor = fit_predictor(cfg, design, build_pipeline(cfg.model))
        reg = predictor.regressor
        bundle["predictors"][target] = predictor
        bundle["ranges"][target] = (float(design.y.min()), float(design.y.max()))
        bundle["directions"][target] = "max" if cfg.target.higher_is_better else "min"
        bundle["oof_r2"][target] = float(r2_score(reg.y_, reg.oof_))
        bundle["rows"][target] = len(design.y)
        bundle["papers"][target] = len(set(design.groups))
        bundle["estimator"] = {k: v for k, v in OmegaConf.to_container(cfg.model.estimator, resolve=True).items()
                               if k != "_target_"}
        bundle["features"] = list(predictor.features)
        bundle["predictor_cfg"] = OmegaConf.to_container(cfg.predictor)
    bundle["rules"], _ = active_rules(sc.constraints, set(TARGETS))
    bundle["weights"] = {t: float(sc.weights[t]) for t in TARGETS}
    bundle["require_in_domain"] = bool(sc.require_in_domain)
    bundle["top_k"] = int(sc.top_k)
    bundle["rank_by"] = str(sc.get("rank_by", "mean"))
    return bundle


def _status_mb(field: str) -> float:
    # /proc/self/status rather than ru_maxrss: an exec'd child's ru_maxrss starts at its parent's
    # peak (the kernel carries the pre-exec mm's high-water mark over), VmHWM does not.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> bool:
    # Linux: "5" resets this process's peak RSS, so VmHWM afterwards is the screen's own peak
    # rather than the import-time high-water mark.
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _warm_worker() -> None:
    # What the first task would otherwise import while the clock runs (a one-off per worker).
    import nacarbon.screening.engine  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import sklearn.neighbors  # noqa: F401


def _worker_usage(reset: bool = False) -> tuple[float, float]:
    if reset:
        _reset_peak()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, _status_mb("VmHWM")


def _start_cluster(backend: str, workers: int, out: dict) -> tuple:
    """A LocalCluster as ``DaskBackend`` makes one, its workers already importing the engine."""
    import dask
    from distributed import Client, LocalCluster

    if backend == "dask-notrim":
        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker; setting it at all
        # switches off glibc's dynamic mmap threshold (see the README section).
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster)
    out["startup_s"] = time.perf_counter() - t0
    client.run(_warm_worker)
    out["warmup_s"] = time.perf_counter() - t0 - out["startup_s"]
    return client, cluster


def child(job: dict) -> dict:
    """Run one screen in this (fresh) process and return its figures."""
    from nacarbon.screening.backends import DaskBackend, LocalBackend
    from nacarbon.screening.engine import Execution, Models, Plan, screen

    with open(job["bundle"], "rb") as fh:
        b = pickle.load(fh)
    out = {"import_peak_mb": _status_mb("VmHWM"), "rss_loaded_mb": _status_mb("VmRSS")}
    client = cluster = None
    if job["backend"].startswith("dask"):
        client, cluster = _start_cluster(job["backend"], job["workers"], out)
        before = client.run(_worker_usage, True)
    runner = DaskBackend(client=client) if client is not None else LocalBackend()
    with tempfile.TemporaryDirectory() as tmp:
        keep = str(Path(tmp) / "candidates.parquet") if job["keep_all"] else None
        out["peak_reset"] = _reset_peak()
        load, cpu0, wall0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
        # As python -m screen: whole predictors, no separate intervals or domain.
        plan = Plan.build(job["spec"], b["rules"], ranking_targets=list(b["directions"]), weights=b["weights"],
                          directions=b["directions"], score_ranges=b["ranges"],
                          require_in_domain=b["require_in_domain"], top_k=b["top_k"], rank_by=b["rank_by"])
        result = screen(Models(b["predictors"]), plan, Execution(chunk_size=job["chunk_size"], backend=runner,
                                                                 keep_all_path=keep, progress=False))
        out["wall_s"], out["cpu_s"] = time.perf_counter() - wall0, time.process_time() - cpu0
    out |= {"load_start": load, "load_end": os.getloadavg()[0], "n": result.n_candidates,
            "n_passed": result.n_passed, "top_score": float(result.top["score"].iloc[0])}
    out["peak_rss_mb"] = _status_mb("VmHWM")
    if client is not None:
        after = client.run(_worker_usage)
        out["client_cpu_s"] = out["cpu_s"]
        out["cpu_s"] += sum(after[w][0] - before[w][0] for w in after)
        out["worker_peak_rss_mb"] = [after[w][1] for w in sorted(after)]
        client.close()
        cluster.close()
    return out


def run_child(job: dict) -> dict:
    """Run :func:`child` in a new interpreter with one BLAS/OpenMP thread."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, "--child"], input=json.dumps(job), stdout=subprocess.PIPE,
                          env=env, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child for {job['size']}/{job['backend']} exited with {proc.returncode}")
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    return row | {k: job[k] for k in ("size", "backend", "workers", "chunk_size")}


def profile_chunk(bundle: dict, rows: int) -> None:
    """Print where one chunk of the 10M grid spends its time (cProfile, top functions)."""
    import cProfile
    import pstats

    from nacarbon.screening.engine import Models, Plan, process_chunk

    models = Models(bundle["predictors"])
    plan = Plan.build(grid_job("10m")["spec"], bundle["rules"], ranking_targets=list(TARGETS),
                      weights=bundle["weights"], directions=bundle["directions"], score_ranges=bundle["ranges"],
                      require_in_domain=bundle["require_in_domain"], top_k=bundle["top_k"], rank_by=bundle["rank_by"])
    start = 3_000_000  # a chunk from the middle of the grid, where many candidates pass
    profiler = cProfile.Profile()
    profiler.runcall(process_chunk, models, plan, start, start + rows, False)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(
        r"screening|uncertainty|forest|_kd_tree|kneighbors|DataFrame.__getitem__", 25)
    stats.sort_stats("tottime").print_stats(10)


def table(rows: list[dict], n_targets: int) -> str:
    """Markdown table of the measurements."""
    head = ("| grid | chunk | backend | candidates | passed | wall s | CPU s | cand/s (wall) | cand x targets/s (wall) "
            "| cand/s per CPU s | peak RSS MB | load avg (start/end) |")
    lines = [head, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        backend = r["backend"] if r["backend"] == "local" else f"{r['backend']} {r['workers']}x1"
        rss = f"{r['peak_rss_mb']:.0f}"
        if "worker_peak_rss_mb" in r:
            rss += " + " + " + ".join(f"{m:.0f}" for m in r["worker_peak_rss_mb"])
        rate = r["n"] / r["wall_s"]
        lines.append(f"| {r['size']} | {r['chunk_size']:,} | {backend} | {r['n']:,} | {r['n_passed']:,} | "
                     f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | {rate:,.0f} | {n_targets * rate:,.0f} | "
                     f"{r['n'] / r['cpu_s']:,.0f} | {rss} | {r['load_start']:.1f} / {r['load_end']:.1f} |")
    return "\n".join(lines)


def run_all(bundle: dict, sizes: list[str], backends: list[str], *, workers: int,
            chunk_size: int | None) -> list[dict]:
    """Run every (size, backend) pair in its own process, in order; one row of figures each."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.pkl"
        path.write_bytes(pickle.dumps(bundle))
        print(f"        pickled models: {path.stat().st_size / 2**20:.1f} MB")
        for size in sizes:
            job = grid_job(size) | {"bundle": str(path), "workers": workers}
            job["chunk_size"] = chunk_size or job["chunk_size"]
            for backend in backends:
                print(f"running {size} on {backend} ...", file=sys.stderr, flush=True)
                r = run_child(job | {"backend": backend})
                cluster = (f", cluster start {r['startup_s']:.1f} s + worker imports {r['warmup_s']:.1f} s"
                           if "startup_s" in r else "")
                print(f"  {size}/{backend}: {r['n']:,} candidates, {r['n_passed']:,} passed, {r['wall_s']:.1f} s "
                      f"wall, {r['cpu_s']:.1f} s CPU, peak RSS {r['peak_rss_mb']:.0f} MB (with models loaded "
                      f"{r['rss_loaded_mb']:.0f} MB; import peak {r['import_peak_mb']:.0f} MB){cluster}",
                      file=sys.stderr)
                rows.append(r)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Train the models once, run each (size, backend) in a fresh process, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1m,10m", help="comma-separated: 100k (alias 20k), 1m, 10m")
    parser.add_argument("--backends", default="local,dask", help="comma-separated: local, dask, dask-notrim")
    parser.add_argument("--quick", action="store_true", help="100k and 1m, local only")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes (one thread each)")
    parser.add_argument("--model", default="random_forest", help="conf/model/<name>.yaml for every target")
    parser.add_argument("--dataset", default="seed", help="conf/dataset/<name>.yaml to train on")
    parser.add_argument("--features", default="default", help="conf/features/<name>.yaml")
    parser.add_argument("--n-estimators", type=int, help="override the config's n_estimators")
    parser.add_argument("--chunk-size", type=int, help="override the grid config's chunk_size")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--profile", action="store_true", help="profile one 200k chunk instead")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(sys.stdin.read()))))
        return 0
    sizes = ["100k", "1m"] if args.quick else args.sizes.split(",")
    backends = ["local"] if args.quick else args.backends.split(",")
    if set(backends) - {"local", "dask", "dask-notrim"}:
        parser.error(f"unknown backend in {backends}")
    if set(sizes) - set(SIZES):
        parser.error(f"unknown size in {sizes}; allowed {sorted(SIZES)}")
    sizes = list(dict.fromkeys(SIZES[s] for s in sizes))

    from nacarbon.errors import NacarbonError

    t0 = time.perf_counter()
    try:
        bundle = train_models(args.model, args.dataset, args.features, args.n_estimators, args.seed)
    except NacarbonError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    p = bundle["predictor_cfg"]
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"models: SamplePredictor per target (python -m train's fit_predictor), conf/model/{args.model}.yaml "
          f"{bundle['estimator']}, dataset={args.dataset}, features {bundle['features']}; "
          f"{1 - p['alpha']:.0%} normalized CV+ (difficulty={p['difficulty']}, {p['n_splits']} paper-grouped folds), "
          f"PaperDomain k={p['domain_neighbors']} q={p['domain_quantile']}; trained in "
          f"{time.perf_counter() - t0:.1f} s ({p['n_splits']} CV+ fold fits + final fit each)")
    print("        rows (papers) " + ", ".join(f"{t} {n} ({bundle['papers'][t]})" for t, n in bundle["rows"].items())
          + "; CV+ out-of-fold R^2 " + ", ".join(f"{t} {r:.2f}" for t, r in bundle["oof_r2"].items()))
    if args.profile:
        profile_chunk(bundle, 200_000)
        return 0
    try:
        rows = run_all(bundle, sizes, backends, workers=args.workers, chunk_size=args.chunk_size)
    except (RuntimeError, NacarbonError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print()
    print(table(rows, len(TARGETS)))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
