"""The one rule for "a model beats the mean baseline": a corrected test on repeated grouped CV.

CV folds share most training rows, so a plain paired t-test on fold scores is overconfident: Nadeau &
Bengio (2003) inflate the variance by ``1/J + n_test/n_train`` (``J`` splits), which keeps its size on
repeated k-fold (Bouckaert & Frank 2004). Testing only the best of several families is a selection
effect, so the p-values of all families compared for one target are Holm-adjusted together.

Significance alone does not rank a target (with ~600 rows a 7 % smaller RMSE is "significant" yet
changes no decision): :class:`Verdict` adds a practical effect, mean ΔRMSE >= ``min_effect`` = 10 % of
the baseline RMSE (about a fifth of the variance the mean leaves, 1 − 0.9²), and gives the one name
every printout, tag, table and report carries: ``beats-baseline``, ``small-effect`` (significant, too
small: shown, never ranked), ``no-gain`` (not significant) or ``not-tested`` (too few splits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

TEST_NAME = "nadeau-bengio corrected resampled t-test (one-sided), Holm across families"
DEFAULT_ALPHA = 0.05
MIN_SPLITS = 25  # >= 5 x 5 repeated grouped folds
DEFAULT_MIN_EFFECT = 0.10  # relevance: mean ΔRMSE at least 10 % of the baseline's RMSE

# The verdict names, one per outcome (tags, tables and reports print these).
BEATS, SMALL_EFFECT, NO_GAIN, NOT_TESTED = "beats-baseline", "small-effect", "no-gain", "not-tested"
VERDICTS = (BEATS, SMALL_EFFECT, NO_GAIN, NOT_TESTED)
SIGNIFICANT = (BEATS, SMALL_EFFECT)   # may be champion (better than the mean); only BEATS is ranked

COLUMNS = ["family", "n_splits", "delta_rmse", "ci_low", "ci_high", "p_raw", "p_adjusted", "test",
           "baseline_rmse", "relative_gain", "significant", "relevant", "verdict"]


@dataclass(frozen=True)
class Verdict:
    """The one verdict of a model against the mean baseline: significance and practical effect.

    ``delta_rmse`` is the mean over splits of RMSE(model) − RMSE(baseline) (negative: model better) and
    ``baseline_rmse`` the baseline's; ``p_adjusted`` is the Holm-adjusted one-sided p (raw for a lone
    family, NaN untested); ``min_effect`` is a fraction of ``baseline_rmse``; ``tested`` is False with too
    few splits for the rule.
    """

    delta_rmse: float
    baseline_rmse: float
    p_adjusted: float
    alpha: float = DEFAULT_ALPHA
    min_effect: float = DEFAULT_MIN_EFFECT
    tested: bool = True

    @property
    def relative_gain(self) -> float:
        """−ΔRMSE / baseline RMSE: the fraction of the baseline's error the model removes."""
        return -self.delta_rmse / self.baseline_rmse if self.baseline_rmse > 0 else float("nan")

    @property
    def significant(self) -> bool:
        """Adjusted p < alpha and a negative ΔRMSE (the corrected test)."""
        return self.tested and bool(self.p_adjusted < self.alpha) and self.delta_rmse < 0

    @property
    def relevant(self) -> bool:
        """The model removes at least ``min_effect`` of the baseline's RMSE."""
        return bool(self.relative_gain >= self.min_effect)

    @property
    def name(self) -> str:
        """One of :data:`VERDICTS`."""
        if not self.tested:
            return NOT_TESTED
        if not self.significant:
            return NO_GAIN
        return BEATS if self.relevant else SMALL_EFFECT

    @property
    def ranked(self) -> bool:
        """Whether screening may rank candidates on this model (significant and relevant)."""
        return self.name == BEATS

    def sentence(self) -> str:
        """The verdict in words, with the numbers behind it."""
        gain = f"ΔRMSE {self.delta_rmse:.3g} = {self.relative_gain:.0%} of the baseline's RMSE"
        return {BEATS: f"beats the mean baseline (adj. p {self.p_adjusted:.2g}; {gain}, >= {self.min_effect:.0%})",
                SMALL_EFFECT: f"small effect: significant (adj. p {self.p_adjusted:.2g}) but {gain} < "
                              f"{self.min_effect:.0%}: shown, not ranked",
                NO_GAIN: f"no gain over the mean baseline (adj. p {self.p_adjusted:.2g} >= {self.alpha:g} or ΔRMSE >= 0)",
                NOT_TESTED: "not tested: too few splits to tell whether it beats the mean baseline (use cv=repeated)"
                }[self.name]


def verdict_of(name: str) -> str:
    """A verdict name read back from a tag or table, checked (an older run without one: ``not-tested``)."""
    return name if name in VERDICTS else NOT_TESTED


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error) in input order, capped at 1; NaN as 1."""
    p = np.where(np.isnan(np.asarray(pvalues, float)), 1.0, np.asarray(pvalues, float))
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adj
    return out


def corrected_ttest(diff: Sequence[float], *, test_train_ratio: float,
                    confidence: float = 0.95) -> dict[str, float]:
    """Nadeau–Bengio corrected resampled t-test of per-split ``RMSE(model) - RMSE(baseline)`` values.

    ``test_train_ratio`` is ``n_test / n_train`` (the mean when folds differ; 0: the plain one-sample test).
    Returns ``mean``, ``se`` (corrected), ``t``, ``df``, the two-sided ``confidence`` interval ``ci_low``,
    ``ci_high`` and the one-sided ``p`` (H1: mean < 0); with zero variance ``p`` is 0 for a negative mean,
    else 1. ValueError on fewer than two splits or a negative ratio.
    """
    d = np.asarray(diff, float)
    if d.size < 2:
        raise ValueError(f"corrected_ttest needs >= 2 splits; got {d.size}")
    if test_train_ratio < 0:
        raise ValueError(f"test_train_ratio must be >= 0; got {test_train_ratio}")
    J, mean = d.size, float(d.mean())
    se = float(np.sqrt((1.0 / J + test_train_ratio) * d.var(ddof=1)))
    df = J - 1
    if se == 0.0:
        return {"mean": mean, "se": 0.0, "t": -np.inf if mean < 0 else np.inf, "df": df,
                "ci_low": mean, "ci_high": mean, "p": 0.0 if mean < 0 else 1.0}
    t = mean / se
    q = stats.t.ppf(0.5 + confidence / 2, df)
    return {"mean": mean, "se": se, "t": t, "df": df, "ci_low": mean - q * se, "ci_high": mean + q * se,
            "p": float(stats.t.cdf(t, df))}


def compare_with_baseline(per_split: pd.DataFrame, *, alpha: float = DEFAULT_ALPHA,
                          min_splits: int = MIN_SPLITS, min_effect: float = DEFAULT_MIN_EFFECT) -> pd.DataFrame:
    """Test every family against the mean baseline, Holm-adjusted across families; one row per family.

    ``per_split`` has a row per (family, split): ``family, split, rmse, baseline_rmse, n_train, n_test``. The
    test is paired: every family needs the same splits (labels and sizes), at least ``min_splits`` of them.
    Columns ``COLUMNS``: ΔRMSE with its 95 % interval, raw and adjusted one-sided p, the baseline's mean
    RMSE, ``relative_gain`` (−ΔRMSE / baseline RMSE) and the :class:`Verdict`. ValueError on missing
    columns, too few splits, families on different splits, or ``alpha`` outside (0, 1).
    """
    need = {"family", "split", "rmse", "baseline_rmse", "n_train", "n_test"}
    if missing := need - set(per_split.columns):
        raise ValueError(f"per_split lacks columns {sorted(missing)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1); got {alpha}")
    rows, ref = [], None
    for family, part in per_split.groupby("family", sort=False):
        part = part.sort_values("split")
        layout = tuple(zip(part["split"], part["n_test"]))
        if ref is None:
            ref = layout
        elif layout != ref:
            raise ValueError(f"family {family!r} was not evaluated on the same splits as the others")
        if len(part) < min_splits:
            raise ValueError(f"family {family!r} has {len(part)} splits; the rule needs >= {min_splits} "
                             "(repeated grouped k-fold, e.g. 5 x 5)")
        ratio = float(np.mean(part["n_test"] / part["n_train"]))
        res = corrected_ttest(part["rmse"] - part["baseline_rmse"], test_train_ratio=ratio)
        rows.append({"family": family, "n_splits": len(part), "delta_rmse": res["mean"],
                     "ci_low": res["ci_low"], "ci_high": res["ci_high"], "p_raw": res["p"], "test": TEST_NAME,
                     "baseline_rmse": float(part["baseline_rmse"].mean())})
    out = pd.DataFrame(rows, columns=["family", "n_splits", "delta_rmse", "ci_low", "ci_high", "p_raw", "test",
                                      "baseline_rmse"])
    out["p_adjusted"] = holm(out["p_raw"].to_numpy()) if len(out) else []
    verdicts = [Verdict(r.delta_rmse, r.baseline_rmse, r.p_adjusted, alpha=alpha, min_effect=min_effect)
                for r in out.itertuples()]
    out["relative_gain"] = [v.relative_gain for v in verdicts]
    out["significant"] = [v.significant for v in verdicts]
    out["relevant"] = [v.relevant for v in verdicts]
    out["verdict"] = [v.name for v in verdicts]
    return out[COLUMNS]


def per_split_table(results: Mapping[str, object], n_rows: int) -> pd.DataFrame:
    """The input of :func:`compare_with_baseline` from ``family -> CVResult`` of one shared splitter.

    ``n_rows`` is the design's row count (a split's n_train = n_rows − n_test).
    """
    parts = []
    for family, cv in results.items():
        n_test = cv.oof.groupby("fold").size().sort_index().to_numpy()
        parts.append(pd.DataFrame({
            "family": family, "split": np.arange(len(cv.per_fold)),
            "rmse": [f["rmse"] for f in cv.per_fold], "baseline_rmse": [f["rmse"] for f in cv.baseline_per_fold],
            "n_train": n_rows - n_test, "n_test": n_test}))
    return pd.concat(parts, ignore_index=True)


def per_split_from_folds(folds: pd.DataFrame, *, family_column: str = "model") -> pd.DataFrame:
    """The input of :func:`compare_with_baseline` from logged ``fold_metrics.csv`` tables of one target.

    ``folds`` has ``fold``, ``model_rmse``, ``baseline_rmse``, ``n_train``, ``n_test`` and ``family_column``
    (what is compared). ValueError if the runs were logged without split sizes (retrain them).
    """
    missing = {"fold", "model_rmse", "baseline_rmse", "n_train", "n_test", family_column} - set(folds.columns)
    if missing:
        raise ValueError(f"fold metrics lack {sorted(missing)}: retrain the runs to record split sizes")
    return pd.DataFrame({"family": folds[family_column].to_numpy(), "split": folds["fold"].to_numpy(),
                         "rmse": folds["model_rmse"].to_numpy(), "baseline_rmse": folds["baseline_rmse"].to_numpy(),
                         "n_train": folds["n_train"].to_numpy(), "n_test": folds["n_test"].to_numpy()})
