"""The one rule for "a model beats the mean baseline": a corrected test on repeated grouped CV.

Folds of a cross-validation share most of their training rows, so the fold scores are not
independent and a plain paired t-test on them is overconfident. Nadeau & Bengio (2003) inflate
the variance of the mean difference by ``1/J + n_test/n_train`` (``J`` = number of splits);
Bouckaert & Frank (2004) showed the corrected test on repeated k-fold keeps its size. Picking
the best of several families and testing it alone is a selection effect, so the p-values of
all families compared for one target are Holm-adjusted together.

Significance alone is not enough to rank a target: with ~600 rows a 7 % smaller RMSE than the
mean baseline is "significant" yet changes no decision. :class:`Verdict` joins the test and a
practical-effect rule (the mean ΔRMSE is at least ``min_effect`` = 10 % of the baseline RMSE, i.e.
the model explains about a fifth of the variance the mean leaves, 1 − 0.9²) into one name, carried
unchanged to every printout, tag, table and report: ``beats-baseline`` (significant and relevant),
``small-effect`` (significant, smaller than the rule: shown, never ranked), ``no-gain`` (not
significant) and ``not-tested`` (too few splits).
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

    Attributes
    ----------
    delta_rmse : float
        Mean over splits of RMSE(model) − RMSE(baseline) (negative = model better).
    baseline_rmse : float
        Mean over splits of the baseline's RMSE.
    p_adjusted : float
        Holm-adjusted one-sided p of the corrected test (raw p for a family alone); NaN untested.
    alpha, min_effect : float
        The significance level and the relevance threshold (fraction of ``baseline_rmse``).
    tested : bool
        False when there were too few splits for the rule.
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
    """Holm's step-down adjustment (family-wise error), NaN treated as 1.

    Parameters
    ----------
    pvalues : sequence of float

    Returns
    -------
    ndarray
        Adjusted p-values in the input order, monotone in the raw order and capped at 1.
    """
    p = np.where(np.isnan(np.asarray(pvalues, float)), 1.0, np.asarray(pvalues, float))
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adj
    return out


def corrected_ttest(diff: Sequence[float], *, test_train_ratio: float,
                    confidence: float = 0.95) -> dict[str, float]:
    """Nadeau–Bengio corrected resampled t-test of per-split differences.

    Parameters
    ----------
    diff : sequence of float
        Per-split ``RMSE(model) - RMSE(baseline)`` on the same splits (negative = model better).
    test_train_ratio : float
        ``n_test / n_train`` of a split (the mean over splits when folds differ in size).
        0 gives the uncorrected one-sample t-test.
    confidence : float, default=0.95
        Level of the two-sided interval of the mean difference.

    Returns
    -------
    dict
        ``mean``, ``se`` (corrected), ``t``, ``df``, ``ci_low``, ``ci_high`` and ``p`` (one-sided,
        H1: mean difference < 0). With every difference equal the variance is zero: ``p`` is 0
        for a negative, 1 for a non-negative difference.

    Raises
    ------
    ValueError
        Fewer than two splits or a negative ratio.
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
    """Test every family against the mean baseline and Holm-adjust across the families.

    Parameters
    ----------
    per_split : pandas.DataFrame
        One row per (family, split) with columns ``family``, ``split``, ``rmse``,
        ``baseline_rmse``, ``n_train``, ``n_test``. Every family must have been evaluated on
        the same splits (same ``split`` labels and sizes): the test is paired.
    alpha : float, default=0.05
        A family is ``significant`` when its Holm-adjusted p < alpha and ΔRMSE < 0.
    min_splits : int, default=25
        The least number of splits per family (the rule asks for >= 5 x 5 repeated folds).
    min_effect : float, default=0.10
        Relevance: ΔRMSE at least this fraction of the baseline's mean RMSE.

    Returns
    -------
    pandas.DataFrame
        One row per family (``COLUMNS``): ΔRMSE = mean over splits of RMSE(model) − RMSE(baseline)
        with its 95 % interval, the raw and adjusted one-sided p, the test's name, the baseline's
        mean RMSE, ``relative_gain`` (−ΔRMSE / baseline RMSE), ``significant``, ``relevant`` and
        the :class:`Verdict` name.

    Raises
    ------
    ValueError
        Missing columns, too few splits, families on different splits, or alpha outside (0, 1).
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
    """The input of :func:`compare_with_baseline` from cross-validation results.

    Parameters
    ----------
    results : mapping of family -> CVResult
        From :func:`nacarbon.models.crossval.cross_validate` with one shared splitter
        (``per_fold`` and ``baseline_per_fold`` hold ``rmse``; ``oof`` the test rows per fold).
    n_rows : int
        Rows of the design (a split's n_train = n_rows − n_test).

    Returns
    -------
    pandas.DataFrame
        Columns ``family, split, rmse, baseline_rmse, n_train, n_test``.
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
    """The input of :func:`compare_with_baseline` from logged ``fold_metrics.csv`` tables.

    Parameters
    ----------
    folds : pandas.DataFrame
        Long per-fold metrics of several runs of one target (as ``nacarbon.comparison.collect``
        reads them): ``fold``, ``model_rmse``, ``baseline_rmse``, ``n_train``, ``n_test`` and
        ``family_column``.
    family_column : str, default="model"
        The column naming what is compared.

    Returns
    -------
    pandas.DataFrame
        Columns ``family, split, rmse, baseline_rmse, n_train, n_test``.

    Raises
    ------
    ValueError
        If the runs were logged without split sizes (trained before they were recorded).
    """
    missing = {"fold", "model_rmse", "baseline_rmse", "n_train", "n_test", family_column} - set(folds.columns)
    if missing:
        raise ValueError(f"fold metrics lack {sorted(missing)}: retrain the runs to record split sizes")
    return pd.DataFrame({"family": folds[family_column].to_numpy(), "split": folds["fold"].to_numpy(),
                         "rmse": folds["model_rmse"].to_numpy(), "baseline_rmse": folds["baseline_rmse"].to_numpy(),
                         "n_train": folds["n_train"].to_numpy(), "n_test": folds["n_test"].to_numpy()})
