"""Per target, the main plan's data and families under the one significance rule.

    OMP_NUM_THREADS=1 python benchmarks/bench_targets.py --quick     # 100 trees per forest, families as in the plan

For each target of ``conf/plan/main.yaml``: dataset, rows, papers, every family on the same
5 x 5 repeated paper-grouped splits, pooled out-of-fold R² (mean over repeats), ΔRMSE against
the mean baseline with its 95 % interval and the Holm-adjusted p of the corrected t-test, the
baseline's RMSE, ``gain`` = −ΔRMSE / baseline RMSE and the one verdict
(``nacarbon.evaluation.significance.Verdict``: significance and the 10 % practical-effect rule).
For ICE also R² on the seed rows only, with the model trained on the rest of the merged set
(held-out seed papers).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _targets_common import fmt_table, load, node, pooled_r2, run_cv, design_for

from nacarbon.commands.plans import with_setups
from nacarbon.evaluation.significance import compare_with_baseline, per_split_table
from nacarbon.evaluation.splits import RepeatedGroupKFold


def bench_target(target: str, spec, *, seed: int, quick: bool, families: list[str] | None) -> list[dict]:
    dataset = load(spec.dataset)
    cvs, designs = {}, {}
    for family in families or list(spec.families):
        design = design_for(dataset, target, spec.features, family, seed)
        splitter = RepeatedGroupKFold(n_splits=5, n_repeats=5, random_state=seed)
        t0 = time.perf_counter()
        cvs[family], designs[family] = run_cv(design, family, splitter, seed=seed, quick=quick), design
        print(f"  {target} {family}: {time.perf_counter() - t0:.0f} s", flush=True)
    design = next(iter(designs.values()))
    sig = compare_with_baseline(per_split_table(cvs, len(design.y))).set_index("family")
    rows = []
    for family, cv in cvs.items():
        d = designs[family]
        seed_mask = (d.meta["dataset"] == "seed").to_numpy() if "dataset" in d.meta else None
        s = sig.loc[family]
        rows.append({"target": target, "dataset": spec.dataset, "features": spec.features, "rows": len(d.y),
                     "papers": len(np.unique(d.groups)), "family": family, "pooled_r2": pooled_r2(cv),
                     "seed_r2": pooled_r2(cv, seed_mask) if seed_mask is not None and seed_mask.any()
                     and (~seed_mask).any() else float("nan"),
                     "delta_rmse": s["delta_rmse"], "ci": f"[{s['ci_low']:.3g}, {s['ci_high']:.3g}]",
                     "p_adj": s["p_adjusted"], "baseline_rmse": s["baseline_rmse"],
                     "gain": s["relative_gain"], "verdict": s["verdict"]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 trees per bagged ensemble")
    parser.add_argument("--plan", default="main")
    parser.add_argument("--targets", nargs="*", default=None)
    parser.add_argument("--families", nargs="*", default=None, help="override the plan's families")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    plan = with_setups(node("plan", args.plan))
    rows = []
    for target, spec in plan.targets.items():
        if args.targets and target not in args.targets:
            continue
        rows += bench_target(target, spec, seed=args.seed, quick=args.quick, families=args.families)
    cols = ["target", "dataset", "features", "rows", "papers", "family", "pooled_r2", "seed_r2", "delta_rmse", "ci",
            "p_adj", "baseline_rmse", "gain", "verdict"]
    print(fmt_table(rows, cols))


if __name__ == "__main__":
    main()
