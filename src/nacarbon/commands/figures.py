"""The methods-audit figures for main-plan targets, written to ``experiments/figures/`` and an MLflow run.

    python -m nacarbon.commands.figures                       # ICE and plateau capacity, extra_trees
    python -m nacarbon.commands.figures --targets ice --no-log

Per target (the main plan's dataset and features, one family with its defaults, 5 x 5 repeated
paper-grouped splits, seed 42 as ``make run``): learning curve, permutation-importance stability
across the 25 splits, per-paper bias and within-paper ranking. Training runs log the last two
themselves (``plots/per_paper_error.png``, ``plots/within_paper_ranking.png``); the first two
refit the family ~125 times per target, which is why they live here and not in ``make run``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from nacarbon.analysis.figures import oof_figures, plot_importance_stability, plot_learning_curve
from nacarbon.analysis.learning import importance_by_split, learning_curve, stability_summary
from nacarbon.analysis.paper_error import lab_share
from nacarbon.cli import exits_on_error
from nacarbon.commands.plans import plan_target
from nacarbon.evaluation.splits import RepeatedGroupKFold
from nacarbon.models.crossval import cross_validate, pooled_metrics


def target_figures(target: str, spec: DictConfig, *, family: str = "extra_trees", seed: int = 42, out_dir: Path,
                   overrides: tuple[str, ...] = ()) -> dict[str, float]:
    """All four figures of one main-plan target, in ``out_dir/<target>/``; return their headline numbers.

    ``spec`` is the target's entry in the main plan (:func:`plan_target`); ``family`` is trained untuned; ``overrides`` are extra ``train`` overrides (store paths). ``importance_rho``
    is the mean pairwise Spearman of the splits' importances.
    """
    from nacarbon.commands.compose import compose_config
    from nacarbon.commands.train import load_for_target

    cfg = compose_config("train", [*overrides, f"target={target}", f"dataset={spec.dataset}",
                                   f"features={spec.features}", f"model={family}", f"seed={seed}"])
    _, d = load_for_target(cfg)
    transform = str(cfg.target.transform)

    def splitter():
        return RepeatedGroupKFold(n_splits=5, n_repeats=5, random_state=seed)

    cv = cross_validate(cfg.model, d.X, d.y, d.groups, splitter(), transform=transform)
    files, numbers = oof_figures(cv.oof, out_dir / target, unit=str(cfg.target.unit), label=target)
    curve = learning_curve(cfg.model, d.X, d.y, d.groups, splitter(), seed=seed, transform=transform)
    imp = importance_by_split(cfg.model, d.X, d.y, d.groups, splitter(), seed=seed, transform=transform)
    table, overall = stability_summary(imp)
    files += [plot_learning_curve(curve, out_dir / target / "learning_curve.png", title=f"{target}: {family}, "
                                  f"{spec.dataset}, grouped 5 x 5"),
              plot_importance_stability(imp, out_dir / target / "importance_stability.png",
                                        title=f"{target}: permutation importance, mean pairwise ρ "
                                              f"{overall['mean_pairwise_rho']:.2f}")]
    curve.to_csv(out_dir / target / "learning_curve.csv", index=False)
    imp.to_csv(out_dir / target / "importance_by_split.csv", index=False)
    table.to_csv(out_dir / target / "importance_stability.csv", index=False)
    lc = curve.groupby("fraction")["r2"].agg(["mean", "std"])
    share = lab_share(cv.oof)
    numbers |= {"rows": float(len(d.y)), "papers": float(len(np.unique(d.groups))),
                "r2_pooled": pooled_metrics(cv.oof)["r2_pooled"],
                **{f"lc_r2_{int(f * 100)}": float(r["mean"]) for f, r in lc.iterrows()},
                **{f"lc_r2_sd_{int(f * 100)}": float(r["std"]) for f, r in lc.iterrows()},
                "importance_rho": overall["mean_pairwise_rho"], "top_feature": str(table.iloc[0]["feature"]),
                "top_feature_top3_share": float(table.iloc[0]["top_share"]),
                "lab_share_anova": share["anova"], "lab_share_naive": share["naive"],
                "tau2": share["tau2"], "sigma2": share["sigma2"]}
    (out_dir / target / "numbers.json").write_text(json.dumps(numbers, indent=1))
    return numbers


def _log(target: str, dataset: str, numbers: dict, folder: Path, overrides: tuple[str, ...]) -> str:
    """An ``analyze`` run in the target's dataset experiment holding the figures and numbers."""
    from nacarbon.commands.compose import compose_config
    from nacarbon.tracking import tags as T
    from nacarbon.tracking.runs import record_run

    cfg = compose_config("analyze", list(overrides))
    return record_run(T.experiment_name(dataset), T.ANALYZE,
                      f"methods-audit figures for {target}: learning curve, importance stability, per-paper "
                      f"error, within-paper ranking (nacarbon.commands.figures)", uri=cfg.tracking.uri,
                      artifact_root=cfg.tracking.artifact_root, run_name=f"figures-{target}",
                      tags={T.TARGET: target}, metrics={k: v for k, v in numbers.items() if isinstance(v, float)},
                      folders=[(folder, "figures")])


@exits_on_error
def main(argv: list[str] | None = None) -> int:
    """Command line: targets, family, output folder, whether to record an MLflow run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", nargs="*", default=["ice", "plateau_capacity"])
    parser.add_argument("--family", default="extra_trees")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default="experiments/figures")
    parser.add_argument("--no-log", action="store_true", help="do not record an MLflow analyze run")
    parser.add_argument("overrides", nargs="*", help="Hydra overrides (store paths), e.g. paths.mlruns_dir=/tmp/x")
    args = parser.parse_args(argv)
    out = Path(args.out)
    rows = {}
    for target in args.targets:
        spec = plan_target("main", target)
        rows[target] = target_figures(target, spec, family=args.family, seed=args.seed, out_dir=out,
                                      overrides=tuple(args.overrides))
        if not args.no_log:
            rows[target]["run_id"] = _log(target, str(spec.dataset), rows[target], out / target,
                                          tuple(args.overrides))
    print(pd.DataFrame(rows).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
