"""Refit-based figures: the learning curve over training papers and the stability of importances.

Both refit one model family on the outer splits of a repeated paper-grouped CV, so every
number is scored on papers the fit did not see.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.inspection import permutation_importance

from nacarbon.evaluation.metrics import regression_metrics
from nacarbon.models.pipeline import build_pipeline


def learning_curve(model_cfg, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, splitter, *,
                   fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0), seed: int = 0,
                   transform: str = "none") -> pd.DataFrame:
    """Pooled out-of-fold R² and RMSE against the fraction of training papers kept.

    ``model_cfg`` is a family's config, ``groups`` are papers, ``splitter`` a repeated grouped splitter
    (``RepeatedGroupKFold``) whose ``n_splits`` folds make one repeat. Each split fits on a ``fractions``
    share of its training papers (the test fold stays whole), picked by one ``seed``-ed random order
    per split, so smaller subsets nest in larger ones and the curve is not noisier than the data.
    Returns ``fraction, repeat, n_papers, r2, rmse``: per repeat, the metric of its pooled out-of-fold
    predictions (each row once, by a fit without its paper).
    """
    k_per_repeat = getattr(splitter, "n_splits", None) or splitter.get_n_splits()
    preds: dict[float, dict[int, list]] = {f: {} for f in fractions}
    papers_used: dict[tuple[float, int], list[int]] = {}
    for k, (tr, te) in enumerate(splitter.split(X, y, groups)):
        rng = np.random.default_rng([seed, k])
        order = rng.permutation(np.unique(groups[tr]))
        for f in fractions:
            keep = set(order[: max(2, int(round(f * len(order))))])
            sub = tr[np.isin(groups[tr], list(keep))]
            model = build_pipeline(model_cfg, transform=transform).fit(X.iloc[sub], y[sub])
            preds[f].setdefault(k // k_per_repeat, []).append((te, model.predict(X.iloc[te])))
            papers_used.setdefault((f, k // k_per_repeat), []).append(len(keep))
    rows = []
    for f, by_repeat in preds.items():
        for rep, parts in by_repeat.items():
            idx = np.concatenate([te for te, _ in parts])
            pred = np.concatenate([p for _, p in parts])
            m = regression_metrics(y[idx], pred)
            rows.append({"fraction": f, "repeat": rep, "n_papers": float(np.mean(papers_used[(f, rep)])),
                         "r2": m["r2"], "rmse": m["rmse"]})
    return pd.DataFrame(rows)


def importance_by_split(model_cfg, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, splitter, *,
                        seed: int = 0, n_repeats: int = 3, transform: str = "none") -> pd.DataFrame:
    """Permutation importance of every feature on each outer test fold: ``split, feature, importance, rank``.

    ``importance`` is the rise of the fold's RMSE when the column is shuffled (mean of ``n_repeats``),
    ``rank`` its place in the split (1 = most). Scored on held-out papers, it is what a feature carries
    to papers the model has not seen.
    """
    rows = []
    for k, (tr, te) in enumerate(splitter.split(X, y, groups)):
        model = build_pipeline(model_cfg, transform=transform).fit(X.iloc[tr], y[tr])
        res = permutation_importance(model, X.iloc[te], y[te], scoring="neg_root_mean_squared_error",
                                     n_repeats=n_repeats, random_state=seed + k)
        imp = pd.Series(res.importances_mean, index=X.columns)
        ranks = imp.rank(ascending=False, method="min")
        rows += [{"split": k, "feature": c, "importance": float(imp[c]), "rank": int(ranks[c])} for c in X.columns]
    return pd.DataFrame(rows)


def stability_summary(imp: pd.DataFrame, *, top: int = 3) -> tuple[pd.DataFrame, dict[str, float]]:
    """Per-feature importance table and the splits' agreement.

    The table (most important first) holds mean and sd of importance, median rank and the share of
    splits in the top ``top``; the dict ``{"mean_pairwise_rho", "splits"}`` gives the mean pairwise
    Spearman ρ of the splits' importance vectors.
    """
    table = imp.groupby("feature").agg(mean=("importance", "mean"), sd=("importance", "std"),
                                       median_rank=("rank", "median"),
                                       top_share=("rank", lambda r: float((r <= top).mean())))
    table = table.sort_values("mean", ascending=False).reset_index()
    wide = imp.pivot(index="feature", columns="split", values="importance")
    rho = stats.spearmanr(wide.to_numpy()).statistic
    rho = np.atleast_2d(rho)
    n = rho.shape[0]
    mean_rho = float(rho[np.triu_indices(n, 1)].mean()) if n > 1 else float("nan")
    return table, {"mean_pairwise_rho": mean_rho, "splits": float(wide.shape[1])}
