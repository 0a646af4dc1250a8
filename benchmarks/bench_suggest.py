"""Retrospective benchmark of experiment suggestion: how fast does each strategy find the best samples?

    .venv/bin/python benchmarks/bench_suggest.py --quick          # literature set, ICE and composite, 10 seeds
    .venv/bin/python benchmarks/bench_suggest.py                  # + the merged set
    PYTHONPATH=src /tmp/baybe-venv/bin/python benchmarks/bench_suggest.py --engine baybe --quick

Pool-based: every row of the dataset with the objective measured is a sample a lab could make.
The strategy starts knowing 10 % of the papers (literature) or the seed rows (merged; for the
composite, whose plateau capacity the seed lacks, also 10 % of the literature papers), then
picks 8 samples per round for 10 rounds; each pick is revealed with its measured values and the
models are retrained (ExtraTrees, 100 trees, on HTT, electrolyte, current and the five structure
parameters; missing values go to the trees, which split on them). We count the picks that lie in
the pool's top 5 % by ICE, and by a composite (mean of the standardized ICE and plateau
capacity), over seeds 0..S-1.

Strategies: ``random``; ``greedy`` (the predicted mean); ``ucb`` (mean + 1 tree spread);
``guided`` (:func:`nacarbon.suggest.select.suggest_batch` with ``python -m suggest``'s defaults
from conf/suggest.yaml: UCB on the trees' mean and spread, a minimum distance between picks in
the log-scaled standardized space, and the series prior with a paper as the series: a candidate
that another row of its paper dominates on the ICE trends, higher HTT and lower SSA, ranks lower);
``paper_offsets`` (the previous round's guided search: a random intercept per paper from grouped
out-of-fold residuals, UCB, minimum distance; on request); ``baybe`` (``--engine baybe``:
BayBE's default recommender, a GP with qLogEI on a discrete space of the pool's rows, missing
values imputed by the pool median). Every strategy runs on the same seeds, so the table also
gives each one's paired difference to greedy (mean ± standard error over seeds).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nacarbon.data import columns as C  # noqa: E402
from nacarbon.suggest.acquisition import Objective  # noqa: E402
from nacarbon.uncertainty.lab_offset import group_offsets  # noqa: E402
from nacarbon.suggest.select import SuggestConfig, suggest_batch  # noqa: E402
from nacarbon.suggest.space import numeric_view  # noqa: E402

FEATURES = [C.HTT_C, C.ELECTROLYTE, C.CURRENT_MA_G, C.D002_NM, C.LA_NM, C.LC_NM, C.ID_IG, C.SSA_M2_G]
OBJECTIVES = {"ice": [Objective(C.ICE_PCT)],
              "composite": [Objective(C.ICE_PCT), Objective(C.PLATEAU_CAPACITY_MAH_G)]}


def guided_config() -> SuggestConfig:
    """``python -m suggest``'s own defaults (conf/suggest.yaml), with a paper as the series.

    The acquisition (UCB, kappa), the minimum distance and the series prior (strength, trends)
    are read from the config, so the benchmark measures what users run; the trends, named by
    target there, are keyed by each target's column (conf/target/<t>.yaml), as the pool is. In the literature
    tables a paper is one synthesis series (one precursor and route, HTT varied).
    """
    from omegaconf import OmegaConf

    from nacarbon.targets import load_target

    cfg = OmegaConf.load(ROOT / "conf" / "suggest.yaml")
    trends = OmegaConf.to_container(cfg.series.trends, resolve=True)
    return SuggestConfig(n=8, method=str(cfg.acquisition), kappa=float(cfg.kappa), min_distance=float(cfg.min_distance),
                         n_nearest=3, series_column=C.SOURCE, series_prior=float(cfg.series.prior),
                         series_trends={str(load_target(t).column): v for t, v in trends.items()})


TREES = 100
GUIDED_CONFIG = guided_config()
# The previous round's guided search (a random intercept per paper, UCB, minimum distance),
# kept as a measured alternative: it did not beat greedy (benchmarks/README.md).
PAPER_OFFSETS = SuggestConfig(n=8, method="ucb", kappa=0.25, min_distance=0.25, n_nearest=3)


@dataclass
class Task:
    """One benchmark problem: the rows, the true objective and how a run starts."""

    name: str
    frame: pd.DataFrame
    objectives: list[Objective]
    truth: np.ndarray
    seed_start: np.ndarray      # rows always known at the start (merged: the seed rows)
    paper_share: float          # share of the other papers known at the start


def load_task(dataset: str, objective: str) -> Task:
    """Rows of ``dataset`` with every objective target measured, and the objective's truth."""
    from nacarbon.data.io import load_dataset

    if dataset == "literature":
        frame = load_dataset("literature", [ROOT / "data" / "literature_583.csv"]).frame
    else:
        from omegaconf import OmegaConf

        from nacarbon.data.io import load_configured

        spec = OmegaConf.load(ROOT / "conf" / "dataset" / "merged.yaml")
        cfg = OmegaConf.create({"paths": {"data_dir": str(ROOT / "data")}, "dataset": spec})
        frame = load_configured(cfg.dataset).frame
        # Liu et al. kept ester electrolytes only, at 100 mA/g unless printed otherwise
        frame.loc[frame[C.DATASET] == "seed", C.ELECTROLYTE] = frame.loc[frame[C.DATASET] == "seed", C.ELECTROLYTE].fillna("ester")
    targets = [o.target for o in OBJECTIVES[objective]]
    seed_rows = (frame[C.DATASET] == "seed").to_numpy() if dataset == "merged" else np.zeros(len(frame), bool)
    keep = frame[targets].notna().all(axis=1).to_numpy() | (seed_rows & frame[C.ICE_PCT].notna().to_numpy())
    frame = frame.loc[keep].reset_index(drop=True)
    seed_rows = seed_rows[keep]
    values = frame[targets].to_numpy(float)
    z = (values - np.nanmean(values, axis=0)) / np.nanstd(values, axis=0)
    truth = np.nanmean(z, axis=1) if objective == "composite" else values[:, 0]
    if objective == "composite":
        truth = np.where(np.isnan(values).any(axis=1), np.nan, truth)  # seed rows: known, never a target
    share = 0.1 if (dataset == "literature" or objective == "composite") else 0.0
    return Task(f"{dataset}/{objective}", frame, OBJECTIVES[objective], truth, np.flatnonzero(seed_rows), share)


def start_rows(task: Task, seed: int) -> np.ndarray:
    """The seed rows plus every row of a random ``paper_share`` of the other papers."""
    rng = np.random.default_rng(seed)
    others = np.setdiff1d(np.arange(len(task.frame)), task.seed_start)
    papers = task.frame[C.SOURCE].iloc[others].unique()
    chosen = rng.choice(papers, size=int(round(task.paper_share * len(papers))), replace=False)
    extra = others[task.frame[C.SOURCE].iloc[others].isin(chosen).to_numpy()]
    return np.union1d(task.seed_start, extra)


def model_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The model's inputs: electrolyte 0/1 (ether = 1), log10 current and SSA, NaN for missing."""
    X = numeric_view(frame, FEATURES)
    for col in (C.CURRENT_MA_G, C.SSA_M2_G):
        j = FEATURES.index(col)
        X[:, j] = np.log10(np.clip(X[:, j], 1e-3, None))
    return X


def fit_forest(X: np.ndarray, y: np.ndarray, seed: int):
    from sklearn.ensemble import ExtraTreesRegressor

    return ExtraTreesRegressor(n_estimators=TREES, random_state=seed, n_jobs=1).fit(X, y)


def tree_stats(model, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    per_tree = np.stack([t.predict(X) for t in model.estimators_])
    return per_tree.mean(axis=0), per_tree.std(axis=0)


def oof_models(X: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int, folds: int = 5):
    """Grouped out-of-fold residuals ``y - prediction`` and, per group, the fold model that never saw it."""
    from sklearn.model_selection import GroupKFold

    res, held_out = np.full(len(y), np.nan), {}
    if len(np.unique(groups)) < 2:
        return res, held_out
    splits = GroupKFold(n_splits=min(folds, len(np.unique(groups))), shuffle=True, random_state=seed)
    for tr, te in splits.split(X, y, groups):
        model = fit_forest(X[tr], y[tr], seed)
        res[te] = y[te] - model.predict(X[te])
        held_out.update(dict.fromkeys(groups[te], model))
    return res, held_out


def make_predict(known: pd.DataFrame, targets: list[str], seed: int, paper_aware: bool):
    """A ``predict(pool)`` callable over forests trained on ``known``: (mean, sigma) per target.

    Paper-aware: a random intercept per paper. A candidate from a paper with measured rows is
    predicted by the fold model that never saw that paper plus the paper's shrunk offset (the
    full model has already absorbed part of the offset from the paper's rows); a candidate from
    an unseen paper by the full model, its sigma widened by the between-paper variance.
    """
    Xk = model_matrix(known)
    groups = known[C.SOURCE].to_numpy()
    fitted = {}
    for t in targets:
        ok = known[t].notna().to_numpy()
        y = known[t].to_numpy(float)[ok]
        offsets, held_out = None, {}
        if paper_aware:
            res, held_out = oof_models(Xk[ok], y, groups[ok], seed)
            offsets = group_offsets(res, groups[ok])
        fitted[t] = (fit_forest(Xk[ok], y, seed), offsets, held_out)

    def predict(pool: pd.DataFrame) -> dict:
        Xp = model_matrix(pool)
        src = pool[C.SOURCE].to_numpy()
        out = {}
        for t, (model, offsets, held_out) in fitted.items():
            mean, sd = tree_stats(model, Xp)
            if offsets is not None:
                for g in set(src) & set(held_out):
                    rows = src == g
                    mean[rows], sd[rows] = tree_stats(held_out[g], Xp[rows])
                per, tau2 = offsets
                mean = mean + np.array([per.get(g, (0.0, tau2))[0] for g in src])
                sd = np.sqrt(sd ** 2 + np.array([per.get(g, (0.0, tau2))[1] for g in src]))
            out[t] = (mean, sd)
        return out

    return predict


def pick(task: Task, method: str, known_idx: np.ndarray, pool_idx: np.ndarray, seed: int, rnd: int) -> np.ndarray:
    """Indices (into task.frame) of the next 8 picks of ``method``."""
    if method == "random":
        return np.random.default_rng([seed, rnd]).choice(pool_idx, size=min(8, len(pool_idx)), replace=False)
    known, pool = task.frame.iloc[known_idx], task.frame.iloc[pool_idx]
    targets = [o.target for o in task.objectives]
    if method == "baybe":
        return pool_idx[baybe_pick(known, pool, targets, seed)]
    cfg = {"greedy": SuggestConfig(n=8, method="mean", min_distance=0.0),
           "ucb": SuggestConfig(n=8, method="ucb", kappa=1.0, min_distance=0.0),
           "guided": GUIDED_CONFIG, "paper_offsets": PAPER_OFFSETS}[method]
    predict = make_predict(known, targets, seed + 1000 * rnd, paper_aware=method == "paper_offsets")
    picks = suggest_batch(pool.assign(_row=pool_idx), predict, task.objectives, known, cfg)
    return picks["_row"].to_numpy()


def baybe_pick(known: pd.DataFrame, pool: pd.DataFrame, targets: list[str], seed: int) -> np.ndarray:
    """BayBE's recommendation of 8 pool rows (positions in ``pool``), imported lazily."""
    from baybe import Campaign
    from baybe.objectives import DesirabilityObjective, SingleTargetObjective
    from baybe.parameters import NumericalDiscreteParameter
    from baybe.searchspace import SearchSpace
    from baybe.targets import NumericalTarget
    from baybe.utils.random import set_random_seed

    set_random_seed(seed)
    both = pd.concat([known, pool])
    X = pd.DataFrame(model_matrix(both), columns=FEATURES)
    X = X.fillna(X.median()).round(6)
    X = X.loc[:, X.nunique() > 1]
    cand = X.iloc[len(known):].reset_index(drop=True)
    params = [NumericalDiscreteParameter(c, values=tuple(sorted(set(X[c])))) for c in X.columns]
    space = SearchSpace.from_dataframe(cand, parameters=params)
    tgts = [NumericalTarget(t) for t in targets]  # maximized
    if len(tgts) == 1:
        objective = SingleTargetObjective(tgts[0])
    else:
        lo, hi = known[targets].quantile(0.05), known[targets].quantile(0.95)
        tgts = [NumericalTarget.normalized_ramp(t, cutoffs=(lo[t], hi[t])) for t in targets]
        objective = DesirabilityObjective(tgts)
    campaign = Campaign(space, objective)
    meas = X.iloc[:len(known)].reset_index(drop=True).assign(**{t: known[t].to_numpy(float) for t in targets})
    campaign.add_measurements(meas.dropna(subset=targets))
    rec = campaign.recommend(batch_size=8)
    # map recommended rows back to pool positions (first unused exact match)
    used, out = set(), []
    keyed = cand.round(6)
    for _, row in rec[cand.columns].round(6).iterrows():
        hits = np.flatnonzero((keyed == row.to_numpy()).all(axis=1).to_numpy())
        hit = next(h for h in hits if h not in used)
        used.add(hit)
        out.append(hit)
    return np.asarray(out)


def run(task: Task, method: str, seed: int, rounds: int, top: np.ndarray) -> tuple[np.ndarray, int]:
    """Cumulative top-5 % finds after each round, and how many top rows the pool held."""
    known = start_rows(task, seed)
    pool = np.setdiff1d(np.flatnonzero(np.isfinite(task.truth)), known)
    found, curve = 0, []
    for rnd in range(rounds):
        chosen = pick(task, method, known, pool, seed, rnd)
        assert len(np.unique(chosen)) == len(chosen) and np.isin(chosen, pool).all()
        found += int(top[chosen].sum())
        curve.append(found)
        known, pool = np.union1d(known, chosen), np.setdiff1d(pool, chosen)
    return np.asarray(curve), int(top[np.setdiff1d(np.flatnonzero(np.isfinite(task.truth)), start_rows(task, seed))].sum())


def top_mask(truth: np.ndarray, share: float = 0.05) -> np.ndarray:
    ok = np.isfinite(truth)
    k = int(np.ceil(share * ok.sum()))
    cut = np.sort(truth[ok])[::-1][k - 1]
    return ok & (truth >= cut)


def time_batch(task: Task) -> float:
    """Wall time of one guided batch of 8 (train, series prior, predict, select, explain)."""
    known = start_rows(task, 0)
    pool = np.setdiff1d(np.flatnonzero(np.isfinite(task.truth)), known)
    t0 = time.perf_counter()
    pick(task, "guided", known, pool, 0, 0)
    return time.perf_counter() - t0


def paired(finals: dict, name: str, method: str) -> str:
    """``mean ± se`` of the per-seed difference to greedy (same seeds, same start), or ``-``."""
    if (name, "greedy") not in finals or method == "greedy":
        return "-"
    d = finals[(name, method)] - finals[(name, "greedy")]
    return f"{d.mean():+.1f} ± {d.std(ddof=1) / np.sqrt(len(d)):.1f}" if len(d) > 1 else f"{d.mean():+.1f}"


def plot(curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(curves)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        for method, (mean, lo, hi) in curves[name].items():
            x = 8 * np.arange(1, len(mean) + 1)
            ax.plot(x, mean, marker="o", ms=3, label=method)
            ax.fill_between(x, lo, hi, alpha=0.15)
        ax.set_title(name)
        ax.set_xlabel("samples picked")
        ax.set_ylabel("top-5 % samples found")
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="literature set only")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=100, help="seeds first-seed .. first-seed + seeds - 1")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--engine", choices=["light", "baybe"], default="light",
                        help="baybe: also run BayBE (needs a venv with baybe installed)")
    parser.add_argument("--methods", default=None, help="comma-separated subset of random,greedy,ucb,guided,paper_offsets,baybe")
    parser.add_argument("--tasks", default=None, help="comma-separated subset, e.g. literature/ice")
    parser.add_argument("--plot", type=Path, default=ROOT / "benchmarks" / "suggest_curves.png")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    from tqdm import tqdm

    methods = ["random", "greedy", "ucb", "guided"] + (["baybe"] if args.engine == "baybe" else [])
    if args.methods:
        methods = args.methods.split(",")
    names = ["literature/ice", "literature/composite"] + ([] if args.quick else ["merged/ice", "merged/composite"])
    if args.tasks:
        names = args.tasks.split(",")
    results, curves, finals = {}, {}, {}
    for name in names:
        task = load_task(*name.split("/"))
        top = top_mask(task.truth)
        curves[name] = {}
        for method in methods:
            t0 = time.perf_counter()
            runs = [run(task, method, s, args.rounds, top) for s in tqdm(range(args.first_seed, args.first_seed + args.seeds), desc=f"{name} {method}", leave=False)]
            cum = np.stack([r[0] for r in runs])
            results[(name, method)] = (cum[:, -1].mean(), cum[:, -1].std(), np.mean([r[1] for r in runs]),
                                       (time.perf_counter() - t0) / (args.seeds * args.rounds))
            finals[(name, method)] = cum[:, -1]
            curves[name][method] = (cum.mean(0), np.percentile(cum, 25, axis=0), np.percentile(cum, 75, axis=0))
    n_picks = 8 * args.rounds
    print(f"\n{args.seeds} seeds ({args.first_seed}..{args.first_seed + args.seeds - 1}), {args.rounds} rounds of 8 ({n_picks} picks); found = top-5 % samples among the picks "
          "(mean ± sd over seeds); T = top-5 % samples in the pool (mean)")
    print("| task | method | found | T | × random | − greedy (paired) | s/round |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        base = results[(name, "random")][0] if (name, "random") in results else np.nan
        for method in methods:
            f, sd, t, sec = results[(name, method)]
            ratio = f / base if base > 0 else float("nan")
            print(f"| {name} | {method} | {f:.1f} ± {sd:.1f} | {t:.1f} | {ratio:.2f} | "
                  f"{paired(finals, name, method)} | {sec:.2f} |")
    if "guided" in methods:
        print(f"one guided batch of 8 on {names[0]} (train + series prior + select + explain): "
              f"{time_batch(load_task(*names[0].split('/'))):.2f} s")
    if not args.no_plot:
        plot(curves, args.plot)
        print(f"curves: {args.plot}")
    head = names[0]
    if all((head, m) in results for m in ("guided", "random", "greedy")):
        f, _, t, _ = results[(head, "guided")]
        print(f"found {f:.1f} of {t:.0f} top-5% samples after {n_picks} picks: "
              f"{f / results[(head, 'random')][0]:.1f}× random, {f / results[(head, 'greedy')][0]:.2f}× greedy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
