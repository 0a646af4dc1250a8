"""Grouped vs ungrouped cross-validation on the same data, features and models.

    OMP_NUM_THREADS=1 python benchmarks/bench_protocols.py --quick    # 100 trees per forest, 2 repeats

Published studies on the 583-row literature set (Sun et al., Prog. Mater. Sci. 2025) report
plain shuffled 5-fold CV: ICE R² 0.76, plateau capacity 0.81. Shuffled folds put rows of one
paper on both sides of a split; paper-grouped folds do not. This prints, per (data, target,
family), the pooled out-of-fold R² (mean over repeats) under both protocols, with the rich
features (structure, HTT, class, electrolyte, current) and each family's default settings.
"""

from __future__ import annotations

import argparse

from _targets_common import design_for, fmt_table, load, pooled_r2, run_cv
from sklearn.model_selection import KFold

from nacarbon.evaluation.splits import RepeatedGroupKFold

CASES = [("literature", "ice"), ("literature", "plateau_capacity"), ("merged", "ice")]
FAMILIES = ["extra_trees", "random_forest", "xgboost", "gpboost"]


class RepeatedShuffledKFold:
    """Plain shuffled k-fold, repeated: the ungrouped protocol (ignores ``groups``)."""

    def __init__(self, n_splits: int, n_repeats: int, random_state: int):
        self.n_splits, self.n_repeats, self.random_state = n_splits, n_repeats, random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits * self.n_repeats

    def split(self, X, y=None, groups=None):
        for r in range(self.n_repeats):
            yield from KFold(self.n_splits, shuffle=True, random_state=self.random_state + r).split(X)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 trees per bagged ensemble, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    rows = []
    for data, target in CASES:
        dataset = load(data)
        for family in FAMILIES:
            design = design_for(dataset, target, "rich", family, args.seed)
            grouped = RepeatedGroupKFold(n_splits=5, n_repeats=repeats, random_state=args.seed)
            plain = RepeatedShuffledKFold(5, repeats, args.seed)
            r_g = pooled_r2(run_cv(design, family, grouped, seed=args.seed, quick=args.quick))
            r_p = pooled_r2(run_cv(design, family, plain, seed=args.seed, quick=args.quick))
            rows.append({"data": data, "target": target, "rows": len(design.y),
                         "papers": len(set(design.groups)), "family": family, "grouped_r2": r_g,
                         "ungrouped_r2": r_p, "gap": r_p - r_g})
            print(f"  {data} {target} {family}: grouped {r_g:.3f}, ungrouped {r_p:.3f}", flush=True)
    print(f"\npooled out-of-fold R², 5-fold x {repeats} repeats, features=rich, default hyperparameters"
          f"{' (100 trees per bagged ensemble)' if args.quick else ''}")
    print(fmt_table(rows, ["data", "target", "rows", "papers", "family", "grouped_r2", "ungrouped_r2", "gap"]))


if __name__ == "__main__":
    main()
