"""The series prior checked out of sample: design it on half of the papers, measure it on the other half.

    .venv/bin/python benchmarks/bench_series_holdout.py                       # design seeds 0-9, test 100-119
    .venv/bin/python benchmarks/bench_series_holdout.py --design-seeds 5 --test-seeds 10

The shipped prior (``conf/suggest.yaml`` ``series:``) had its trends and strength chosen on the
whole 583-row literature pool and then scored on the same pool (other seeds). Here the
literature papers are split once into halves by a hash of the paper key (``paper_id``; fixed,
no seed), and

1. **design half**: the trends are the features whose within-paper Spearman correlation with ICE
   (papers with >= 3 rows and a varying feature) has a median of at least 0.4 in size and that
   sign in at least 75 % of those papers (a rule fixed before looking at the test half); the
   strength is the one of ``--strengths`` with the best mean paired gain over greedy on the
   retrospective benchmark restricted to the design half (``literature/ice``, seeds from 0);
2. **test half**: greedy and guided with those trends and that strength, on the benchmark
   restricted to the test half (seeds from 100), paired per seed. The top 5 % and the 10 % of
   papers known at the start are taken within the half.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_suggest as bs  # noqa: E402

from nacarbon.data import columns as C  # noqa: E402

CANDIDATES = [C.HTT_C, C.SSA_M2_G, C.D002_NM, C.LA_NM, C.LC_NM, C.ID_IG]


def half_of(paper: str) -> str:
    """``design`` or ``test``: the parity of the first byte of the key's SHA-1 (fixed, seedless)."""
    return "design" if hashlib.sha1(paper.encode()).digest()[0] % 2 == 0 else "test"


def restrict(task: bs.Task, half: str) -> bs.Task:
    """The benchmark task on the rows of one half's papers (top 5 % recomputed in :func:`run_half`)."""
    keep = task.frame[C.PAPER_ID].map(half_of).eq(half).to_numpy()
    frame = task.frame.loc[keep].reset_index(drop=True)
    return dataclasses.replace(task, name=f"{task.name} ({half} half)", frame=frame, truth=task.truth[keep],
                               seed_start=np.zeros(0, dtype=int))


def within_trends(frame: pd.DataFrame, min_rows: int = 3) -> tuple[dict[str, str], pd.DataFrame]:
    """Trends by the fixed rule on within-paper Spearman correlations with ICE, and the evidence table."""
    rows, trends = [], {}
    for feature in CANDIDATES:
        rhos = []
        for _, paper in frame.groupby(C.PAPER_ID):
            p = paper[[C.ICE_PCT, feature]].dropna()
            if len(p) >= min_rows and p[feature].nunique() > 1 and p[C.ICE_PCT].nunique() > 1:
                rhos.append(spearmanr(p[C.ICE_PCT], p[feature]).statistic)
        rhos = np.asarray(rhos)
        median = float(np.median(rhos)) if len(rhos) else 0.0
        agree = float(np.mean(np.sign(rhos) == np.sign(median))) if len(rhos) else 0.0
        chosen = abs(median) >= 0.4 and agree >= 0.75 and len(rhos) >= 10
        rows.append({"feature": feature, "papers": len(rhos), "median_rho": median, "same_sign": agree,
                     "chosen": chosen})
        if chosen:
            trends[feature] = "increasing" if median > 0 else "decreasing"
    return trends, pd.DataFrame(rows)


def run_half(task: bs.Task, methods: dict[str, object], seeds: range, rounds: int = 10) -> dict[str, np.ndarray]:
    """Final top-5 % finds per seed of each method; ``methods`` maps a name to a guided config or None (greedy)."""
    top = bs.top_mask(task.truth)
    out = {}
    for name, cfg in methods.items():
        if cfg is not None:
            bs.GUIDED_CONFIG = cfg
        out[name] = np.array([bs.run(task, "greedy" if cfg is None else "guided", s, rounds, top)[0][-1]
                              for s in seeds])
    return out


def gain(found: dict[str, np.ndarray], name: str) -> str:
    d = found[name] - found["greedy"]
    return f"{d.mean():+.2f} ± {d.std(ddof=1) / np.sqrt(len(d)):.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design-seeds", type=int, default=10)
    ap.add_argument("--test-seeds", type=int, default=20)
    ap.add_argument("--strengths", type=float, nargs="+", default=[0.15, 0.25, 0.5])
    args = ap.parse_args(argv)
    t0 = time.time()
    task = bs.load_task("literature", "ice")
    design, test = restrict(task, "design"), restrict(task, "test")
    print(f"papers: design {design.frame[C.PAPER_ID].nunique()} ({len(design.frame)} rows), "
          f"test {test.frame[C.PAPER_ID].nunique()} ({len(test.frame)} rows)")
    trends, evidence = within_trends(design.frame)
    print("within-paper Spearman with ICE on the design half:")
    print(evidence.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    shipped = bs.GUIDED_CONFIG
    if not trends:
        print("no trend passes the rule: the prior is off")
        return 0
    configs = {f"guided {s}": dataclasses.replace(shipped, series_prior=s, series_trends={C.ICE_PCT: trends})
               for s in args.strengths}
    found = run_half(design, {"greedy": None, **configs}, range(args.design_seeds))
    print(f"\ndesign half, seeds 0-{args.design_seeds - 1}: greedy {found['greedy'].mean():.2f}; "
          + "; ".join(f"{n} {found[n].mean():.2f} ({gain(found, n)})" for n in configs))
    best = max(configs, key=lambda n: (found[n] - found["greedy"]).mean())
    print(f"chosen on the design half: trends {trends}, strength {configs[best].series_prior}")
    seeds = range(100, 100 + args.test_seeds)
    held = run_half(test, {"greedy": None, "chosen": configs[best], "shipped": shipped}, seeds)
    print(f"\ntest half, seeds {seeds.start}-{seeds.stop - 1} (found of {int(bs.top_mask(test.truth).sum())} "
          f"top-5 % rows): greedy {held['greedy'].mean():.2f} ± {held['greedy'].std():.2f}; "
          f"chosen {held['chosen'].mean():.2f} ({gain(held, 'chosen')} paired); "
          f"shipped {held['shipped'].mean():.2f} ({gain(held, 'shipped')} paired)")
    print(f"total {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
