"""Leave-papers-out benchmark of prediction intervals: coverage per row and per paper, and the domain.

    .venv/bin/python benchmarks/bench_intervals.py                      # merged ICE, capacity, plateau capacity
    .venv/bin/python benchmarks/bench_intervals.py --quick              # 60 trees, 1 repeat
    .venv/bin/python benchmarks/bench_intervals.py --cases all --plot experiments/calibration.png

Model: ExtraTrees (``min_samples_leaf=2``) for every target (the champion family may differ).
Outer loop: GroupKFold(5) over ``paper_id``; everything is fitted on the outer training papers
only, and the held-out papers are scored:

* intervals at 90 %: ``plain`` = split-conformal, one global quantile of the inner grouped
  out-of-fold |residuals| around the refit model; ``plain CV+`` = CV+ over inner paper folds,
  unnormalized; ``adaptive`` = normalized CV+ with the kNN difficulty (log-scaled space). Each
  with the calibration scores weighed per ``row`` (every row once), per ``paper`` (each row
  1 / rows of its paper, every paper once: Dunn, Wasserman & Ramdas 2022) and ``lab<q>``
  (two-level: one score per paper, the ceil(q n)-th of its n row scores, conformal over papers;
  ``paper_share=q``), all from the same fitted models.
* coverage over all held-out rows and in-domain rows (:class:`PaperDomain`, 95 %), median width,
  and the distribution of per-paper coverage over held-out papers with >= 4 rows (10th
  percentile, median, share below 0.5; each (repeat, paper) counts once).
* the calibration curve: empirical coverage at nominal 0.50-0.95 of the previous default
  (adaptive, paper-weighted) and the shipped one (adaptive, per-lab 70 %).
* domain admission of the grid of ``conf/screen/grid.yaml``: the share of its structures
  ``PaperDomain`` admits on the seed structure features (``--cases all``; the earlier kNN
  ``ApplicabilityDomain`` it was compared with is gone, its figures stay in benchmarks/README.md).

k-shot lab calibration moved to ``benchmarks/bench_kshot.py``.

Datasets: merged (rich features: structure, HTT, soft flag, ether flag, current) for ICE,
capacity, plateau capacity; with ``--cases all`` also literature (583 rows) and seed (structure + HTT).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import yaml
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.model_selection import GroupKFold
from tqdm import tqdm

from nacarbon.data.io import read_table
from nacarbon.data.prepare import prepare_table
from nacarbon.paths import project_root
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.domain import PaperDomain
from nacarbon.uncertainty.predictor import build_features, physical_bounds

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_kshot import FEATURES as RICH  # noqa: E402
from bench_kshot import load_merged  # noqa: E402

STRUCT = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
LIT = [*STRUCT, "htt_c", "is_ether", "current_ma_g"]
CASES = [  # (dataset, target name, column, features)
    ("merged", "ice", "ice_pct", RICH),
    ("merged", "capacity", "capacity_mah_g", RICH),
    ("merged", "plateau_capacity", "plateau_capacity_mah_g", RICH),
    ("literature", "ice", "ice_pct", LIT),
    ("literature", "plateau_capacity", "plateau_capacity_mah_g", LIT),
    ("literature", "capacity", "capacity_mah_g", LIT),
    ("seed", "ice", "ice_pct", [*STRUCT, "htt_c"]),
    ("seed", "capacity", "capacity_mah_g", [*STRUCT, "htt_c"]),
    ("seed", "rate", "rate_factor", [*STRUCT, "htt_c"]),
    ("seed", "plateau_voltage", "plateau_v", [*STRUCT, "htt_c"]),
]
FILES = {"literature": "literature_583.csv", "seed": "liu2022_tables.csv"}
METHODS = {"plain": dict(difficulty="none", method="split"), "plain_cv+": dict(difficulty="none", method="cv+"),
           "adaptive": dict(difficulty="knn", method="cv+")}
CALIBRATIONS = {"row": dict(weighting="row", paper_share=None), "paper": dict(weighting="paper", paper_share=None),
                "lab50": dict(paper_share=0.5), "lab70": dict(paper_share=0.7), "lab75": dict(paper_share=0.75)}
CURVES = {("adaptive", "paper"): "adaptive paper", ("adaptive", "lab70"): "adaptive per-lab 70 %"}
LEVELS = np.round(np.arange(0.50, 0.951, 0.05), 2)
MIN_PAPER_ROWS = 4


def load_frames(datasets) -> dict[str, pd.DataFrame]:
    """Each dataset's rows with ``paper_id`` (merged: deduplicated as training loads it)."""
    out = {}
    for ds in datasets:
        if ds == "merged":
            out[ds] = load_merged()
        else:
            out[ds] = prepare_table(read_table(project_root() / "data" / FILES[ds], dataset=ds), dataset=ds,
                                    label=FILES[ds])
    return out


def per_paper(cov: np.ndarray, paper: np.ndarray, rep: np.ndarray) -> dict[str, float]:
    """Per-paper coverage: its mean over every held-out (repeat, paper) (what paper weighting targets),
    and its distribution over those with >= MIN_PAPER_ROWS rows."""
    table = pd.DataFrame({"cov": cov, "key": pd.Series(rep).astype(str) + "|" + pd.Series(paper).astype(str)})
    stats = table.groupby("key")["cov"].agg(["mean", "size"])
    c = stats.loc[stats["size"] >= MIN_PAPER_ROWS, "mean"]
    return {"paper_mean": stats["mean"].mean(), "papers": len(c), "paper_p10": c.quantile(0.1),
            "paper_median": c.median(), "paper_below_0.5": (c < 0.5).mean()}


def run_case(frame, column, features, group_column, n_trees, repeats):
    """Held-out intervals of every method and weighting, per row, with paper, repeat, domain flag and levels."""
    rows = build_features(frame[frame[column].notna()], features).reset_index(drop=True)
    X, y = rows[features].to_numpy(float), rows[column].to_numpy(float)
    g = rows[group_column].astype(str).to_numpy()
    bounds = physical_bounds(column)
    parts, curve = [], []
    for rep in range(repeats):
        for tr, te in GroupKFold(5, shuffle=True, random_state=100 + rep).split(X, y, g):
            dom = PaperDomain().fit(X[tr], groups=g[tr]).predict(X[te])
            for name, kw in METHODS.items():
                est = ExtraTreesRegressor(n_estimators=n_trees, min_samples_leaf=2, random_state=rep)
                m = GroupConformalRegressor(est, bounds=bounds, random_state=rep, **kw).fit(X[tr], y[tr], g[tr])
                for w, calibration in CALIBRATIONS.items():
                    m.set_params(**calibration)  # calibration is read at prediction time: no refit
                    lo, hi = m.predict_interval(X[te])
                    parts.append(pd.DataFrame({"method": name, "weighting": w, "rep": rep, "paper": g[te], "y": y[te],
                                               "lo": lo, "hi": hi, "in": dom}))
                    for level in LEVELS if (name, w) in CURVES else ():
                        lo, hi = m.predict_interval(X[te], alpha=1 - level)
                        curve.append(pd.DataFrame({"weighting": CURVES[name, w], "level": level, "rep": rep,
                                                   "paper": g[te], "covered": (y[te] >= lo) & (y[te] <= hi)}))
    return pd.concat(parts, ignore_index=True), pd.concat(curve, ignore_index=True)


def summarize(held: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (name, w), r in held.groupby(["method", "weighting"], sort=False):
        cov, width, ind = (r.y >= r.lo) & (r.y <= r.hi), r.hi - r.lo, r["in"].to_numpy(bool)
        rows.append({"method": name, "weighting": w, "n": len(r), "coverage": cov.mean(),
                     "median_width": width.median(), "mean_width": width.mean(), "coverage_in": cov[ind].mean(),
                     **per_paper(cov.to_numpy(), r.paper.to_numpy(), r.rep.to_numpy())})
    return pd.DataFrame(rows)


def calibration_table(curve: pd.DataFrame) -> pd.DataFrame:
    """Empirical coverage per nominal level and method: rows and the median/10th percentile over papers."""
    out = []
    for (w, level), c in curve.groupby(["weighting", "level"]):
        pp = per_paper(c.covered.to_numpy(float), c.paper.to_numpy(), c.rep.to_numpy())
        out.append({"weighting": w, "level": level, "row_coverage": c.covered.mean(),
                    "paper_median": pp["paper_median"], "paper_p10": pp["paper_p10"]})
    return pd.DataFrame(out)


def grid_admission() -> dict[str, float]:
    from nacarbon.screening.grid import grid_chunk, grid_size, grid_values

    spec = yaml.safe_load((project_root() / "conf/screen/grid.yaml").read_text())["grid"]
    # The grid also spans HTT now; the domain reads the structure only, so score each structure once.
    grid = grid_chunk(grid_values(spec), 0, grid_size(spec))[STRUCT].drop_duplicates().to_numpy(float)
    seed = read_table(project_root() / "data" / FILES["seed"])
    X = seed[STRUCT].to_numpy(float)
    new = PaperDomain().fit(X, groups=seed["source"].to_numpy()).predict(grid).mean()
    return {"grid_size": len(grid), "paper_domain": new}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="60 trees, one outer repeat")
    ap.add_argument("--cases", choices=["merged", "all"], default="merged")
    ap.add_argument("--group-column", default="paper_id", help="the column naming each row's paper")
    ap.add_argument("--plot", help="write the calibration plot (PNG) here")
    ap.add_argument("--trees", type=int, help="override the number of trees (default 200, quick 60)")
    ap.add_argument("--repeats", type=int, help="override the outer shuffles (default 2, quick 1)")
    args = ap.parse_args(argv)
    n_trees, repeats = (60, 1) if args.quick else (200, 2)
    n_trees, repeats = args.trees or n_trees, args.repeats or repeats
    warnings.filterwarnings("ignore", category=UserWarning)
    t0 = time.time()
    cases = [c for c in CASES if args.cases == "all" or c[0] == "merged"]
    frames = load_frames({c[0] for c in cases})
    tables, curves = [], {}
    for ds, target, column, feats in tqdm(cases, desc="cases"):
        held, curve = run_case(frames[ds], column, feats, args.group_column, n_trees, repeats)
        tables.append(summarize(held).assign(dataset=ds, target=target))
        curves[f"{ds} {target}"] = calibration_table(curve)
    table = pd.concat(tables)
    table = table[["dataset", "target", *[c for c in table.columns if c not in ("dataset", "target")]]]
    pd.set_option("display.width", 250)
    print(f"ExtraTrees {n_trees} trees, outer GroupKFold(5) by {args.group_column} x {repeats}, alpha=0.1")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("\ncalibration: nominal level -> row coverage, per-paper median and 10th percentile")
    for name, c in curves.items():
        print(name)
        print(c.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    if args.plot:
        from nacarbon.plots.calibration import calibration_plot

        print("wrote", calibration_plot(curves, path=args.plot))
    if args.cases == "all":
        print("\ngrid admission:", {k: round(v, 3) for k, v in grid_admission().items()})
    print(f"\ntotal {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
