"""k-shot lab calibration, leave-papers-out: constant offset vs offset + within-lab trend.

    .venv/bin/python benchmarks/bench_kshot.py                 # 100 trees, 1 outer split, 20 permutations
    .venv/bin/python benchmarks/bench_kshot.py --repeats 2 --trees 200

Protocol (science review, section 5): dataset ``merged`` with the ``rich`` features; outer
GroupKFold(5) over ``paper_id``; on the outer training papers an ExtraTrees
(``min_samples_leaf=2``) inside :class:`GroupConformalRegressor` (the shipped interval of
``conf/train.yaml`` ``predictor``: difficulty and per-lab ``paper_share``, 90 %),
whose inner paper-grouped out-of-fold residuals give the lab model's hyperparameters (tau2,
sigma2 for the offset; slope prior for the trend): "variance components from the other folds".
For every held-out paper with >= 4 rows, 20 seeded permutations; in each, the first k rows
(k = 0..3) are the lab's measured references and rows 4.. are scored (the same rows for every k).

Methods: ``offset`` = :func:`apply_lab_offset` (width kept); ``trend`` = :func:`apply_lab_trend`
(offset + trend on HTT and ln SSA with the pooled within-paper slope prior; width kept); ``auto`` =
the trend in the outer folds where :func:`trend_beats_offset` says so on the training papers, else
the offset; ``shipped`` = what ``predict`` does: ``auto`` where the target's
``lab_calibration.trend`` (``conf/target/<t>.yaml``) is ``auto``, the offset where it is ``never``. At
k = 0 ``offset`` is the model's own answer and ``trend`` applies the pooled trend alone.
Reported per target, method and k: R2 and RMSE over all scored rows (each permutation counts),
coverage and median width of the 90 % interval.
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
from omegaconf import OmegaConf
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.metrics import mean_squared_error, r2_score
from sklearn.model_selection import GroupKFold

from nacarbon.data.io import load_configured
from nacarbon.paths import project_root
from nacarbon.targets import load_target
from nacarbon.uncertainty.conformal import GroupConformalRegressor
from nacarbon.uncertainty.lab_offset import apply_lab_offset, variance_components
from nacarbon.uncertainty.lab_trend import (TRANSFORMS, TREND_FEATURES, apply_lab_trend, fit_lab_prior,
                                            trend_beats_offset)
from nacarbon.uncertainty.predictor import build_features, physical_bounds

FEATURES = ["d002_nm", "la_nm", "lc_nm", "id_ig", "ssa_m2_g", "htt_c", "is_soft", "is_ether", "current_ma_g"]
TARGETS = {"ice": "ice_pct", "capacity": "capacity_mah_g", "plateau_capacity": "plateau_capacity_mah_g"}
KS = (0, 1, 2, 3)


def load_merged() -> pd.DataFrame:
    """The merged dataset as training loads it (deduplicated, with ``paper_id``)."""
    root = project_root()
    cfg = OmegaConf.create({"paths": {"data_dir": str(root / "data")},
                            "dataset": OmegaConf.load(root / "conf" / "dataset" / "merged.yaml")})
    return load_configured(cfg.dataset).frame


def fit_fold(X, y, g, bounds, n_trees, seed):
    """The conformal model of the training papers (the shipped interval); its inner OOF residuals
    calibrate the lab models."""
    p = OmegaConf.load(project_root() / "conf" / "train.yaml").predictor
    share = None if p.paper_share is None else float(p.paper_share)
    est = ExtraTreesRegressor(n_estimators=n_trees, min_samples_leaf=2, random_state=seed)
    return GroupConformalRegressor(est, bounds=bounds, random_state=seed, difficulty=str(p.difficulty),
                                   paper_share=share).fit(X, y, g)


def lab_rows(rows: pd.DataFrame, idx, pred, lo, hi, y, k) -> pd.DataFrame:
    """One held-out paper as a lab's file: predictions, trend features, the first k measured."""
    lab = pd.DataFrame({"pred_t": pred[idx], "lo_t": lo[idx], "hi_t": hi[idx],
                        "measured": np.where(np.arange(len(idx)) < k, y[idx], np.nan)})
    for f in TRANSFORMS:
        lab[f] = pred[idx] if f == "model_prediction" else rows[f].to_numpy()[idx]
    return lab


def run_target(frame, column, n_trees, repeats, n_perm, trend_sets, trend_mode="auto"):
    rows = build_features(frame[frame[column].notna()], FEATURES).reset_index(drop=True)
    X, y = rows[FEATURES].to_numpy(float), rows[column].to_numpy(float)
    g = rows["paper_id"].astype(str).to_numpy()
    bounds = physical_bounds(column)
    out, priors = [], []
    for rep in range(repeats):
        for fold, (tr, te) in enumerate(GroupKFold(5, shuffle=True, random_state=100 + rep).split(X, y, g)):
            model = fit_fold(X[tr], y[tr], g[tr], bounds, n_trees, rep)
            resid = model.y_ - model.oof_
            tau2, sigma2 = variance_components(resid, model.groups_)
            train_rows = rows.iloc[tr].assign(model_prediction=model.oof_)
            lab_priors = {f"trend[{'+'.join(fs)}]": fit_lab_prior(resid, model.groups_, train_rows, fs)
                          for fs in trend_sets}
            # "auto": the trend where it beats the offset on the training papers (cross-fitted), else the offset
            first = trend_sets[0]
            use_trend = trend_beats_offset(resid, model.groups_, train_rows, first)
            for name, prior in lab_priors.items():
                priors.append({"repeat": rep, "fold": fold, "method": name, "auto_uses_trend": use_trend,
                               "offset_tau2": tau2,
                               "offset_sigma2": sigma2, **prior.__dict__})
            pred, (lo, hi) = model.predict(X[te]), model.predict_interval(X[te])
            sub, yt, gt = rows.iloc[te].reset_index(drop=True), y[te], g[te]
            rng = np.random.default_rng(1000 * rep + fold)
            for paper in np.unique(gt):
                members = np.flatnonzero(gt == paper)
                if len(members) < max(KS) + 1:
                    continue
                for perm in range(n_perm):
                    idx = rng.permutation(members)
                    for k in KS:
                        lab = lab_rows(sub, idx, pred, lo, hi, yt, k)
                        cals = {"offset": apply_lab_offset(lab, "t", "measured", tau2=tau2, sigma2=sigma2,
                                                           bounds=bounds)}
                        cals |= {name: apply_lab_trend(lab, "t", "measured", prior, bounds=bounds)
                                 for name, prior in lab_priors.items()}
                        cals["auto"] = cals[f"trend[{'+'.join(first)}]"] if use_trend else cals["offset"]
                        cals["shipped"] = cals["auto"] if trend_mode == "auto" else cals["offset"]
                        for name, cal in cals.items():
                            ev = cal.iloc[max(KS):]
                            out.append(pd.DataFrame({"method": name, "k": k, "paper": paper, "perm": perm,
                                                     "rep": rep, "y": yt[idx][max(KS):], "pred": ev["pred_t"],
                                                     "lo": ev["lo_t"], "hi": ev["hi_t"]}))
    return pd.concat(out, ignore_index=True), pd.DataFrame(priors)


def summarize(shots: pd.DataFrame, min_scored: int = 4) -> pd.DataFrame:
    """R2, RMSE, coverage and width per method and k; per-paper coverage over (permutation, paper)
    with at least ``min_scored`` scored rows (10th percentile, share below 0.5)."""
    rows = []
    for (method, k), s in shots.groupby(["method", "k"]):
        covered = (s.y >= s.lo) & (s.y <= s.hi)
        per = covered.groupby([s.rep, s.perm, s.paper]).agg(["mean", "size"])
        per = per.loc[per["size"] >= min_scored, "mean"]
        rows.append({"method": method, "k": k, "papers": s.paper.nunique(), "scored": len(s),
                     "r2": r2_score(s.y, s.pred), "rmse": mean_squared_error(s.y, s.pred) ** 0.5,
                     "coverage": covered.mean(), "median_width": np.median(s.hi - s.lo),
                     "paper_p10": per.quantile(0.1), "paper_below_0.5": (per < 0.5).mean()})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=1, help="outer GroupKFold(5) shuffles")
    ap.add_argument("--permutations", type=int, default=20)
    ap.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    ap.add_argument("--trend-sets", nargs="+", default=[",".join(TREND_FEATURES)],
                    help=f"comma-separated trend features per variant, from {list(TRANSFORMS)}")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    t0 = time.time()
    frame = load_merged()
    pd.set_option("display.width", 200)
    print(f"merged ({len(frame)} rows), rich features, ExtraTrees {args.trees} trees, outer GroupKFold(5) by "
          f"paper_id x {args.repeats}, {args.permutations} permutations per paper, 90 % shipped CV+ interval")
    for target in args.targets:
        sets = [tuple(s.split(",")) for s in args.trend_sets]
        mode = str(load_target(target).lab_calibration["trend"])
        shots, priors = run_target(frame, TARGETS[target], args.trees, args.repeats, args.permutations, sets, mode)
        print(f"\n{target}: lab-model hyperparameters per outer fold")
        print(priors.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print(summarize(shots).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"\ntotal {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
