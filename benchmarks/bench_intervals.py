"""Leave-papers-out benchmark of prediction intervals, the domain and k-shot lab calibration.

    .venv/bin/python benchmarks/bench_intervals.py            # 200 trees, 2 outer repeats
    .venv/bin/python benchmarks/bench_intervals.py --quick    # 60 trees, 1 repeat
    .venv/bin/python benchmarks/bench_intervals.py --group-column paper_id

Model: ExtraTrees (``min_samples_leaf=2``) for every target (the champion family may differ).
Outer loop: GroupKFold(5) over papers (``--group-column``, default ``source``); everything is
fitted on the outer training papers only, and the held-out papers are scored:

* intervals at 90 %: ``plain`` = split-conformal with one global quantile of the inner grouped
  out-of-fold |residuals| around the refit model (what screening does today, via crepes);
  ``plain CV+`` = CV+ over inner paper folds, unnormalized; ``adaptive`` = normalized CV+ with
  the kNN difficulty (log-scaled space). Coverage and median width over all held-out samples
  and over those the LPO domain (:class:`PaperDomain`, 95 %) calls in-domain.
* k-shot lab calibration: for each held-out paper with >= 4 samples, a seeded permutation; the
  first k (0-3) are the lab's references, samples 4.. are scored (the same rows for every k).
  Offsets from :func:`apply_lab_offset` with tau2/sigma2 from the inner out-of-fold residuals.
* domain admission of the 20,160-point grid of ``conf/screen/grid.yaml``: old
  ``ApplicabilityDomain`` vs ``PaperDomain`` on the seed structure features.

Datasets: literature (583 rows; features d002, La, Lc, ID/IG, SSA, HTT, ether flag, current)
for ICE, plateau capacity, capacity; seed (Liu 2022; structure + HTT) for ICE, capacity, rate
factor, plateau voltage.
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
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import GroupKFold
from tqdm import tqdm

from nacarbon.data.io import read_table
from nacarbon.paths import project_root
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.domain import PaperDomain
from nacarbon.uncertainty.lab_offset import apply_lab_offset, variance_components
from nacarbon.uncertainty.predictor import build_features, physical_bounds

STRUCT = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g"]
CASES = [  # (dataset, target name, column, features)
    ("literature", "ice", "ice_pct", [*STRUCT, "htt_c", "is_ether", "current_ma_g"]),
    ("literature", "plateau_capacity", "plateau_capacity_mah_g", [*STRUCT, "htt_c", "is_ether", "current_ma_g"]),
    ("literature", "capacity", "capacity_mah_g", [*STRUCT, "htt_c", "is_ether", "current_ma_g"]),
    ("seed", "ice", "ice_pct", [*STRUCT, "htt_c"]),
    ("seed", "capacity", "capacity_mah_g", [*STRUCT, "htt_c"]),
    ("seed", "rate", "rate_factor", [*STRUCT, "htt_c"]),
    ("seed", "plateau", "plateau_v", [*STRUCT, "htt_c"]),
]
FILES = {"literature": "literature_583.csv", "seed": "liu2022_tables.csv"}
METHODS = {"plain": dict(difficulty="none", method="split"), "plain_cv+": dict(difficulty="none", method="cv+"),
           "adaptive": dict(difficulty="knn", method="cv+")}
KS = (0, 1, 2, 3)


def run_case(frame, target, column, features, group_column, n_trees, repeats, alpha=0.1):
    rows = build_features(frame[frame[column].notna()], features).reset_index(drop=True)
    X, y = rows[features].to_numpy(float), rows[column].to_numpy(float)
    g = rows[group_column].astype(str).to_numpy()
    bounds = physical_bounds(column)
    res = {m: {"lo": [], "hi": [], "y": [], "in": []} for m in METHODS}
    shots = []
    for rep in range(repeats):
        for tr, te in GroupKFold(5, shuffle=True, random_state=100 + rep).split(X, y, g):
            dom = PaperDomain().fit(X[tr], groups=g[tr]).predict(X[te])
            fitted = {}
            for name, kw in METHODS.items():
                est = ExtraTreesRegressor(n_estimators=n_trees, min_samples_leaf=2, random_state=rep)
                m = GroupConformalRegressor(est, alpha=alpha, bounds=bounds, random_state=rep, **kw).fit(X[tr], y[tr], g[tr])
                lo, hi = m.predict_interval(X[te])
                for key, val in (("lo", lo), ("hi", hi), ("y", y[te]), ("in", dom)):
                    res[name][key].append(val)
                fitted[name] = m
            shots += k_shot(fitted["adaptive"], X[te], y[te], g[te], bounds, rep)
    table = []
    for name, r in res.items():
        lo, hi, yy, ind = (np.concatenate(r[k]) for k in ("lo", "hi", "y", "in"))
        cov, w = (yy >= lo) & (yy <= hi), hi - lo
        table.append({"method": name, "n": len(yy), "coverage": cov.mean(), "median_width": np.median(w),
                      "in_domain_share": ind.mean(), "coverage_in": cov[ind].mean(), "median_width_in": np.median(w[ind])})
    return pd.DataFrame(table), (pd.concat(shots) if shots else pd.DataFrame())


def k_shot(model, X, y, g, bounds, rep):
    tau2, sigma2 = variance_components(model.y_ - model.oof_, model.groups_)
    pred = model.predict(X)
    lo, hi = model.predict_interval(X)
    out = []
    rng = np.random.default_rng(rep)
    for paper in np.unique(g):
        idx = np.flatnonzero(g == paper)
        if len(idx) < max(KS) + 1:
            continue
        idx = rng.permutation(idx)
        for k in KS:
            lab = pd.DataFrame({"pred_t": pred[idx], "lo_t": lo[idx], "hi_t": hi[idx],
                                "measured": np.where(np.arange(len(idx)) < k, y[idx], np.nan)})
            cal = apply_lab_offset(lab, "t", "measured", tau2=tau2, sigma2=sigma2, bounds=bounds)
            ev = cal.iloc[max(KS):]
            resc = apply_lab_offset(lab, "t", "measured", tau2=tau2, sigma2=sigma2, bounds=bounds,
                                    width="rescale").iloc[max(KS):]
            out.append(pd.DataFrame({"k": k, "paper": paper, "y": y[idx][max(KS):], "pred": ev["pred_t"],
                                     "lo": ev["lo_t"], "hi": ev["hi_t"], "pred0": ev["pred_t_uncalibrated"],
                                     "lo0": ev["lo_t_uncalibrated"], "hi0": ev["hi_t_uncalibrated"],
                                     "lo_r": resc["lo_t"], "hi_r": resc["hi_t"]}))
    return [pd.concat(out)] if out else []


def summarize_shots(shots: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for k, s in shots.groupby("k"):
        rows.append({"k": k, "papers": s.paper.nunique(), "rows": len(s),
                     "r2_uncal": r2_score(s.y, s.pred0), "r2_cal": r2_score(s.y, s.pred),
                     "rmse_uncal": mean_squared_error(s.y, s.pred0) ** 0.5, "rmse_cal": mean_squared_error(s.y, s.pred) ** 0.5,
                     "cov_uncal": ((s.y >= s.lo0) & (s.y <= s.hi0)).mean(), "cov_cal": ((s.y >= s.lo) & (s.y <= s.hi)).mean(),
                     "width_uncal": np.median(s.hi0 - s.lo0), "width_cal": np.median(s.hi - s.lo),
                     "cov_rescaled": ((s.y >= s.lo_r) & (s.y <= s.hi_r)).mean(), "width_rescaled": np.median(s.hi_r - s.lo_r)})
    return pd.DataFrame(rows)


def grid_admission() -> dict[str, float]:
    from nacarbon.screening.domain import ApplicabilityDomain
    from nacarbon.screening.grid import grid_chunk, grid_size, grid_values

    spec = yaml.safe_load((project_root() / "conf/screen/grid.yaml").read_text())["grid"]
    # The grid also spans HTT now; the domain reads the structure only, so score each structure once.
    grid = grid_chunk(grid_values(spec), 0, grid_size(spec))[STRUCT].drop_duplicates().to_numpy(float)
    seed = read_table(project_root() / "data" / FILES["seed"])
    X = seed[STRUCT].to_numpy(float)
    old = ApplicabilityDomain(n_neighbors=5, quantile=0.95).fit(X).predict(grid).mean()
    new = PaperDomain().fit(X, groups=seed["source"].to_numpy()).predict(grid).mean()
    return {"grid_size": len(grid), "old_domain": old, "paper_domain": new}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="60 trees, one outer repeat")
    ap.add_argument("--group-column", default="source", help="the column naming each row's paper")
    args = ap.parse_args(argv)
    n_trees, repeats = (60, 1) if args.quick else (200, 2)
    warnings.filterwarnings("ignore", category=UserWarning)
    t0 = time.time()
    frames = {k: read_table(project_root() / "data" / f) for k, f in FILES.items()}
    iv, ks = [], []
    for ds, target, column, feats in tqdm(CASES, desc="cases"):
        table, shots = run_case(frames[ds], target, column, feats, args.group_column, n_trees, repeats)
        iv.append(table.assign(dataset=ds, target=target))
        if len(shots):
            ks.append(summarize_shots(shots).assign(dataset=ds, target=target))
    iv = pd.concat(iv)[["dataset", "target", "method", "n", "coverage", "median_width", "in_domain_share",
                        "coverage_in", "median_width_in"]]
    pd.set_option("display.width", 200)
    print(f"ExtraTrees {n_trees} trees, outer GroupKFold(5) by {args.group_column} x {repeats}, alpha=0.1")
    print(iv.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    piv = iv.pivot_table(index=["dataset", "target"], columns="method", values="median_width_in")
    print("\nin-domain median width, adaptive / plain:")
    print((piv["adaptive"] / piv["plain"]).round(3).to_string())
    if ks:
        ks = pd.concat(ks)[["dataset", "target", "k", "papers", "rows", "r2_uncal", "r2_cal", "rmse_uncal", "rmse_cal",
                            "cov_uncal", "cov_cal", "width_uncal", "width_cal", "cov_rescaled", "width_rescaled"]]
        print("\nk-shot lab calibration (adaptive intervals; held-out papers with >= 4 samples; the first k are "
              "references, samples 4.. scored; cal = shift, width kept; rescaled = width='rescale'):")
        print(ks.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("\ngrid admission:", {k: round(v, 3) for k, v in grid_admission().items()})
    print(f"\ntotal {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
